"""vitals_dataset: per-session vitals of a dataset root, batch by batch, on any engine."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from test_fleet_batch import _disconnected, _gappy

import telemetry_lab
from telemetry_lab.datasets.synthetic import vary_session
from telemetry_lab.errors import TelemetryLabError
from telemetry_lab.fleet import dataset
from telemetry_lab.fleet.dataset import (
    SkippedSessionsWarning,
    batches,
    session_folders,
    skipped_table,
    vitals_dataset,
)
from telemetry_lab.metrics.vitals import vitals

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sample = telemetry_lab.load_sample()
    sessions = {f"v{i}": vary_session(sample, seed=i, repeats=2) for i in range(4)}
    sessions.update({"lcp": telemetry_lab.read(DATA / "lcp.ndjson"),
                     "agent": telemetry_lab.read(DATA / "agent.sse"),
                     "gappy": _gappy(), "disconnected": _disconnected()})
    return telemetry_lab.write_dataset(sessions, tmp_path_factory.mktemp("fleet"))


def _expected(root: Path) -> pd.DataFrame:
    parts = []
    for folder in session_folders(root):
        frame = vitals(telemetry_lab.read_parquet(folder))
        frame.insert(0, "session", folder.name.removeprefix("session="))
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    out["session"] = out["session"].astype(pd.ArrowDtype(pa.string()))
    return out


def _no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the one-folder-at-a-time fallback fail: the batched read must do the work."""
    def fail(path: str) -> None:
        raise AssertionError(f"fell back to reading {path} alone")

    monkeypatch.setattr(dataset, "_one", fail)


def test_equal_to_vitals_of_read_parquet_per_session(root: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _no_fallback(monkeypatch)
    got = vitals_dataset(root)
    pd.testing.assert_frame_equal(got, _expected(root), check_exact=True)
    assert got.attrs["skipped"] == []
    assert got["session"].drop_duplicates().tolist() == sorted(
        ["v0", "v1", "v2", "v3", "lcp", "agent", "gappy", "disconnected"])


def test_small_batches_give_the_same_table(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset, "BATCH_SESSIONS", 3)
    assert [len(b) for b in batches(session_folders(root), sessions=3)] == [3, 3, 2]
    assert len(batches(session_folders(root), events=1)) == 8
    pd.testing.assert_frame_equal(vitals_dataset(root), _expected(root), check_exact=True)


def test_broken_folders_are_skipped_and_named(root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    for folder in session_folders(root)[:3]:
        telemetry_lab.write_dataset({folder.name.removeprefix("session="):
                                     telemetry_lab.read_parquet(folder)}, broken)
    (broken / "session=empty").mkdir()
    bad_json = broken / "session=bad-json"
    bad_json.mkdir()
    (bad_json / "_session.json").write_text("{not json")
    agent = broken / "session=agent"
    (agent / "page_lcp.parquet").write_bytes(b"PAR1 this is not parquet")
    telemetry_lab.Session().to_parquet(broken / "session=no-events")
    with pytest.warns(SkippedSessionsWarning, match="4 session folder"):
        got = vitals_dataset(broken)
    skipped = skipped_table(got)
    assert skipped["session"].tolist() == ["agent", "bad-json", "empty", "no-events"]
    assert skipped.set_index("session").loc["no-events", "reason"] == "an empty session: no events"
    assert "no _session.json" in skipped.set_index("session").loc["empty", "reason"]
    assert "page_lcp" in skipped.set_index("session").loc["agent", "reason"]
    kept = _expected(root)
    kept = kept[kept["session"].isin(got["session"].unique())].reset_index(drop=True)
    assert got["session"].unique().tolist() == ["disconnected", "gappy"]
    pd.testing.assert_frame_equal(got, kept, check_exact=True)


def test_every_folder_broken_gives_an_empty_table(tmp_path: Path) -> None:
    (tmp_path / "session=a").mkdir()
    with pytest.warns(SkippedSessionsWarning):
        got = vitals_dataset(tmp_path)
    assert got.empty and got.columns[0] == "session"
    assert list(got.columns[1:]) == list(vitals(telemetry_lab.Session()).columns)


def test_not_a_dataset_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(TelemetryLabError, match="not a folder"):
        vitals_dataset(tmp_path / "missing")
    with pytest.raises(TelemetryLabError, match="no session=<name>/ folders"):
        vitals_dataset(tmp_path)
    telemetry_lab.load_sample().to_parquet(tmp_path / "one")
    with pytest.raises(TelemetryLabError, match="single session"):
        vitals_dataset(tmp_path / "one")


def test_unknown_engine_is_an_error(root: Path) -> None:
    with pytest.raises(TelemetryLabError, match="unknown engine 'spark'"):
        vitals_dataset(root, engine="spark")
    with pytest.raises(TelemetryLabError, match="not an engine"):
        vitals_dataset(root, engine=42)


def test_dask_engine_gives_the_identical_table(root: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        by_client = vitals_dataset(root, engine=client)
        by_name = vitals_dataset(root, engine="dask")  # the running client
    embedded = vitals_dataset(root)
    pd.testing.assert_frame_equal(by_client, embedded, check_exact=True)
    pd.testing.assert_frame_equal(by_name, embedded, check_exact=True)


def test_names_are_taken_verbatim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_fallback(monkeypatch)
    sample = telemetry_lab.load_sample()
    telemetry_lab.write_dataset({"run 1": sample, "p%41": sample, "b=2": sample}, tmp_path)
    got = vitals_dataset(tmp_path)
    monkeypatch.undo()
    assert got["session"].drop_duplicates().tolist() == ["b=2", "p%41", "run 1"]
    pd.testing.assert_frame_equal(got, _expected(tmp_path), check_exact=True)


def test_files_named_in_session_json_are_read(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    sample = telemetry_lab.load_sample()
    root = telemetry_lab.write_dataset({"a": sample, "b": sample}, tmp_path)
    meta_path = root / "session=b" / "_session.json"
    meta = json.loads(meta_path.read_text())
    (root / "session=b" / "page_lcp.parquet").rename(root / "session=b" / "page%5Flcp.parquet")
    meta["files"] = {name: f"{name}.parquet" for name in meta["types"]}
    meta["files"]["page_lcp"] = "page%5Flcp.parquet"
    meta_path.write_text(json.dumps(meta))
    _no_fallback(monkeypatch)
    got = vitals_dataset(root)
    expected = vitals(sample)
    for name in ("a", "b"):
        mine = got[got["session"] == name].drop(columns="session").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, expected, check_exact=True)
