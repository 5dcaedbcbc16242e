"""Fleets: many sessions as one dataset, their distributions, A/B comparisons and budgets."""
