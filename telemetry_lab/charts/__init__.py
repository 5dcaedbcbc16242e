"""Plotly figures built from metric outputs.

Charts only draw: they never compute metrics and never call ``show()``.
"""
