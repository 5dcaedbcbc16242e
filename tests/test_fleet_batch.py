"""Batched vitals equal one vitals() call per session, whatever the sessions hold."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from envelopes import Recording

import telemetry_lab
from telemetry_lab.datasets.synthetic import vary_session
from telemetry_lab.fleet.batch import Batch, batch_vitals, combine, sessions_vitals
from telemetry_lab.metrics.vitals import vitals

DATA = Path(__file__).parent / "data"


def _disconnected() -> telemetry_lab.Session:
    rec = Recording()
    rec.navigate(0, 1, request_ms=-5)
    rec.add(100, "monitor_disconnected", {})
    rec.lcp(400, 5000, element_id="a")
    rec.add(900, "monitor_reconnected", {})
    rec.shift(950, 0.2)
    return rec.session()


def _gappy() -> telemetry_lab.Session:
    rec = Recording()
    rec.navigate(0, 1, request_ms=-5)
    rec.lcp(300, 5000, element_id="b")
    rec.page(400, "page_load", 1, skip=3)
    rec.shift(500, 0.05)
    return rec.session()


def _no_target() -> telemetry_lab.Session:
    rec = Recording()
    rec.add(0, "page_navigation", {"frame_id": "F", "loader_id": "L", "url": "https://x.test/"})
    rec.add(200, "page_lcp", {"frame_id": "F", "loader_id": "L", "source_frame_id": "F",
                              "time": 1.8e9, "lcp_details": {"render_time": 1.8e9, "size": 10}})
    return rec.session()


@pytest.fixture(scope="module")
def fleet() -> dict[str, telemetry_lab.Session]:
    sample = telemetry_lab.load_sample()
    sessions = {f"varied-{i}": vary_session(sample, seed=i, repeats=2) for i in range(3)}
    sessions.update({
        "sample": sample,
        "same-ids": sample,  # identical target, loader and request ids as "sample"
        "lcp": telemetry_lab.read(DATA / "lcp.ndjson"),
        "network": telemetry_lab.read(DATA / "network.sse"),
        "agent": telemetry_lab.read(DATA / "agent.ndjson"),
        "agent-again": telemetry_lab.read(DATA / "agent.sse"),  # same times and ids as "agent"
        "disconnected": _disconnected(),
        "gappy": _gappy(),
        "no-target": _no_target(),
        "empty": telemetry_lab.Session(),
        "sliced": sample.slice(end=sample.time_range[1] - pd.Timedelta(seconds=20)),
    })
    return sessions


def test_equal_to_one_call_per_session(fleet: dict[str, telemetry_lab.Session]) -> None:
    both = sessions_vitals(fleet)
    assert both["session"].unique().tolist() == [n for n in fleet if len(vitals(fleet[n]))]
    for name, session in fleet.items():
        mine = both[both["session"] == name].drop(columns="session").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, vitals(session), check_exact=True, obj=name)


def test_special_sessions_are_really_special(fleet: dict[str, telemetry_lab.Session]) -> None:
    assert vitals(fleet["disconnected"])["unreliable"].all()
    assert vitals(fleet["gappy"])["unreliable"].all()
    assert vitals(fleet["no-target"])["target_id"].isna().all()
    batch = Batch.from_sessions(fleet)
    names = batch.names
    assert {names[k] for k in batch.solo} == {"disconnected", "gappy", "agent", "agent-again"}


def test_order_and_session_column_follow_the_mapping(
        fleet: dict[str, telemetry_lab.Session]) -> None:
    picked = {name: fleet[name] for name in ("sample", "varied-0", "lcp")}
    both = sessions_vitals(dict(reversed(picked.items())))
    assert both["session"].drop_duplicates().tolist() == ["lcp", "varied-0", "sample"]
    assert str(both["session"].dtype) == "string[pyarrow]"


def test_combined_session_keeps_sessions_apart(fleet: dict[str, telemetry_lab.Session]) -> None:
    batch = Batch.from_sessions({"a": fleet["sample"], "b": fleet["sample"]})
    combined = combine(batch, [0, 1])
    assert combined.gaps.empty and len(combined) == 2 * len(fleet["sample"])
    targets = combined.frame("page_navigation")["target_id"].unique().tolist()
    assert len(targets) == 2
    assert combined.frame("page_lcp")["lcp_element_id"].equals(
        pd.concat([fleet["sample"].frame("page_lcp")["lcp_element_id"]] * 2, ignore_index=True))


def test_solo_members_need_their_session(fleet: dict[str, telemetry_lab.Session]) -> None:
    batch = Batch.from_sessions({"gappy": fleet["gappy"]})
    with pytest.raises(ValueError, match="solo members"):
        batch_vitals(batch)


def test_one_session_alone(fleet: dict[str, telemetry_lab.Session]) -> None:
    got = sessions_vitals({"only": fleet["agent"]})
    pd.testing.assert_frame_equal(got.drop(columns="session"), vitals(fleet["agent"]))
