"""Core Web Vitals rules on hand-built sessions, and web-vitals on real Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from envelopes import TAB, Recording

import telemetry_lab
from telemetry_lab.metrics.vitals import AuditReason, layout_shifts, lcp_candidates, rate, vitals

DATA = Path(__file__).parent / "data"


def one_page(*shifts: tuple[float, float]) -> Recording:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    for at, value in shifts:
        rec.shift(at, value)
    return rec


def cls_of(rec: Recording) -> float:
    return float(vitals(rec.session())["cls"].iloc[0])


def test_no_shifts_gives_cls_zero_and_good() -> None:
    v = vitals(one_page().session())
    assert v["cls"].tolist() == [0.0]
    assert v["cls_rating"].tolist() == ["good"]
    assert v["cls_shifts"].tolist() == [0]
    assert v["cls_window_start_ms"].isna().all()
    assert layout_shifts(one_page().session()).empty


def test_gap_of_exactly_1000_ms_opens_a_new_window() -> None:
    assert cls_of(one_page((100, 0.1), (1099, 0.2))) == pytest.approx(0.3)
    rec = one_page((100, 0.1), (1100, 0.2))
    assert cls_of(rec) == pytest.approx(0.2)
    shifts = layout_shifts(rec.session())
    assert shifts["window"].tolist() == [1, 2]
    assert shifts["in_cls_window"].tolist() == [False, True]


def test_window_span_of_exactly_5000_ms_opens_a_new_window() -> None:
    steps = [(100 + 900 * i, 0.01) for i in range(6)]  # 100 .. 4600: one window
    assert cls_of(one_page(*steps)) == pytest.approx(0.06)
    closing = one_page(*steps, (5099, 0.01))
    assert cls_of(closing) == pytest.approx(0.07)
    rec = one_page(*steps, (5100, 0.05))  # exactly 5000 ms after the first shift
    shifts = layout_shifts(rec.session())
    assert shifts["window"].tolist() == [1] * 6 + [2]
    assert shifts["window_sum"].iloc[:6].tolist() == pytest.approx(np.cumsum([0.01] * 6))
    assert cls_of(rec) == pytest.approx(0.06)


def test_largest_window_wins_and_earliest_wins_a_tie() -> None:
    rec = one_page((100, 0.05), (3000, 0.04), (3500, 0.04), (6000, 0.05))
    v = vitals(rec.session())
    assert v["cls"].iloc[0] == pytest.approx(0.08)
    assert v["cls_window_start_ms"].iloc[0] == 3000
    assert v["cls_window_end_ms"].iloc[0] == 3500
    assert v["cls_shifts"].iloc[0] == 2
    tie = layout_shifts(one_page((100, 0.05), (3000, 0.05)).session())
    assert tie["in_cls_window"].tolist() == [True, False]


def test_recent_input_and_iframe_shifts_are_excluded_with_reasons() -> None:
    rec = one_page((100, 0.1))
    rec.shift(200, 0.5, recent=True)
    rec.shift(300, 0.7, frame="IFRAME")
    shifts = layout_shifts(rec.session())
    assert shifts["counted"].tolist() == [True, False, False]
    assert shifts["reason"].tolist()[1:] == ["recent input", "iframe"]
    assert shifts["window"].isna().tolist() == [False, True, True]
    assert cls_of(rec) == pytest.approx(0.1)


def test_recent_input_shift_does_not_bridge_windows() -> None:
    rec = one_page((100, 0.1))
    rec.shift(900, 0.5, recent=True)
    rec.shift(1700, 0.2)
    assert cls_of(rec) == pytest.approx(0.2)


def test_shifts_sort_by_timeline_time_not_arrival() -> None:
    rec = one_page((1500, 0.2))
    rec.shift(100, 0.1)  # arrives later, happened first: its own window
    assert cls_of(rec) == pytest.approx(0.2)
    assert layout_shifts(rec.session())["at_ms"].tolist() == [100, 1500]


def test_cls_ratings_at_boundaries() -> None:
    assert rate(pd.Series([0.1, 0.1000001, 0.25, 0.2500001]), "cls").tolist() == [
        "good", "needs-improvement", "needs-improvement", "poor"
    ]
    assert rate(np.array([200.0, 500.0, 501.0]), "inp").tolist() == [
        "good", "needs-improvement", "poor"
    ]


def test_lcp_is_last_candidate_before_first_click_or_key() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    rec.lcp(300, 1000, element_id="title")
    rec.lcp(800, 5000, url="https://img.test/hero.png")
    rec.page(1000, "interaction_scroll_settled", 1, to_y=500)  # scrolls do not stop LCP
    rec.lcp(1200, 9000, element_id="after-scroll")
    rec.page(1500, "interaction_click", 1, selector="#buy")
    rec.lcp(1600, 20000, element_id="after-click")
    session = rec.session()
    candidates = lcp_candidates(session)
    assert candidates["reason"].fillna("-").tolist() == [
        "superseded", "superseded", "-", "after input"
    ]
    assert candidates["first_input_ms"].tolist() == [1500] * 4
    v = vitals(session)
    assert v["lcp_ms"].tolist() == [1200]
    assert v["lcp_element"].tolist() == ["#after-scroll"]
    assert v["lcp_size"].tolist() == [9000]


def test_key_press_stops_lcp_too() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    rec.lcp(300, 1000, element_id="a")
    rec.page(400, "interaction_key", 1, key="Tab")
    rec.lcp(500, 2000, element_id="b")
    assert vitals(rec.session())["lcp_element"].tolist() == ["#a"]


def test_render_time_zero_uses_load_time_and_element_falls_back() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=10)
    rec.lcp(None, 3000, load_ms=2600, url="https://cdn.test/x.png")
    candidates = lcp_candidates(rec.session())
    assert candidates["time_source"].tolist() == ["load_time"]
    assert candidates["at_ms"].tolist() == [2590]
    v = vitals(rec.session())
    assert v["lcp_ms"].tolist() == [2590]
    assert v["lcp_element"].tolist() == ["https://cdn.test/x.png"]
    assert v["lcp_rating"].tolist() == ["needs-improvement"]
    text = Recording()
    text.navigate(0, 1)
    text.lcp(4001, 10, node_id=42)
    v = vitals(text.session())
    assert v["lcp_element"].tolist() == ["node 42"]
    assert v["lcp_rating"].tolist() == ["poor"]


def test_iframe_lcp_candidates_do_not_count() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    rec.lcp(300, 1000, element_id="main")
    rec.lcp(900, 90000, element_id="ad", frame="IFRAME")
    candidates = lcp_candidates(rec.session())
    assert candidates["reason"].fillna("-").tolist() == ["-", "iframe"]
    assert vitals(rec.session())["lcp_element"].tolist() == ["#main"]


def test_no_candidate_gives_null_lcp() -> None:
    v = vitals(one_page().session())
    assert v["lcp_ms"].isna().all()
    assert v["lcp_rating"].isna().all()


def test_several_navigations_and_tabs_are_measured_separately() -> None:
    rec = Recording()
    rec.navigate(0, 1, tab="A", request_ms=0)
    rec.navigate(10, 1, tab="B", request_ms=5)
    rec.lcp(400, 100, nav=1, tab="A", element_id="a1")
    rec.shift(500, 0.1, nav=1, tab="A")
    rec.shift(600, 0.3, nav=1, tab="B")
    rec.lcp(700, 100, nav=1, tab="B", element_id="b1")
    rec.page(800, "interaction_click", 1, tab="A")
    rec.navigate(1000, 2, tab="A", request_ms=900)
    rec.shift(1100, 0.05, nav=2, tab="A")  # < 1 s after tab A's earlier shift, other page
    rec.lcp(1200, 100, nav=2, tab="A", element_id="a2")
    v = vitals(rec.session()).set_index(["target_id", "nav_seq"])
    assert v.loc[("A", 1), "cls"] == pytest.approx(0.1)
    assert v.loc[("A", 2), "cls"] == pytest.approx(0.05)
    assert v.loc[("B", 1), "cls"] == pytest.approx(0.3)
    assert v.loc[("B", 1), "cls_rating"] == "poor"
    assert v["lcp_element"].to_dict() == {("A", 1): "#a1", ("B", 1): "#b1", ("A", 2): "#a2"}
    assert v.loc[("A", 2), "lcp_ms"] == 300
    assert v["interactions"].to_dict() == {("A", 1): 1, ("B", 1): 0, ("A", 2): 0}


def test_monitor_disconnect_marks_vitals_unreliable() -> None:
    rec = one_page((100, 0.1))
    rec.add(200, "monitor_disconnected", {"reason": "cdp closed"})
    rec.add(900, "monitor_reconnected", {"reconnect_duration_ms": 700})
    rec.navigate(3000, 2, request_ms=2990)
    v = vitals(rec.session())
    assert v["unreliable"].tolist() == [True, False]
    assert v["unreliable_reason"].tolist()[0] == "monitor disconnected"
    assert v["cls"].iloc[0] == pytest.approx(0.1)


def test_response_is_the_worst_delay_to_a_visual_effect_never_rated() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    rec.page(1000, "interaction_click", 1, selector="#a")
    rec.shift(1120, 0.01, recent=True)
    rec.page(2000, "interaction_key", 1, key="Enter")
    rec.add(2350, "monitor_screenshot", {"png": ""}, metadata={"target_id": TAB})
    rec.page(3000, "interaction_click", 1, selector="#nothing-follows")
    v = vitals(rec.session())
    assert v["response_ms"].tolist() == [350]
    assert v["interactions"].tolist() == [3]
    assert v["input_latency_ms"].isna().all()
    assert not {"inp_proxy_ms", "inp_proxy_rating", "response_rating"} & set(v.columns)


def test_vitals_of_empty_session_is_empty() -> None:
    rec = Recording()
    rec.add(0, "console_log", {"text": "hi"})
    v = vitals(rec.session())
    assert v.empty
    assert {"lcp_ms", "cls", "response_ms", "input_latency_ms"} <= set(v.columns)


@pytest.mark.parametrize("page", ["lcp", "network", "shop"])
def test_real_chromium_matches_web_vitals(page: str) -> None:
    expected = json.loads((DATA / f"{page}.expected.json").read_text())
    navs = expected.get("navigations") or [{**expected, **expected["web_vitals"]["lcp"],
                                            "web_vitals": expected["web_vitals"]}]
    v = vitals(telemetry_lab.read(DATA / f"{page}.ndjson"))
    assert len(v) == len(navs)
    for row, nav in zip(v.itertuples(), navs, strict=True):
        lcp = nav["web_vitals"]["lcp"]
        assert row.cls == pytest.approx(nav["web_vitals"]["cls"]["value"], abs=1e-9)
        assert abs(row.lcp_ms - lcp["value_ms"]) <= 30
        element = f"#{lcp['element_id']}" if lcp["element_id"] else lcp["url"] or None
        if element is not None:
            assert row.lcp_element == element
        assert row.lcp_size == lcp["size"]
        assert row.lcp_rating == lcp["rating"]


def test_response_ignores_an_unprompted_screenshot_and_a_shift_past_the_window() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    rec.page(1000, "interaction_click", 1, selector="#swap")
    rec.shift(2100, 0.01)  # 1.1 s later: an unrelated shift, not this click's response
    lifecycle = rec.add(1700, "monitor_screenshot", {"png": ""}, metadata={"target_id": TAB})
    lifecycle["event"]["source"]["event"] = "Runtime.exceptionThrown"
    rec.page(3000, "interaction_click", 1, selector="#more")
    rec.shift(3060, 0.01, recent=True)
    assert vitals(rec.session())["response_ms"].tolist() == [60]


def test_audit_reasons_are_the_named_constants() -> None:
    session = telemetry_lab.load_sample()
    reasons = {*layout_shifts(session)["reason"].dropna(),
               *lcp_candidates(session)["reason"].dropna()}
    assert reasons and reasons <= set(AuditReason)
    assert AuditReason("recent input") is AuditReason.RECENT_INPUT
