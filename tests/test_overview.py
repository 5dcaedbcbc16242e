"""A Session's notebook display: pages and vitals first, health, counts folded, the report call."""

from __future__ import annotations

import re

import telemetry_lab
from telemetry_lab.datasets import sample_path
from telemetry_lab.readers import read_ndjson


def test_pages_with_vitals_come_first_and_counts_are_folded() -> None:
    session = telemetry_lab.load_sample()
    html = session._repr_html_()
    rows = re.findall(r"<tr><td>(/shop/[^<]*)</td><td class=\"num\">([\d,]+)</td>", html)
    assert rows == [("/shop/", "1,133"), ("/shop/product/trail-runner-2", "513"),
                    ("/shop/cart", "153")]
    assert html.count('<span class="rating good">good</span>') == 6
    assert "nothing missing, nothing unreliable" in html
    assert html.index("/shop/cart") < html.index("<details>") < html.index("network_request")
    assert 'telemetry_lab.report(session, "report.html")' in html
    assert session._repr_html_() is html  # cached


def test_lost_events_are_flagged_with_the_navigation_they_hurt() -> None:
    lines = sample_path().read_bytes().splitlines(keepends=True)
    html = read_ndjson(b"".join(lines[:99] + lines[110:]) + b"{oops\n")._repr_html_()
    assert "metrics may be missing events" in html
    assert "11 seqs missing: 100–110" in html and "invalid JSON" in html
    assert "seq gap: 11 events missing (seq 100-110)" in html


def test_an_empty_session_displays() -> None:
    html = telemetry_lab.Session()._repr_html_()
    assert "empty session: no events" in html and "No navigations." in html
