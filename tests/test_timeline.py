"""telemetry_lab.charts.timeline: what the interaction timeline draws, tested by its data."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from envelopes import TAB, Recording

import telemetry_lab
from telemetry_lab.charts.timeline import plot_timeline


def _trace(fig: go.Figure, name: str) -> go.Scatter:
    return next(t for t in fig.data if t.name == name)


@pytest.fixture(scope="module")
def agent() -> go.Figure:
    return plot_timeline(telemetry_lab.load_sample("agent"))


def test_few_traces_lanes_and_labels(agent: go.Figure) -> None:
    names = [t.name for t in agent.data]
    assert len(names) == len(set(names)) < 25  # grouped by kind, never one per event
    assert {"agent command", "click", "key", "navigation", "layout shift (recent input)",
            "uncaught exception", "screenshot", "input → effect"} <= set(names)
    ticks = list(agent.layout.yaxis.ticktext)
    assert ticks == [f"1A48 · {lane}" for lane in
                     ("agent", "input", "page", "network", "console", "screenshots")]
    assert len(_trace(agent, "agent command").x) == 48
    clicks = _trace(agent, "click")
    assert "#sign-in" in set(clicks.text) and "#check-delivery" in set(clicks.text)
    assert agent.layout.xaxis.title.text.startswith("s since 2026-12-02 02:07:04")
    assert len(agent.layout.images) == 5
    assert agent.layout.images[0].source.startswith("data:image/png;base64,iVBOR")


def test_every_effect_is_linked_to_its_input(agent: go.Figure) -> None:
    links = _trace(agent, "input → effect")
    pairs = telemetry_lab.effects(telemetry_lab.load_sample("agent"))
    x = np.asarray(links.x, dtype=float)
    assert len(x) == 3 * len(pairs)
    assert np.isnan(x[2::3]).all()
    assert (x[1::3] >= x[0::3]).all()  # effects never precede their input
    ticks = dict(zip(agent.layout.yaxis.ticktext, agent.layout.yaxis.tickvals, strict=True))
    y = np.asarray(links.y, dtype=float)
    assert set(y[0::3]) == {ticks["1A48 · agent"], ticks["1A48 · input"]}


def test_request_segments_are_coloured_like_the_waterfall(agent: go.Figure) -> None:
    documents = _trace(agent, "Document")
    assert documents.mode == "lines" and "215" in documents.line.color
    fetch = _trace(agent, "Fetch")
    assert len(fetch.x) == 3 * 4  # login POST, search, notifications, cart POST


def test_monitor_disconnect_is_shaded_and_tabs_get_their_lanes() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    rec.navigate(10, 1, tab="TAB2", request_ms=10)
    rec.page(1000, "interaction_click", 1, selector="#a")
    rec.page(1100, "interaction_click", 1, tab="TAB2", selector="#b")
    rec.add(2000, "monitor_disconnected", {"reason": "cdp closed"})
    rec.add(3000, "monitor_reconnected", {"reconnect_duration_ms": 1000})
    rec.page(4000, "console_log", 1, level="log", text="back")
    fig = plot_timeline(rec.session())
    shapes = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(s.x0, s.x1) for s in shapes] == [(2.0, 3.0)]
    assert [t for t in fig.layout.yaxis.ticktext if t.endswith("input")] == [
        "TAB1 · input", "TAB2 · input"]
    clicks = _trace(fig, "click")
    assert list(clicks.text) == ["#a", "#b"]
    assert clicks.y[0] != clicks.y[1]
    assert "agent" not in " ".join(fig.layout.yaxis.ticktext)


def test_navs_limit_the_timeline_to_those_navigations() -> None:
    session = telemetry_lab.load_sample()
    navs = telemetry_lab.navigations(session)
    fig = plot_timeline(session, navs=navs[navs["nav_seq"] == 3])
    loads = _trace(fig, "load")
    assert len(loads.x) == 1
    assert "click" not in {t.name for t in fig.data}  # no input on the cart page
    assert min(np.nanmin(np.asarray(t.x, dtype=float)) for t in fig.data if len(t.x)) >= 0
    assert TAB not in fig.layout.yaxis.ticktext[0]
