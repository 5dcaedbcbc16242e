"""The HTML report: self-contained, in the expected order, and drawn by real headless Chromium."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
from chromium import open_page

import telemetry_lab
from telemetry_lab import Session
from telemetry_lab.datasets import sample_path
from telemetry_lab.datasets.synthetic import generate_lines
from telemetry_lab.export import report as report_module
from telemetry_lab.export import report_sections
from telemetry_lab.export.html import plotly_js
from telemetry_lab.export.report import report
from telemetry_lab.readers import read_ndjson

DATA = Path(__file__).parent / "data"
ORDER = ["summary", "vitals", "waterfall", "interactions", "console", "filmstrip", "resources",
         "failures"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report(telemetry_lab.load_sample(), tmp_path_factory.mktemp("report") / "shop.html")


def test_one_file_with_plotly_js_once_and_nothing_to_fetch(shop: Path) -> None:
    text = shop.read_text()
    assert text.count(plotly_js()) == 1
    assert text.count("<script") - text.count("Plotly.newPlot") == 1  # the bundle, then figures
    ours = text.replace(plotly_js(), "")
    assert re.search(r"<script[^>]+src=|<link|@import|url\(|https?://cdn", ours) is None
    sources = re.findall(r'<img[^>]+src="([^"]*)"', text)
    assert len(sources) == 4 and all(s.startswith("data:image/png;base64,") for s in sources)


def test_sections_in_report_order_with_a_table_of_contents(shop: Path) -> None:
    text = shop.read_text()
    assert re.findall(r'<section id="([^"]+)"', text) == ORDER
    anchors = set(re.findall(r' id="([^"]+)"', text))
    links = re.findall(r'<a href="#([^"]+)"', text)
    assert set(links) <= anchors and set(ORDER) <= set(links)
    for i, path in enumerate(("/shop/", "/shop/product/trail-runner-2", "/shop/cart"), 1):
        for section in ("vitals", "waterfall"):
            assert f'<h3 id="{section}-{i}">{path}</h3>' in text
            assert f'<li><a href="#{section}-{i}">{path}</a></li>' in text
    assert "1,133 ms" in text and "good ≤ 2,500 ms · poor &gt; 4,000 ms" in text
    assert "recent input" in text  # the CLS audit says why a shift did not count
    assert text.count('<div class="metric">TTFB upper bound</div>') == 3
    assert "an upper bound, not TTFB, never rated" in text
    assert text.count('<div class="metric">Worst input response</div>') == 3
    assert '<div class="value">908 ms</div>' in text
    assert "net::ERR_BLOCKED_BY_ORB" in text and "HTTP 404 Not Found" in text


def test_long_tables_are_capped_with_a_note(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setattr(report_sections, "TABLE_ROWS", 1)
    text = report(telemetry_lab.load_sample(), tmp_path / "r.html").read_text()
    assert "showing 1 of 3 failures" in text and "showing 1 of 10 message groups" in text


def test_data_cannot_inject_markup(tmp_path: Path) -> None:
    raw = sample_path().read_text().replace("#add-to-cart",
                                            "<img src=http://evil.test/x onerror=alert(1)>")
    text = report(read_ndjson(raw.encode()), tmp_path / "r.html").read_text()
    assert "evil.test" in text and "<img src=http://evil.test" not in text


def test_an_empty_session_still_gets_a_report(tmp_path: Path) -> None:
    text = report(Session(), tmp_path / "empty.html", title="Nothing").read_text()
    assert "<title>Nothing</title>" in text and "empty session: no events" in text
    assert "No screenshots in this session." in text


def test_the_report_opens_offline_and_every_chart_draws(shop: Path, tmp_path: Path) -> None:
    seen = open_page(shop, screenshot=tmp_path / "report.png")
    assert seen.requests == [] and seen.console_errors == []
    figures = shop.read_text().count('class="plotly-graph-div"')
    assert figures == 6  # scorecards, 3 waterfalls, the interaction timeline, the console
    assert seen.plots == seen.drawn == figures and seen.empty == 0
    assert seen.images == seen.decoded == 4
    assert seen.screenshot is not None and seen.screenshot.stat().st_size > 100_000


@pytest.mark.parametrize("name", ["agent", "network", "lcp"])
def test_reports_of_other_real_recordings_open_cleanly(name: str, tmp_path: Path) -> None:
    session = telemetry_lab.read(DATA / f"{name}.ndjson")
    page = report(session, tmp_path / f"{name}.html")
    seen = open_page(page, screenshot=tmp_path / f"{name}.png")
    assert seen.requests == [] and seen.console_errors == []
    figures = page.read_text().count('class="plotly-graph-div"')
    assert seen.plots == seen.drawn == figures >= 3 and seen.empty == 0
    assert seen.images == seen.decoded


def test_long_sessions_detail_the_first_navigations_and_say_so(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(report_sections, "NAV_DETAIL", 2)
    session = telemetry_lab.read(b"\n".join(generate_lines(1500, seed=2)))
    navs = len(telemetry_lab.navigations(session))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # repeated nav_seq values break no section
        text = report(session, tmp_path / "long.html").read_text()
    assert navs > 2 and f"showing the first 2 of {navs} navigations in detail" in text
    assert text.count('<h3 id="waterfall-') == text.count('<h3 id="vitals-') == 2
    assert text.count("<tr><td>/shop/") >= navs  # the summary lists every navigation


def test_a_section_that_fails_says_so_and_the_rest_render(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def console_summary(data: report_sections.Analysis) -> report_sections.Section:
        raise ValueError("no console today")

    monkeypatch.setattr(report_module, "SECTIONS", (report_sections.summary, console_summary,
                                                    report_sections.failed))
    with pytest.warns(RuntimeWarning, match="console summary section failed"):
        text = report(telemetry_lab.load_sample(), tmp_path / "r.html").read_text()
    assert "This section could not be built: ValueError: no console today" in text
    assert "HTTP 404 Not Found" in text  # the failures section after it is there


def test_sessions_without_navigations_or_with_several_tabs(tmp_path: Path) -> None:
    lines = (DATA / "network.ndjson").read_bytes().splitlines()
    loose = telemetry_lab.read(b"\n".join(x for x in lines if b'"page_navigation"' not in x))
    text = report(loose, tmp_path / "loose.html").read_text()
    assert "no Core Web Vitals" in text and "nothing to draw on a timeline" in text
    shop = (DATA / "shop.ndjson").read_bytes().splitlines()
    lcp = [json.dumps({**json.loads(x), "seq": json.loads(x)["seq"] + 1000}).encode()
           for x in (DATA / "lcp.ndjson").read_bytes().splitlines()]
    text = report(telemetry_lab.read(b"\n".join(shop + lcp)), tmp_path / "two.html").read_text()
    names = re.findall(r'<h3 id="vitals-\d+">([^<]+)</h3>', text)
    assert len(names) == 4 and "/shop/cart (tab 854E)" in names
    assert [n for n in names if n.endswith("(tab 4F81)")] == ["/pages/lcp.html (tab 4F81)"]
