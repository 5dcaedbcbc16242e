"""The table builder: routing, typed columns, unknown types and fields, bad input, increments."""

from __future__ import annotations

import json
import time
from concurrent.futures import Future
from typing import Any

import pyarrow as pa
import pytest
from envelopes import envelope, epoch_seconds, micros, ndjson

import telemetry_lab
from telemetry_lab import tables
from telemetry_lab.decode import Batch, NDJSONDecoder
from telemetry_lab.schema import SCHEMAS
from telemetry_lab.tables import TableBuilder

PAGE = {"target_id": "T1", "target_type": "page", "session_id": "S1", "frame_id": "F1",
        "loader_id": "L1", "url": "https://example.test/", "nav_seq": 1}


def read(envelopes: list[dict[str, Any]]) -> telemetry_lab.Session:
    return telemetry_lab.read_ndjson(ndjson(envelopes))


def test_values_land_in_their_typed_columns() -> None:
    data = {**PAGE, "request_id": "R1", "status": 404, "status_text": "Not Found",
            "headers": {"Content-Type": "text/html", "Content-Length": "12"},
            "mime_type": "text/html", "body": "<h1>nope</h1>"}
    frame = read([envelope(3, 5.0, "network_response", data)]).frame("network_response")
    row = frame.iloc[0]
    assert row["seq"] == 3
    assert row["ts"] == pd_ts(micros(5.0))
    assert row["status"] == 404
    assert row["target_id"] == "T1"
    assert row["nav_seq"] == 1
    assert dict(row["headers"]) == {"Content-Type": "text/html", "Content-Length": "12"}
    assert row["body"] == "<h1>nope</h1>"
    assert row["truncated"] is False or row["truncated"] == False  # noqa: E712 (Arrow scalar)
    assert pd_isna(row["extra"])


def pd_ts(us: int) -> Any:
    import pandas as pd

    return pd.Timestamp(us, unit="us", tz="UTC")


def pd_isna(value: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_context_falls_back_to_source_metadata() -> None:
    env = envelope(1, 0.0, "monitor_screenshot", {"png": "iVBOR"},
                  metadata={"cdp_session_id": "S9", "target_id": "T9", "target_type": "page"})
    row = read([env]).frame("monitor_screenshot").iloc[0]
    assert (row["target_id"], row["session_id"], row["target_type"]) == ("T9", "S9", "page")


def test_timeline_times_normalised_from_seconds_milliseconds_and_microseconds() -> None:
    at = epoch_seconds(1500.0)
    rows = [
        envelope(1, 1600.0, "page_lcp", {**PAGE, "time": at, "lcp_details": {
            "render_time": at, "load_time": at - 0.1, "size": 100.0, "element_id": "hero"}}),
        envelope(2, 1600.0, "page_lcp", {**PAGE, "time": at * 1e3, "lcp_details": {
            "render_time": 0, "load_time": at * 1e3, "size": 200.0}}),
        envelope(3, 1600.0, "page_lcp", {**PAGE, "time": at * 1e6, "lcp_details": {
            "render_time": at * 1e6}}),
    ]
    frame = read(rows).frame("page_lcp")
    expected = pd_ts(micros(1500.0))
    assert list(frame["time"]) == [expected] * 3
    assert frame["lcp_render_time"].iloc[0] == expected
    assert pd_isna(frame["lcp_render_time"].iloc[1])  # 0 means "not exposed", never 1970
    assert frame["lcp_render_time_raw"].iloc[1] == 0
    assert frame["lcp_load_time"].iloc[1] == expected
    assert frame["time_raw"].tolist() == [at, at * 1e3, at * 1e6]
    assert str(frame["time"].dtype) == "timestamp[us, tz=UTC][pyarrow]"


def test_raw_cdp_camel_case_fields_are_accepted() -> None:
    rows = [
        envelope(1, 0.0, "page_layout_shift", {**PAGE, "time": epoch_seconds(10),
                                                "layoutShiftDetails": {
                                                    "value": 0.25, "hadRecentInput": True}}),
        envelope(2, 0.0, "page_lcp", {**PAGE, "lcp_details": {"renderTime": epoch_seconds(20),
                                                               "elementId": "x", "nodeId": 4}}),
    ]
    session = read(rows)
    shift = session.frame("page_layout_shift").iloc[0]
    assert shift["layout_shift_value"] == 0.25
    assert shift["layout_shift_had_recent_input"] == True  # noqa: E712
    lcp = session.frame("page_lcp").iloc[0]
    assert (lcp["lcp_element_id"], lcp["lcp_node_id"]) == ("x", 4)
    assert lcp["lcp_render_time"] == pd_ts(micros(20))
    assert pd_isna(shift["extra"]) and pd_isna(lcp["extra"])


def test_unknown_type_gets_a_generic_table_with_data_as_json() -> None:
    env = envelope(7, 1.0, "page_prerender", {**PAGE, "rule": {"eagerness": "moderate"}, "n": 2})
    env["event"]["category"] = "page"
    frame = read([env]).frame("page_prerender")
    row = frame.iloc[0]
    assert list(frame.columns[:6]) == ["seq", "ts", "type", "category", "source_kind",
                                       "source_event"]
    assert row["target_id"] == "T1"
    assert json.loads(row["data"]) == {**PAGE, "rule": {"eagerness": "moderate"}, "n": 2}


def test_unknown_fields_go_to_extra_at_every_level() -> None:
    env = envelope(1, 0.0, "interaction_click", {**PAGE, "x": 1, "y": 2, "pressure": 0.5,
                                                 "modifiers": ["shift", 2]},
                   metadata={"target_id": "T1", "worker": "w7"})
    env["event"]["priority"] = "high"
    env["trace"] = {"id": "abc"}
    row = read([env]).frame("interaction_click").iloc[0]
    assert row["x"] == 1
    assert json.loads(row["extra"]) == {
        "trace": {"id": "abc"},
        "event.priority": "high",
        "event.source.metadata.worker": "w7",
        "event.data.pressure": 0.5,
        # a mixed-type array the columnar reader cannot hold is kept as its JSON text
        "event.data.modifiers": '["shift",2]',
    }


def test_a_list_starting_with_null_is_kept_intact() -> None:
    # Arrow's JSON inference builds a corrupt array for [null, "x"]; the event must still load
    # with every value, and nothing may crash when the column is read.
    rows = [envelope(1, 0.0, "page_load", {**PAGE, "hint": [None, "x", "y"]}),
            envelope(2, 1.0, "page_load", {**PAGE, "cdp_timestamp": 3.5})]
    frame = read(rows).frame("page_load")
    assert frame["seq"].tolist() == [1, 2]
    assert json.loads(json.loads(frame["extra"][0])["event.data.hint"]) == [None, "x", "y"]
    assert frame["cdp_timestamp"][1] == 3.5


def test_every_known_type_has_its_schema_even_when_data_is_null() -> None:
    rows = [envelope(i + 1, float(i), name, None) for i, name in enumerate(SCHEMAS)]
    session = read(rows)
    assert session.types == sorted(SCHEMAS)
    for name, schema in SCHEMAS.items():
        assert session.table(name).schema == schema, name


def test_truncated_envelope_keeps_the_event() -> None:
    env = envelope(1, 0.0, "network_response", None)
    env["event"]["truncated"] = True
    row = read([env]).frame("network_response").iloc[0]
    assert row["truncated"] == True  # noqa: E712
    assert pd_isna(row["status"])


GOOD = envelope(1, 0.0, "page_load", {**PAGE, "cdp_timestamp": 12.5})
BAD_LINES = {
    "invalid JSON": b'{"seq": 2, "event": {"ts": 1, "type": "page_load"',
    "missing seq": json.dumps({"event": GOOD["event"]}).encode(),
    "missing event.type": json.dumps({"seq": 2, "event": {"ts": 1}}).encode(),
    "missing event.ts": json.dumps({"seq": 2, "event": {"type": "page_load"}}).encode(),
    "wrong field type": json.dumps({"seq": 2, "event": {**GOOD["event"], "data": {
        "cdp_timestamp": "soon"}}}).encode(),
    "seq must be": json.dumps({"seq": 0, "event": GOOD["event"]}).encode(),
    "not a JSON object": b'["seq", 2]',
    "missing event": json.dumps({"seq": 2, "evnt": GOOD["event"]}).encode(),
}


@pytest.mark.parametrize("reason", list(BAD_LINES))
def test_each_kind_of_malformed_line_is_recorded_and_the_rest_loads(reason: str) -> None:
    after = envelope(3, 2.0, "page_load", {**PAGE, "cdp_timestamp": 13.0})
    data = ndjson([GOOD]) + BAD_LINES[reason] + b"\n" + ndjson([after])
    session = telemetry_lab.read_ndjson(data)
    assert session.frame("page_load")["seq"].tolist() == [1, 3]
    [error] = session.errors.to_dict("records")
    assert error["position"] == 2
    assert error["reason"].startswith(reason), error["reason"]
    assert error["raw"] == BAD_LINES[reason].decode()[:200]


def test_wrong_field_type_names_the_field_and_the_expectation() -> None:
    session = telemetry_lab.read_ndjson(BAD_LINES["wrong field type"])
    assert "event.data.cdp_timestamp is str" in session.errors["reason"][0]
    assert "expected a number" in session.errors["reason"][0]
    assert session.errors["seq"][0] == 2


def test_blank_and_padded_lines_are_not_errors() -> None:
    good = ndjson([GOOD]).strip()
    session = telemetry_lab.read_ndjson(b"\n  \t\n" + b"  " + good + b"  \r\n\n")
    assert session.errors.empty
    assert session.frame("page_load")["seq"].tolist() == [1]


def test_many_bad_lines_among_many_good_ones() -> None:
    good = [envelope(i, float(i), "page_load", {**PAGE, "cdp_timestamp": float(i)})
            for i in range(1, 2001)]
    lines = ndjson(good).splitlines()
    for i in range(5, 2000, 97):
        lines[i] = lines[i][:-3]  # cut: invalid JSON
    session = telemetry_lab.read_ndjson(b"\n".join(lines))
    broken = set(range(5, 2000, 97))
    assert len(session.errors) == len(broken)
    assert set(session.errors["position"]) == {i + 1 for i in broken}
    assert set(session.frame("page_load")["seq"]) == {i + 1 for i in range(2000)} - {
        i + 1 for i in broken}
    assert session.gaps["missing"].sum() == len(broken)


def test_a_type_string_inside_data_does_not_misroute() -> None:
    env = {"event": {"data": {**PAGE, "type": "interaction_click", "x": 3, "y": 4},
                     "type": "interaction_click", "category": "interaction",
                     "source": {"kind": "cdp"}, "ts": micros(1)}, "seq": 1}
    env2 = {"seq": 2, "event": {"data": {"type": "decoy"}, "ts": micros(2), "type": "page_load",
                                "category": "page", "source": {"kind": "cdp"}}}
    session = read([env, env2])
    assert session.types == ["interaction_click", "page_load"]
    assert session.frame("interaction_click")["x"].tolist() == [3]
    assert json.loads(session.frame("page_load")["extra"][0]) == {"event.data.type": "decoy"}


def test_duplicates_keep_the_first_copy() -> None:
    first = envelope(5, 0.0, "page_load", {**PAGE, "cdp_timestamp": 1.0})
    again = envelope(5, 0.0, "page_load", {**PAGE, "cdp_timestamp": 2.0})
    session = read([first, again, envelope(6, 1.0, "page_load", None)])
    assert session.frame("page_load")["cdp_timestamp"].tolist()[0] == 1.0
    assert len(session) == 2
    assert session.duplicates.to_dict("records") == [
        {"seq": 5, "type": "page_load", "position": 2}
    ]
    assert session.warnings.empty


def test_a_restarted_counter_is_reported_and_both_runs_kept() -> None:
    first_run = [envelope(seq, seq, "console_log", {"text": f"a{seq}"}) for seq in (1, 2, 3)]
    second_run = [envelope(seq, 100 + seq, "console_log", {"text": f"b{seq}"}) for seq in (1, 2)]
    replayed = envelope(2, 102, "console_log", {"text": "b2"})  # a true duplicate of the restart
    session = read([*first_run, *second_run, replayed])
    frame = session.frame("console_log")
    assert sorted(frame["text"].tolist()) == ["a1", "a2", "a3", "b1", "b2"]
    assert session.duplicates.to_dict("records") == [
        {"seq": 2, "type": "console_log", "position": 6}
    ]
    warnings = session.warnings
    assert warnings["position"].tolist() == [4, 5]
    assert warnings["seq"].tolist() == [1, 2]
    assert all("went back" in reason for reason in warnings["reason"])
    assert session.gaps.empty and session.errors.empty


def test_deep_nesting_is_one_error_and_the_rest_loads() -> None:
    ok = [envelope(1, 0.0, "page_load", PAGE), envelope(3, 2.0, "page_load", PAGE)]
    lines = ndjson(ok).splitlines()
    for depth in (250, 1_000, 3_000, 100_000):
        deep = (b'{"seq":2,"event":{"ts":1,"type":"page_load","data":{"x":'
                + b"[" * depth + b"]" * depth + b"}}}")
        session = telemetry_lab.read_ndjson(b"\n".join([lines[0], deep, lines[1]]))
        assert session.frame("page_load")["seq"].tolist() == [1, 3]
        assert session.errors["seq"].tolist() == [2]
        reason = f"JSON nested {depth + 3} levels deep; at most 200 are read"
        assert session.errors["reason"].tolist() == [reason]


def test_nesting_within_the_bound_loads() -> None:
    value: Any = "leaf"
    for _ in range(150):
        value = {"k": value}
    frame = read([envelope(1, 0.0, "page_load", {**PAGE, "deep": value})]).frame("page_load")
    assert json.loads(frame["extra"][0])["event.data.deep"] == value


@pytest.mark.parametrize("field", ["seq", "ts"])
def test_integers_beyond_int64_are_one_error(field: str) -> None:
    bad = envelope(2, 1.0, "page_load", PAGE)
    text = json.dumps(bad).replace(
        f'"{field}": {bad["seq"] if field == "seq" else bad["event"]["ts"]}',
        f'"{field}": 99999999999999999999',
    ).encode()
    ok = ndjson([envelope(1, 0.0, "page_load", PAGE), envelope(3, 2.0, "page_load", PAGE)])
    lines = ok.splitlines()
    session = telemetry_lab.read_ndjson(b"\n".join([lines[0], text, lines[1]]))
    assert session.frame("page_load")["seq"].tolist() == [1, 3]
    errors = session.errors
    assert len(errors) == 1 and "beyond the 64-bit integer range" in errors["reason"][0]
    # a seq beyond int64 is no seq at all: the error has none
    assert errors["seq"].isna().tolist() == [field == "seq"]
    assert session.gaps["missing"].sum() == 1


def test_invalid_utf8_is_replaced_and_reported() -> None:
    good = ndjson([envelope(1, 0.0, "console_log", {**PAGE, "text": "caf\u00e9"})])
    bad = ndjson([envelope(2, 1.0, "console_log", {**PAGE, "text": "Xq"})]).replace(
        b"Xq", b"a\xff\xfeb\xe9"
    )
    session = telemetry_lab.read_ndjson(good + bad)
    assert session.frame("console_log")["text"].tolist() == ["caf\u00e9", "a\ufffd\ufffdb\ufffd"]
    assert session.errors.empty
    warnings = session.warnings
    assert warnings["seq"].tolist() == [2] and warnings["position"].tolist() == [2]
    assert "invalid UTF-8 replaced by U+FFFD" in warnings["reason"][0]
    session.table("console_log").validate(full=True)


def test_ten_thousand_unknown_keys_load_quickly() -> None:
    keys = {f"k{i}": i for i in range(10_000)}
    envelopes = [envelope(1, 0.0, "page_load", PAGE),
                 envelope(2, 1.0, "page_load", {**PAGE, **keys})]
    started = time.perf_counter()
    frame = read(envelopes).frame("page_load")
    elapsed = time.perf_counter() - started
    assert frame["extra"].isna().tolist() == [True, False]
    extra = json.loads(frame["extra"][1])
    assert len(extra) == 10_000 and extra["event.data.k9999"] == 9999
    assert elapsed < 2.0  # 55 s with one struct_field call per key


def test_builder_snapshots_at_any_time_without_reparsing(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[int] = []
    original = tables.parse_block

    def counting(name: str, data: bytes, count: int) -> tables.Parsed:
        parsed.append(count)
        return original(name, data, count)

    monkeypatch.setattr(tables, "parse_block", counting)
    builder = TableBuilder()
    decoder = NDJSONDecoder()
    rows = [envelope(i, float(i), "page_load", {**PAGE, "cdp_timestamp": float(i)})
            for i in range(1, 31)]
    builder.add(decoder.feed(ndjson(rows[:10])))
    first = telemetry_lab.Session.from_builder(builder)
    builder.add(decoder.feed(ndjson(rows[10:])))
    second = telemetry_lab.Session.from_builder(builder)
    assert len(first) == 10
    assert len(second) == 30
    assert parsed == [10, 20]
    assert second.frame("page_load")["seq"].tolist() == list(range(1, 31))


def test_a_rare_type_waits_for_a_bounded_stretch_of_input(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    parsed: list[tuple[str, int]] = []
    original = tables.parse_block

    def counting(name: str, data: bytes, count: int) -> tables.Parsed:
        parsed.append((name, count))
        return original(name, data, count)

    class Inline:  # parse at once, on this thread: what was sent is parsed when add() returns
        def submit(self, fn: Any, *args: Any) -> Future[Any]:
            future: Future[Any] = Future()
            future.set_result(fn(*args))
            return future

    monkeypatch.setattr(tables, "parse_block", counting)
    monkeypatch.setattr(tables, "_executor", Inline)
    monkeypatch.setattr(tables, "_MAX_WAIT_INPUT", 20_000)
    builder = TableBuilder()
    decoder = NDJSONDecoder()
    builder.add(decoder.feed(ndjson([envelope(1, 0.0, "page_lcp", {"time": 1796018034.1327})])))
    arrived, seq = 0, 1
    while not parsed and arrived < 100_000:
        batch = ndjson([envelope(seq + i, float(seq + i), "page_load",
                                 {**PAGE, "cdp_timestamp": float(seq + i)}) for i in range(1, 11)])
        seq += 10
        builder.add(decoder.feed(batch))
        arrived += len(batch)
    # without a snapshot, one line of page_lcp is parsed only because enough input went past it
    assert parsed[0] == ("page_lcp", 1)
    assert 19_000 <= arrived < 20_000 + 2 * len(batch)  # the bound counts the rare line too
    session = telemetry_lab.Session.from_builder(builder)
    assert session.table("page_lcp")["seq"].to_pylist() == [1]
    assert session.table("page_load")["seq"].to_pylist() == list(range(2, seq + 1))


def test_out_of_order_batches_are_held_by_seq() -> None:
    builder = TableBuilder()
    for seqs in ([10, 11], [3, 4], [12]):
        builder.add(Batch(lines=ndjson([envelope(s, float(s), "page_load", None)
                                        for s in seqs]).splitlines(), positions=seqs))
    assert builder.tables()["page_load"]["seq"].to_pylist() == [3, 4, 10, 11, 12]
    assert builder.last_seq == 12


def test_type_errors_inside_known_nested_objects() -> None:
    env = envelope(1, 0.0, "page_lcp", {**PAGE, "lcp_details": {"size": "big"}})
    session = read([env])
    assert "event.data.lcp_details.size is str" in session.errors["reason"][0]


def test_parse_schema_declares_what_the_table_types() -> None:
    schema = tables.parse_schema("network_request")
    data = schema.field("event").type.field("data").type
    assert data.field("is_redirect").type == pa.bool_()
    assert data.get_field_index("headers") < 0  # inferred, then turned into a map
