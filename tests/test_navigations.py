"""Navigations: start estimate, milestones, end, unreliability, and the event assignment rule."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from envelopes import Recording

import telemetry_lab
from telemetry_lab.metrics.navigations import assign_navigation, navigations

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def shop() -> telemetry_lab.Session:
    return telemetry_lab.read(DATA / "shop.ndjson")


def test_shop_has_three_navigations_starting_just_after_time_origin(
    shop: telemetry_lab.Session,
) -> None:
    navs = navigations(shop)
    expected = json.loads((DATA / "shop.expected.json").read_text())["navigations"]
    assert navs["nav_seq"].tolist() == [1, 2, 3]
    assert navs["url"].tolist() == [n["url"] for n in expected]
    assert navs["loader_id"].tolist() == [n["loader_id"] for n in expected]
    assert set(navs["start_source"]) == {"document_request"}
    for start, nav in zip(navs["start"], expected, strict=True):
        late_ms = start.value / 1e6 - nav["time_origin_ms"]
        assert 0 <= late_ms < 10
    assert not navs["unreliable"].any()
    assert navs["unreliable_reason"].isna().all()


def test_shop_milestones_and_ends(shop: telemetry_lab.Session) -> None:
    navs = navigations(shop)
    for column in ("dom_content_loaded_ms", "load_ms", "network_idle_ms", "layout_settled_ms",
                   "navigation_settled_ms"):
        assert (navs[column] > 0).all(), column
    assert (navs["dom_content_loaded_ms"] < navs["load_ms"]).all()
    assert navs["end"].iloc[:2].tolist() == navs["start"].iloc[1:].tolist()
    assert navs["end"].iloc[2] == shop.time_range[1]
    assert (navs["committed"] > navs["start"]).all()


def test_shop_requests_belong_to_their_navigation(shop: telemetry_lab.Session) -> None:
    requests = shop.frame("network_request")
    owner = assign_navigation(requests, navigations(shop))
    assert owner.index.equals(requests.index)
    counts = owner["nav_seq"].value_counts().to_dict()
    assert counts == {1: 54, 2: 31, 3: 16}
    documents = requests["resource_type"].eq("Document").to_numpy(dtype=bool)
    # a document request carries the previous nav_seq but joins the navigation of its loader
    assert owner["nav_seq"][documents].tolist() == [1, 2, 2, 3]
    assert requests["nav_seq"][documents].fillna(0).tolist() == [0, 1, 1, 2]


def test_events_without_context_are_assigned_by_commit_time(shop: telemetry_lab.Session) -> None:
    shots = shop.frame("monitor_screenshot")
    assert shots["nav_seq"].isna().all()
    owner = assign_navigation(shots, navigations(shop))
    assert owner["nav_seq"].tolist() == [1, 2, 2, 3]
    assert owner["nav_start"].notna().all()


def test_start_falls_back_to_page_navigation_and_missing_milestones_are_null() -> None:
    rec = Recording()
    rec.navigate(100, 1)
    rec.page(400, "page_load", 1)
    navs = navigations(rec.session())
    assert navs["start_source"].tolist() == ["page_navigation"]
    assert navs["load_ms"].tolist() == [300.0]
    assert navs["dom_content_loaded_ms"].isna().all()
    assert navs["nav_seq"].tolist() == [1]


def test_iframe_navigations_are_not_navigations() -> None:
    rec = Recording()
    rec.navigate(100, 1, request_ms=90)
    rec.add(300, "page_navigation", {"target_id": "TAB1", "frame_id": "IFRAME",
                                     "parent_frame_id": "TAB1", "loader_id": "X"})
    navs = navigations(rec.session())
    assert len(navs) == 1
    assert navs["start"].iloc[0].value == (rec.envelopes[0]["event"]["ts"]) * 1000


def test_several_tabs_each_get_their_own_navigations_and_ends() -> None:
    rec = Recording()
    rec.navigate(100, 1, tab="A", request_ms=95)
    rec.navigate(150, 1, tab="B", request_ms=140)
    rec.page(200, "page_load", 1, tab="A")
    rec.navigate(1000, 2, tab="A", request_ms=990)
    rec.page(1300, "page_load", 2, tab="A")
    rec.page(2000, "page_load", 1, tab="B")
    navs = navigations(rec.session())
    assert list(zip(navs["target_id"], navs["nav_seq"], strict=True)) == [
        ("A", 1), ("B", 1), ("A", 2)
    ]
    assert navs["load_ms"].tolist() == [105.0, 1860.0, 310.0]
    ends = navs.set_index(["target_id", "nav_seq"])["end"]
    assert ends[("A", 1)] == navs["start"].iloc[2]
    assert ends[("B", 1)] == ends[("A", 2)] == rec.session().time_range[1]


def test_nav_seq_is_counted_when_no_event_carries_it() -> None:
    rec = Recording()
    rec.navigate(100, 1)
    rec.navigate(500, 2)
    rec.page(600, "page_load", 2)
    rec.navigate(900, 3)
    navs = navigations(rec.session())
    assert navs["nav_seq"].tolist() == [1, 2, 3]


def test_monitor_disconnect_and_seq_gap_make_navigations_unreliable() -> None:
    rec = Recording()
    rec.navigate(100, 1, request_ms=90)
    rec.add(200, "monitor_disconnected", {"reason": "cdp closed"})
    rec.add(300, "monitor_reconnected", {"reconnect_duration_ms": 100})
    rec.navigate(1000, 2, request_ms=990)
    rec.navigate(2000, 3, request_ms=1990)
    rec.page(2500, "page_load", 3, skip=5)
    rec.navigate(3000, 4, request_ms=2990)
    navs = navigations(rec.session())
    assert navs["unreliable"].tolist() == [True, False, True, False]
    assert navs["unreliable_reason"].iloc[0] == "monitor disconnected"
    assert navs["unreliable_reason"].iloc[2] == "seq gap: 5 events missing (seq 9-13)"
    assert pd.isna(navs["unreliable_reason"].iloc[1])


def test_assignment_prefers_loader_then_nav_seq_then_time() -> None:
    rec = Recording()
    rec.navigate(100, 1, request_ms=90)
    rec.navigate(1000, 2, request_ms=990)
    rec.page(1100, "console_log", 2, text="tagged")
    rec.add(1200, "console_log", {"target_id": "TAB1", "loader_id": "TAB1-L1", "text": "old"})
    rec.add(1300, "console_log", {"target_id": "TAB1", "text": "untagged"})
    rec.add(50, "console_log", {"target_id": "TAB1", "text": "before any navigation"})
    rec.add(1400, "console_log", {"target_id": "TAB1", "nav_seq": 7, "text": "unknown nav"})
    session = rec.session()
    logs = session.frame("console_log")
    owner = assign_navigation(logs, navigations(session))
    got = dict(zip(logs["text"], owner["nav_seq"].astype(object), strict=True))
    assert got["tagged"] == 2
    assert got["old"] == 1
    assert got["untagged"] == 2
    assert pd.isna(got["before any navigation"])
    assert pd.isna(got["unknown nav"])


def test_empty_session_has_no_navigations() -> None:
    rec = Recording()
    rec.add(0, "console_log", {"text": "hi"})
    navs = navigations(rec.session())
    assert navs.empty
    assert "unreliable_reason" in navs.columns
    owner = assign_navigation(rec.session().frame("console_log"), navs)
    assert owner["nav_seq"].isna().all()


REAL = ("lcp", "network", "shop", "agent")


@pytest.mark.parametrize("name", REAL)
def test_ttfb_upper_is_the_first_subresource_request_and_before_dcl(name: str) -> None:
    session = telemetry_lab.read(DATA / f"{name}.ndjson")
    navs = navigations(session)
    sent = session.frame("network_request")
    for nav in navs.itertuples():
        own = sent[(sent["frame_id"] == nav.frame_id) & (sent["loader_id"] == nav.loader_id)
                   & (sent["resource_type"] != "Document")]
        first_ms = (own["ts"].min() - nav.start).total_seconds() * 1e3
        assert nav.ttfb_upper_ms == pytest.approx(first_ms, abs=1e-3)
        assert 0 < nav.ttfb_upper_ms < nav.dom_content_loaded_ms


def test_ttfb_upper_is_null_without_a_document_request() -> None:
    rec = Recording()
    rec.navigate(10, 1)
    rec.page(40, "network_request", 1, request_id="r1", url="https://a.test/app.js",
             resource_type="Script")
    navs = navigations(rec.session())
    assert navs["start_source"].tolist() == ["page_navigation"]
    assert navs["ttfb_upper_ms"].isna().all()


def test_metric_outputs_join_vitals_on_one_key_unlike_raw_nav_seq(
    shop: telemetry_lab.Session,
) -> None:
    navs = navigations(shop)
    v = telemetry_lab.vitals(shop, navs=navs)
    reqs = telemetry_lab.requests(shop, navs=navs)
    docs = reqs[(reqs["resource_type"] == "Document") & (reqs["hop"] == 0)]
    joined = docs.merge(v[["target_id", "nav_seq", "url"]], on=["target_id", "nav_seq"],
                        suffixes=("", "_nav"))
    assert joined["nav_seq"].tolist() == [1, 2, 3]
    raw = shop.frame("network_request")
    first_hop = ~raw["is_redirect"].fillna(False).to_numpy(bool)
    raw_docs = raw[raw["request_id"].isin(docs["request_id"]).to_numpy(bool) & first_hop]
    assert raw_docs["nav_seq"].tolist()[1:] == [1, 2]  # the monitor's: one behind
    assert (v["ttfb_upper_ms"] == navs["ttfb_upper_ms"]).all()


def test_every_metric_uses_the_navs_it_is_given(
    shop: telemetry_lab.Session, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import telemetry_lab.export.har as har_module
    import telemetry_lab.metrics.interactions as interactions_module
    import telemetry_lab.metrics.navigations as navigations_module
    import telemetry_lab.metrics.network as network_module
    import telemetry_lab.metrics.vitals as vitals_module

    navs = navigations(shop)

    def recompute(session: telemetry_lab.Session) -> pd.DataFrame:
        raise AssertionError("navigations() recomputed although navs= was given")

    modules = (navigations_module, har_module, interactions_module, network_module, vitals_module)
    for module in modules:  # given_navs computes them in navigations_module; some call it direct
        if hasattr(module, "navigations"):
            monkeypatch.setattr(module, "navigations", recompute)
    for metric in (telemetry_lab.vitals, telemetry_lab.requests, telemetry_lab.interactions,
                   telemetry_lab.layout_shifts, telemetry_lab.lcp_candidates):
        out = metric(shop, navs=navs)
        assert set(out["nav_seq"].dropna()) <= set(navs["nav_seq"]), metric.__name__
    assert len(har_module.har(shop, navs=navs)["log"]["pages"]) == 3
