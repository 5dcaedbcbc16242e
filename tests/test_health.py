"""Capture health: every check counts what it says, on real and hand-built recordings."""

from __future__ import annotations

import json

from envelopes import Recording

import telemetry_lab
from telemetry_lab.datasets import sample_path
from telemetry_lab.metrics.health import capture_health
from telemetry_lab.readers import read_ndjson


def _by_check(session: telemetry_lab.Session) -> dict[str, tuple[object, str, bool]]:
    health = capture_health(session)
    return {c: (n, d, ok) for c, n, d, ok in health.astype(object).itertuples(index=False)}


def test_the_real_sample_is_healthy_and_not_a_capture() -> None:
    health = capture_health(telemetry_lab.load_sample())
    assert health["check"].tolist()[:2] == ["seq gaps", "unreadable frames"]
    assert str(health["count"].dtype) == "int64[pyarrow]" and bool(health["ok"].all())
    counts = health.set_index("check")["count"]
    assert counts.isna().tolist().count(True) == 2  # backfill and reconnects: captures only
    assert counts.drop(["backfilled events", "stream reconnects"]).eq(0).all()


def test_gaps_and_garbage_are_flagged_and_name_the_navigation() -> None:
    lines = sample_path().read_bytes().splitlines(keepends=True)
    kept = lines[:99] + lines[110:149] + [b'{"seq": 150, "event": {oops\n'] + lines[150:]
    checks = _by_check(read_ndjson(b"".join(kept)))
    assert checks["seq gaps"][0] == 2 and not checks["seq gaps"][2]
    assert "12 seqs missing: 100–110, 150" in checks["seq gaps"][1]
    assert checks["unreadable frames"][0] == 1 and not checks["unreadable frames"][2]
    assert checks["unreliable navigations"][0] >= 1
    assert "seq gap: 11 events missing (seq 100-110)" in checks["unreliable navigations"][1]


def test_a_garbled_frame_received_again_is_not_lost() -> None:
    lines = sample_path().read_bytes().splitlines(keepends=True)
    checks = _by_check(read_ndjson(b'{"seq": 5, "event": {oops\n' + b"".join(lines)))
    count, detail, ok = checks["unreadable frames"]
    assert count == 1 and ok and detail.startswith("1 received again")


def test_monitor_disconnects_truncation_and_capture_counters() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=-2)
    rec.add(100, "monitor_disconnected", {"reason": "cdp closed"})
    rec.add(900, "monitor_reconnected", {})
    rec.add(950, "monitor_reconnect_failed", {})
    big = rec.add(1000, "console_log", {"level": "log", "text": "x"})
    big["event"]["data"], big["event"]["truncated"] = None, True
    session = rec.session()
    session.source.update(backfilled=3, reconnects=2)
    checks = _by_check(session)
    assert checks["monitor disconnects"][0] == 1 and not checks["monitor disconnects"][2]
    assert checks["monitor reconnect failures"][0] == 1
    assert checks["truncated events"][0] == 1 and "1 MB" in checks["truncated events"][1]
    assert checks["backfilled events"] == (3, "filled from the history endpoint", True)
    assert checks["stream reconnects"][0] == 2 and checks["stream reconnects"][2]
    assert checks["unreliable navigations"] == (1, "monitor disconnected", False)
    assert json.dumps(session.source)  # the counters stay plain JSON for the Parquet metadata
