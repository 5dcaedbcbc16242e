"""telemetry_lab.metrics.commands: the agent lane, with SDK-shaped cdp_command / api_call events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from envelopes import TAB, Recording, micros

import telemetry_lab
from telemetry_lab.metrics.commands import commands

DATA = Path(__file__).parent / "data"
calls = pytest.importorskip("kernel.types.browsers.browser_api_call_event")
cdp = pytest.importorskip("kernel.types.browsers.browser_cdp_command_event")


def _sdk(rec: Recording, at_ms: float, model: Any) -> int:
    """Append an envelope whose event is the SDK model's own serialisation."""
    rec.seq += 1
    event = model.model_dump(exclude_none=True)
    event["ts"] = micros(at_ms)
    rec.envelopes.append({"seq": rec.seq, "event": event})
    return rec.seq


def _api_call(rec: Recording, at_ms: float, operation: str, duration_ms: float) -> int:
    return _sdk(rec, at_ms, calls.BrowserAPICallEvent(
        category="control", source={"kind": "kernel_api"}, ts=0, type="api_call",
        data={"duration_ms": duration_ms, "operation_id": operation, "request_id": "r",
              "status": 200}))


def _command(rec: Recording, at_ms: float, method: str, **data: Any) -> int:
    return _sdk(rec, at_ms, cdp.BrowserCdpCommandEvent(
        category="control", source={"kind": "kernel_api"}, ts=0, type="cdp_command",
        data={"method": method, "session_id": "AGENT", **data}))


def test_api_calls_link_to_the_page_input_they_produced() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    click = _api_call(rec, 1030, "ClickMouse", 40)  # handler ran 990 → 1030 ms
    clicked = rec.page(1010, "interaction_click", 1, selector="#go")["seq"]
    typed = _api_call(rec, 2100, "TypeText", 100)
    key = rec.page(2050, "interaction_key", 1, key="a")["seq"]
    shot = _api_call(rec, 3000, "TakeScreenshot", 50)
    rec.page(3100, "network_request", 1, request_id="bg", url="https://x.test/poll",
             method="GET", resource_type="Fetch")
    session = rec.session()
    table = commands(session).set_index("seq")
    assert table.loc[click, "linked_seq"] == clicked
    assert table.loc[click, "input_latency_ms"] == pytest.approx(20.0)
    assert table.loc[typed, "linked_seq"] == key
    assert table.loc[shot, "role"] == "observing"
    assert table["target_id"].tolist() == [TAB] * 3  # one tab: every command acts on it
    effects = telemetry_lab.effects(session)
    assert effects.loc[effects["input_seq"].eq(click).to_numpy(bool), "effect"].tolist() == [
        "interaction"]
    assert not effects["input_seq"].eq(shot).any()  # the poll is not the screenshot's
    assert telemetry_lab.vitals(session)["input_latency_ms"].tolist() == [50.0]


def test_commands_find_their_tab_among_several() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    rec.navigate(5, 1, tab="TAB2", request_ms=5)
    press = _command(rec, 1000, "Input.dispatchMouseEvent", event_type="mousePressed")
    release = _command(rec, 1005, "Input.dispatchMouseEvent", event_type="mouseReleased")
    rec.page(1010, "interaction_click", 1, tab="TAB2", selector="#b")
    go = _command(rec, 2000, "Page.navigate", frame_id=TAB)
    rec.navigate(2100, 2, request_ms=2040)
    table = commands(rec.session()).set_index("seq")
    assert table.loc[[press, release], "target_id"].tolist() == ["TAB2", "TAB2"]
    assert table.loc[go, "target_id"] == TAB  # its frame is TAB's main frame
    assert table.loc[go, "produces"] == "navigation"
    assert table.loc[go, "input_latency_ms"] == pytest.approx(100.0)


def test_only_the_latest_key_down_claims_a_key_press() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    lost = _command(rec, 1000, "Input.dispatchKeyEvent", event_type="keyDown")
    down = _command(rec, 1100, "Input.dispatchKeyEvent", event_type="keyDown")
    up = _command(rec, 1150, "Input.dispatchKeyEvent", event_type="keyUp")
    key = rec.page(1120, "interaction_key", 1, key="x")["seq"]
    paste = _command(rec, 3000, "Input.insertText", text_length=8)
    table = commands(rec.session()).set_index("seq")
    assert table["linked_seq"].reindex([lost, down, up, paste]).tolist()[1] == key
    assert table.loc[[lost, up, paste], "linked_seq"].isna().all()
    rows = telemetry_lab.interactions(rec.session()).set_index("seq")
    assert rows.loc[key, "command_seq"] == down
    assert rows.loc[key, "input_latency_ms"] == pytest.approx(20.0)


def test_agent_recording_counts_and_roles() -> None:
    table = commands(telemetry_lab.read(DATA / "agent.ndjson"))
    assert len(table) == 48
    assert table["label"].value_counts()["Input.dispatchKeyEvent:keyDown"] == 10
    assert table.loc[table["label"].eq("Page.captureScreenshot"), "role"].tolist() == [
        "observing"]
    linked = table.dropna(subset=["linked_seq"])
    assert len(linked) == 8 * 2 + 10 + 2  # press+release per click, keyDowns, navigations
    assert (linked["input_latency_ms"] > 0).all()
