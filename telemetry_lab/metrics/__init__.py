"""Pure metric functions: Session or DataFrames in, tidy DataFrames out."""
