"""The charts' template: registered by the first chart built, not by importing telemetry_lab."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from telemetry_lab.charts.theme import TEMPLATE_NAME, apply, register_template

ROOT = Path(__file__).resolve().parent.parent


def test_importing_telemetry_lab_leaves_plotly_templates_alone() -> None:
    code = ("import plotly.io as pio, telemetry_lab; "
            "print('telemetry_lab' in pio.templates); "
            "telemetry_lab.plot_vitals(telemetry_lab.vitals(telemetry_lab.load_sample())); "
            "print('telemetry_lab' in pio.templates)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["False", "True"]


def test_apply_gives_the_figure_the_registered_template() -> None:
    fig = apply(go.Figure(), title="t")
    assert register_template() == TEMPLATE_NAME
    assert fig.layout.template.layout.font.family == pio.templates[TEMPLATE_NAME].layout.font.family
    assert fig.layout.title.text == "t"
