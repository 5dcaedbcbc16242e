"""telemetry_lab.charts.console: console messages over time, by template."""

from __future__ import annotations

import pytest

import telemetry_lab
from telemetry_lab.charts.console import plot_console


def test_one_row_per_template_and_a_trace_per_kind() -> None:
    fig = plot_console(telemetry_lab.console_messages(telemetry_lab.load_sample()))
    assert [t.name for t in fig.data] == ["console.log", "console warning", "console.error",
                                          "uncaught exception"]
    assert len(fig.layout.yaxis.ticktext) == 8
    assert fig.layout.yaxis.ticktext[0].endswith("×3")  # the tag warns on every page
    warnings = fig.data[1]
    assert len(warnings.x) == 3 and len(set(warnings.y)) == 1
    assert len(fig.data[3].x) == 1 and fig.data[3].marker.symbol == "x"
    assert "slot.js" in fig.data[3].hovertext[0]


def test_empty_and_wrong_inputs() -> None:
    from envelopes import Recording

    empty = plot_console(telemetry_lab.console_messages(Recording().session()))
    assert empty.layout.annotations[0].text == "no console messages"
    grouped = telemetry_lab.console(telemetry_lab.load_sample())
    with pytest.raises(TypeError, match=r"console_messages\(session\)"):
        plot_console(grouped)
