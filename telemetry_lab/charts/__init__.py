"""Plotly figures built from metric outputs.

Charts only draw: they never compute metrics and never call ``show()``. Importing them makes a
Jupyter kernel's figures carry offline HTML as well as Plotly JSON, so exported notebooks keep
their charts (see :mod:`telemetry_lab.charts.notebook`).
"""

from telemetry_lab.charts.notebook import keep_charts_in_notebooks

__all__ = ["keep_charts_in_notebooks"]
