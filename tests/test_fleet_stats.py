"""fleet_vitals against numpy over per-session vitals; shares, CrUX pass, representative."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import telemetry_lab
from telemetry_lab.datasets.synthetic import vary_session, write_fleet
from telemetry_lab.errors import TelemetryLabError
from telemetry_lab.fleet.batch import sessions_vitals
from telemetry_lab.fleet.stats import SUMMARY_COLUMNS, fleet_vitals
from telemetry_lab.metrics.vitals import vitals


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    sample = telemetry_lab.load_sample()
    return sessions_vitals({f"s{i:02d}": vary_session(sample, seed=i, repeats=2)
                            for i in range(12)})


def _by_hand(**columns: list[object]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"session": [f"s{i}" for i in range(n)], "target_id": ["T"] * n,
            "nav_seq": list(range(1, n + 1)), "url": ["u"] * n, "unreliable": [False] * n}
    return pd.DataFrame({**base, **columns}).convert_dtypes(dtype_backend="pyarrow")


def test_percentiles_are_numpys_over_per_session_vitals(rows: pd.DataFrame) -> None:
    table = fleet_vitals(rows).set_index("url")
    for url, group in rows.groupby("url"):
        lcp = group["lcp_ms"].dropna().to_numpy("float64")
        cls = group["cls"].to_numpy("float64")
        for p in (50, 75, 90):
            assert table.loc[url, f"lcp_p{p}"] == np.percentile(lcp, p)
            assert table.loc[url, f"cls_p{p}"] == np.percentile(cls, p)
        assert table.loc[url, "n"] == len(group)
        assert table.loc[url, "sessions"] == group["session"].nunique() == 12
        shares = group["cls_rating"].value_counts(normalize=True)
        assert table.loc[url, "cls_good"] == pytest.approx(shares.get("good", 0.0))
        assert table.loc[url, "cls_poor"] == pytest.approx(shares.get("poor", 0.0))
    assert list(fleet_vitals(rows).columns) == ["url", *SUMMARY_COLUMNS]


def test_boundaries_get_the_better_rating() -> None:
    frame = _by_hand(lcp_ms=[2500.0, 4000.0, 4000.1, 100.0], cls=[0.1, 0.25, 0.2501, 0.0])
    row = fleet_vitals(frame).iloc[0]
    assert (row["lcp_good"], row["lcp_needs_improvement"], row["lcp_poor"]) == (0.5, 0.25, 0.25)
    assert (row["cls_good"], row["cls_needs_improvement"], row["cls_poor"]) == (0.5, 0.25, 0.25)


def test_cwv_pass_is_lcp_and_cls_good_at_p75() -> None:
    def judged(lcp: list[float | None], cls: list[float]) -> object:
        return fleet_vitals(_by_hand(lcp_ms=lcp, cls=cls))["cwv_pass"].iloc[0]

    assert judged([2000.0, 2500.0, 2500.0, 2500.0, 9000.0], [0.0, 0.1, 0.1, 0.1, 0.9])  # = good
    assert not judged([2000.0, 2500.0, 2600.0, 9000.0], [0.0] * 4)
    assert not judged([1000.0] * 4, [0.0, 0.1, 0.2, 0.3])
    assert pd.isna(judged([None, None], [0.0, 0.0]))


def test_response_time_is_summarised_never_rated() -> None:
    frame = _by_hand(lcp_ms=[1.0, 2.0, 3.0], cls=[0.0] * 3, response_ms=[10.0, None, 700.0])
    table = fleet_vitals(frame)
    assert table.loc[0, "response_n"] == 2
    assert table.loc[0, "response_p75"] == np.percentile([10.0, 700.0], 75)
    assert not any(c.startswith("response_") and "rating" in c for c in table.columns)
    without = fleet_vitals(frame.drop(columns="response_ms"))
    assert without.loc[0, "response_n"] == 0 and pd.isna(without.loc[0, "response_p75"])


def test_representative_is_closest_to_the_medians() -> None:
    frame = _by_hand(lcp_ms=[1000.0, 2000.0, 3000.0, 2100.0, 5000.0],
                     cls=[0.0, 0.3, 0.05, 0.05, 0.05])
    row = fleet_vitals(frame).iloc[0]
    # medians: LCP 2100, CLS 0.05 -> s3 sits on both
    assert row["representative_session"] == "s3" and row["representative_nav_seq"] == 4


def test_by_any_column_and_none(rows: pd.DataFrame) -> None:
    tagged = rows.assign(arm=np.where(rows["session"] < "s06", "A", "B"))
    table = fleet_vitals(tagged, by=["arm", "url"])
    assert len(table) == 6 and table["n"].sum() == len(rows)
    whole = fleet_vitals(rows, by=None)
    assert len(whole) == 1 and whole.loc[0, "lcp_p75"] == np.percentile(
        rows["lcp_ms"].dropna().to_numpy("float64"), 75)
    with pytest.raises(TelemetryLabError, match="cannot group by \\['page'\\]"):
        fleet_vitals(rows, by="page")
    with pytest.raises(TelemetryLabError, match="not per-navigation vitals"):
        fleet_vitals(pd.DataFrame({"url": ["x"]}))
    with pytest.raises(TelemetryLabError, match="expected a dataset root"):
        fleet_vitals(42)


def test_from_a_dataset_root(tmp_path: Path) -> None:
    root = write_fleet(tmp_path, 4, repeats=1)
    table = fleet_vitals(root)
    expected = pd.concat([vitals(telemetry_lab.read_parquet(p)) for p in sorted(root.iterdir())])
    assert table["n"].sum() == len(expected)
    assert table["sessions"].tolist() == [4, 4, 4]
    assert table.attrs["skipped"] == []
