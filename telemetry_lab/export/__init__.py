"""Writers and readers of files: Parquet, HAR and the HTML report."""
