"""telemetry_lab.charts.filmstrip: thumbnails on the waterfall's time axis."""

from __future__ import annotations

import numpy as np

import telemetry_lab
from telemetry_lab.charts.filmstrip import plot_filmstrip


def test_filmstrip_rows_are_navigations_and_x_is_ms_after_start() -> None:
    session = telemetry_lab.load_sample()
    fig = plot_filmstrip(session)
    shots = telemetry_lab.screenshots(session)
    assert list(fig.layout.yaxis.ticktext) == [
        "nav 1 · /shop/", "nav 2 · /shop/product/trail-runner-2", "nav 3 · /shop/cart"]
    assert [round(i.x, 3) for i in fig.layout.images] == shots["at_ms"].tolist()
    assert [i.y for i in fig.layout.images] == [0, 1, 1, 2]
    assert all(i.source.startswith("data:image/png;base64,") for i in fig.layout.images)
    assert fig.layout.xaxis.title.text == "ms after navigation start"
    assert "Runtime.exceptionThrown" in fig.data[0].hovertext[2]


def test_filmstrip_of_chosen_navigations_and_thumbnail_limit() -> None:
    session = telemetry_lab.load_sample()
    navs = telemetry_lab.navigations(session)
    fig = plot_filmstrip(session, navs=navs[navs["nav_seq"] == 2], per_navigation=1)
    assert len(fig.layout.yaxis.ticktext) == 1
    assert len(fig.data[0].x) == 2 and len(fig.layout.images) == 1
    assert np.allclose(fig.data[0].x, [520.931, 3219.0])


def test_no_screenshots_says_so() -> None:
    from envelopes import Recording

    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    fig = plot_filmstrip(rec.session())
    assert fig.layout.annotations[0].text == "no screenshots"
    assert not fig.layout.images
