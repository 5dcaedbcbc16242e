"""telemetry_lab.metrics.effects: the attribution rule on hand-built cases and real recordings."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from envelopes import TAB, Recording

import telemetry_lab
from telemetry_lab.metrics.effects import EFFECTS, effects

DATA = Path(__file__).parent / "data"


def _one_tab() -> Recording:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    return rec


def _request(rec: Recording, at_ms: float, rid: str, *, tab: str = TAB, nav: int = 1) -> None:
    rec.page(at_ms, "network_request", nav, tab=tab, request_id=rid,
             url=f"https://example.test/{rid}", method="GET", resource_type="Fetch")


def _pairs(table: pd.DataFrame) -> list[tuple[int, str]]:
    return list(zip(table["input_seq"].tolist(), table["effect"].tolist(), strict=True))


def test_window_edge_is_inclusive_at_exactly_window_ms() -> None:
    rec = _one_tab()
    rec.page(1000, "interaction_click", 1, selector="#a")
    _request(rec, 2000, "edge")      # exactly 1000 ms: belongs
    _request(rec, 2000.001, "late")  # 1 µs later: does not
    table = effects(rec.session())
    assert table["url"].tolist() == ["https://example.test/edge"]
    assert table["delay_ms"].tolist() == [1000.0]
    assert effects(rec.session(), window_ms=500).empty


def test_next_input_cuts_the_window() -> None:
    rec = _one_tab()
    first = rec.page(1000, "interaction_click", 1, selector="#a")["seq"]
    _request(rec, 1100, "mine")
    second = rec.page(1200, "interaction_key", 1, key="Enter")["seq"]
    _request(rec, 1300, "theirs")
    table = effects(rec.session())
    assert _pairs(table) == [(first, "request"), (second, "request")]
    assert table["delay_ms"].tolist() == [100.0, 100.0]
    assert table["input_kind"].tolist() == ["click", "key"]


def test_two_tabs_keep_their_own_effects() -> None:
    rec = _one_tab()
    rec.navigate(10, 1, tab="TAB2", request_ms=10)
    click = rec.page(1000, "interaction_click", 1, selector="#a")["seq"]
    other = rec.page(1050, "interaction_click", 1, tab="TAB2", selector="#b")["seq"]
    _request(rec, 1100, "one")
    _request(rec, 1110, "two", tab="TAB2")
    table = effects(rec.session())
    assert dict(zip(table["url"], table["input_seq"], strict=True)) == {
        "https://example.test/one": click, "https://example.test/two": other}
    assert table["target_id"].tolist() == [TAB, "TAB2"]


def test_popup_belongs_to_the_click_on_its_opener() -> None:
    rec = _one_tab()
    click = rec.page(1000, "interaction_click", 1, selector="a[target=_blank]")["seq"]
    rec.add(1040, "page_tab_opened", {"target_id": "POPUP", "target_type": "page",
                                      "opener_id": TAB, "url": "https://example.test/popup"})
    rec.navigate(1080, 1, tab="POPUP", request_ms=1060)
    table = effects(rec.session())
    assert _pairs(table) == [(click, "tab_opened")]
    assert table["detail"].tolist() == ["tab POPUP"]


def test_a_caused_navigation_closes_the_window() -> None:
    rec = _one_tab()
    click = rec.page(1000, "interaction_click", 1, selector="a")["seq"]
    rec.navigate(1100, 2, request_ms=1020)
    _request(rec, 1150, "subresource", nav=2)
    rec.lcp(1200, 5000.0, nav=2, element_id="hero")
    table = effects(rec.session())
    assert _pairs(table) == [(click, "request"), (click, "navigation")]
    assert table["detail"].tolist() == ["GET Document", "nav_seq 2"]


def test_effects_during_a_monitor_disconnect_mark_the_input_unreliable() -> None:
    rec = _one_tab()
    rec.page(1000, "interaction_click", 1, selector="#a")
    rec.add(1200, "monitor_disconnected", {"reason": "cdp closed"})
    rec.add(1900, "monitor_reconnected", {"reconnect_duration_ms": 700})
    _request(rec, 1950, "after")
    rec.page(5000, "interaction_click", 1, selector="#b")
    session = rec.session()
    assert effects(session)["url"].tolist() == ["https://example.test/after"]
    table = telemetry_lab.interactions(session)
    assert table["unreliable"].tolist() == [True, False]
    assert table["response_ms"].isna().all()


def test_input_with_no_effect_has_no_rows_and_empty_session_is_typed() -> None:
    rec = _one_tab()
    rec.page(1000, "interaction_click", 1, selector="#nothing")
    assert effects(rec.session()).empty
    empty = effects(Recording().session())
    assert list(empty.columns)[:3] == ["input_seq", "input_kind", "input_selector"]
    assert str(empty["delay_ms"].dtype) == "double[pyarrow]"


def test_each_effect_kind_is_recognised() -> None:
    rec = _one_tab()
    rec.page(1000, "interaction_click", 1, selector="#all")
    _request(rec, 1010, "r1")
    rec.page(1020, "network_loading_failed", 1, request_id="r1", error_text="net::ERR_FAILED",
             canceled=False)
    rec.page(1030, "console_log", 1, level="log", text="hello")
    rec.page(1040, "console_error", 1, level="error", text="boom")
    thrown = rec.page(1050, "console_error", 1, level="error", text="Uncaught TypeError")
    thrown["event"]["source"]["event"] = "Runtime.exceptionThrown"
    rec.shift(1060, 0.02, recent=True)
    rec.lcp(1070, 900.0, element_id="late")
    rec.add(1080, "monitor_screenshot", {"png": ""}, metadata={"target_id": TAB})
    table = effects(rec.session())
    assert table["effect"].tolist() == ["request", "request_failed", "console_log",
                                        "console_error", "exception", "layout_shift",
                                        "lcp_candidate", "screenshot"]
    assert set(table["effect"]) <= set(EFFECTS)
    assert (table["delay_ms"] >= 0).all()
    failed = table[table["effect"].eq("request_failed").to_numpy(bool)]
    assert failed["url"].tolist() == ["https://example.test/r1"]
    assert failed["detail"].tolist() == ["net::ERR_FAILED"]
    assert table.loc[table["effect"].eq("layout_shift").to_numpy(bool), "detail"].tolist() == [
        "0.0200 (had_recent_input)"]
    assert telemetry_lab.interactions(rec.session())["first_visual"].tolist() == ["layout_shift"]


@pytest.fixture(scope="module")
def shop() -> pd.DataFrame:
    return effects(telemetry_lab.load_sample())


def _of(table: pd.DataFrame, selector: str) -> pd.DataFrame:
    return table[table["input_selector"].eq(selector).to_numpy(bool)]


def test_shop_card_click_redirects_and_navigates(shop: pd.DataFrame) -> None:
    card = _of(shop, ".card-img")
    assert card["effect"].tolist() == ["request", "request", "navigation"]
    assert card["url"].str.replace("http://127.0.0.1:36621", "").tolist() == [
        "/shop/p/NW-1002", "/shop/product/trail-runner-2", "/shop/product/trail-runner-2"]


def test_shop_product_page_clicks_and_keys(shop: pd.DataFrame) -> None:
    more = _of(shop, "#reviews-more")
    assert more["effect"].tolist() == ["request", "layout_shift"]
    assert more["url"].iloc[0].endswith("/shop/api/reviews?sku=NW-1002&page=2")
    assert more["detail"].iloc[1] == "0.0089 (had_recent_input)"
    assert 100 < more["delay_ms"].iloc[1] < 160  # the shift 0.13 s after the click
    thumb = _of(shop, "#thumb-3")
    assert thumb["effect"].iloc[0] == "request"
    assert thumb["url"].iloc[0].endswith("/cdn/img/p/NW-1002/alt2_480.png")
    assert "lcp_candidate" not in set(thumb["effect"])  # no LCP entries after input
    keys = shop[shop["input_kind"].eq("key").to_numpy(bool)]
    first, second = sorted(set(keys["input_seq"]))
    quote = keys[keys["effect"].eq("request").to_numpy(bool)]
    assert [u.rsplit("=", 1)[1] for u in quote["url"]] == ["2", "3"]
    aborted = keys[keys["effect"].eq("request_failed").to_numpy(bool)]
    assert aborted["input_seq"].tolist() == [second]  # the second press aborts the first
    assert aborted["detail"].tolist() == ["net::ERR_ABORTED (canceled)"]
    assert aborted["url"].iloc[0].endswith("qty=2")
    assert first in set(keys["input_seq"])
    assert _of(shop, "#qty").query("input_kind == 'click'").empty  # focusing does nothing


def test_shop_add_to_cart_posts_and_navigates(shop: pd.DataFrame) -> None:
    cart = _of(shop, "#add-to-cart")
    post = cart[cart["detail"].eq("POST Fetch").to_numpy(bool)]
    assert post["url"].tolist() == ["http://127.0.0.1:36621/shop/api/cart"]
    assert cart["effect"].iloc[-1] == "navigation"
    assert cart["url"].iloc[-1] == "http://127.0.0.1:36621/shop/cart"
    assert cart["url"].iloc[-2] == "http://127.0.0.1:36621/shop/cart"  # its document request
    cart_nav = telemetry_lab.requests(telemetry_lab.load_sample()).query("nav_seq == 3")
    assert len(cart_nav) == 16  # the cart page's own requests stay in its waterfall


@pytest.fixture(scope="module")
def agent() -> tuple[pd.DataFrame, dict[str, object]]:
    expected = json.loads((DATA / "agent.expected.json").read_text())["expected"]
    return effects(telemetry_lab.read(DATA / "agent.ndjson")), expected


def _effect_seqs(expected: dict[str, object]) -> set[int]:
    seqs: set[int] = set()
    for kind, value in expected.items():
        if kind == "navigation":
            assert isinstance(value, dict)
            seqs.add(value["page_navigation_seq"])
        else:
            assert isinstance(value, list)
            seqs |= {item["seq"] for item in value}
    return seqs


def test_agent_actions_commands_interactions_and_effects(
    agent: tuple[pd.DataFrame, dict[str, object]],
) -> None:
    table, expected = agent
    actions = expected["actions"]
    assert isinstance(actions, list) and len(actions) == 14
    for action in actions:
        commands = set(action["cdp_command_seqs"])
        mine = table[table["input_seq"].isin(commands).to_numpy(bool)]
        produced = set(mine.loc[mine["effect"].eq("interaction").to_numpy(bool), "effect_seq"])
        assert produced == set(action["interaction_seqs"]), action["index"]
        inputs = commands | produced
        caused = table[table["input_seq"].isin(inputs).to_numpy(bool)
                       & table["effect"].ne("interaction").to_numpy(bool)
                       & table["effect"].ne("screenshot").to_numpy(bool)]
        assert set(caused["effect_seq"]) == _effect_seqs(action["effects"]), action["index"]
        assert (mine["input_kind"] == "command").all()


def test_agent_background_is_not_attributed_to_the_screenshot(
    agent: tuple[pd.DataFrame, dict[str, object]],
) -> None:
    table, expected = agent
    background = expected["background"]
    assert isinstance(background, list)
    seqs = {item["seq"] for entry in background for kind in ("layout_shifts", "requests")
            for item in entry.get(kind, [])}
    assert seqs == {75, 76}
    assert not set(table["effect_seq"]) & seqs
    screenshot = next(a for a in expected["actions"] if a["kind"] == "screenshot")
    assert table[table["input_seq"].isin(screenshot["cdp_command_seqs"])].empty


def test_wrong_inputs_say_what_to_pass() -> None:
    session = telemetry_lab.load_sample()
    with pytest.raises(telemetry_lab.TelemetryLabError, match=r"Pass the Session itself"):
        effects(telemetry_lab.vitals(session))
    with pytest.raises(TypeError, match=r"navigations\(session\)"):
        effects(session, navs=telemetry_lab.requests(session))
    empty = telemetry_lab.plot_timeline(Recording().session())
    assert empty.layout.annotations[0].text == "no events"
