"""telemetry_lab.metrics.interactions: one row per input, response times, per-navigation worst."""

from __future__ import annotations

from envelopes import TAB, Recording

import telemetry_lab
from telemetry_lab.metrics.interactions import interactions, responses


def test_shop_rows_answer_what_each_input_did() -> None:
    table = interactions(telemetry_lab.load_sample()).set_index("selector")
    clicks = table[table["kind"].eq("click").to_numpy(bool)]
    assert clicks.loc[".card-img", "navigated_to"].endswith("/shop/product/trail-runner-2")
    assert clicks.loc["#reviews-more", "layout_shifts"] == 1
    assert clicks.loc["#reviews-more", "first_visual"] == "layout_shift"
    assert clicks.loc["#add-to-cart", "requests"] == 3
    assert clicks.loc["#qty", "effects"] == 0
    keys = table[table["kind"].eq("key").to_numpy(bool)]
    assert keys["requests"].tolist() == [1, 1]
    assert keys["failed_requests"].tolist() == [0, 1]
    assert set(table["kind"]) == {"click", "key", "scroll"}
    assert table["command_seq"].isna().all() and table["input_latency_ms"].isna().all()


def test_response_is_the_first_visual_effect_in_the_window() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    rec.page(1000, "interaction_click", 1, selector="#fetch-then-render")
    rec.page(1010, "network_request", 1, request_id="q", url="https://x.test/q", method="GET",
             resource_type="Fetch")
    rec.shift(1400, 0.05)  # the fetch took 390 ms: the response includes it
    rec.shift(1450, 0.01)
    rec.page(3000, "interaction_key", 1, key="Tab")
    rec.shift(4100, 0.2)  # 1.1 s later, past the window: not this key's response
    table = interactions(rec.session())
    assert table["response_ms"].tolist()[0] == 400
    assert table["response_ms"].isna().tolist() == [False, True]
    assert table["worst"].tolist() == [True, False]
    worst = responses(table)
    assert worst[["response_ms", "interactions"]].values.tolist() == [[400, 2]]
    assert worst["target_id"].tolist() == [TAB]


def test_agent_rows_carry_both_sides_of_the_link() -> None:
    table = interactions(telemetry_lab.load_sample("agent"))
    keys = table[table["kind"].eq("key").to_numpy(bool)]
    assert len(keys) == 10 and keys["command_seq"].notna().all()
    navigate = table[table["selector"].eq("Page.navigate").to_numpy(bool)]
    assert navigate["produced_seq"].tolist() == [5, 151]
    assert navigate["navigated_to"].str.endswith("/agent/cart").tolist() == [False, True]
    sign_in = table[table["seq"].eq(51).to_numpy(bool)].iloc[0]
    assert sign_in["navigated_to"].endswith("/agent/search")
    assert sign_in["requests"] == 2
    v = telemetry_lab.vitals(telemetry_lab.load_sample("agent"))
    assert v["input_latency_ms"].notna().tolist() == [True, True, True, False]  # cart: no input
    assert (v["input_latency_ms"].iloc[:3] < 50).all()
