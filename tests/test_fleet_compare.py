"""compare(): scipy's Mann-Whitney U, numpy's p75, a seeded bootstrap, effect sizes, by=."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import telemetry_lab
from telemetry_lab.datasets.synthetic import vary_session
from telemetry_lab.errors import TelemetryLabError
from telemetry_lab.fleet.batch import sessions_vitals
from telemetry_lab.fleet.compare import bootstrap_p75_delta, compare


@pytest.fixture(scope="module")
def arms() -> tuple[pd.DataFrame, pd.DataFrame]:
    sample = telemetry_lab.load_sample()
    a = sessions_vitals({f"a{i}": vary_session(sample, seed=i, repeats=2) for i in range(8)})
    b = sessions_vitals({f"b{i}": vary_session(sample, seed=100 + i, repeats=2,
                                               lcp_factor=1.4) for i in range(8)})
    return a, b


def _frame(values: list[float], url: str = "u") -> pd.DataFrame:
    return pd.DataFrame({"url": [url] * len(values), "lcp_ms": values,
                         "cls": [0.0] * len(values)}).convert_dtypes(dtype_backend="pyarrow")


@pytest.mark.parametrize("metric", ["lcp_ms", "cls"])
def test_p_value_and_u_are_scipys(arms: tuple[pd.DataFrame, pd.DataFrame], metric: str) -> None:
    a, b = arms
    got = compare(a, b, metric=metric, by="url").set_index("url")
    for url in got.index:
        x = a.loc[a["url"] == url, metric].dropna().to_numpy("float64")
        y = b.loc[b["url"] == url, metric].dropna().to_numpy("float64")
        oracle = stats.mannwhitneyu(x, y, alternative="two-sided")
        assert got.loc[url, "p_value"] == oracle.pvalue
        assert got.loc[url, "u_statistic"] == oracle.statistic
        assert got.loc[url, "p75_delta"] == np.percentile(y, 75) - np.percentile(x, 75)
        assert (got.loc[url, "n_a"], got.loc[url, "n_b"]) == (len(x), len(y))
        greater = (y[:, None] > x[None, :]).mean()
        less = (y[:, None] < x[None, :]).mean()
        assert got.loc[url, "cliffs_delta"] == pytest.approx(greater - less)
        assert got.loc[url, "common_language"] == pytest.approx(
            greater + 0.5 * (1 - greater - less))


def test_exact_and_tied_cases_match_scipy() -> None:
    for x, y in (([1.0, 2.0, 3.0], [4.0, 5.0]), ([1.0, 1.0, 2.0, 2.0], [2.0, 2.0, 3.0])):
        got = compare(_frame(x), _frame(y)).iloc[0]
        oracle = stats.mannwhitneyu(x, y, alternative="two-sided")
        assert (got["u_statistic"], got["p_value"]) == (oracle.statistic, oracle.pvalue)


def test_bootstrap_is_seeded_and_covers_a_real_shift() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.lognormal(7, 0.4, 300), rng.lognormal(7, 0.4, 300) * 1.5
    first = compare(_frame(list(x)), _frame(list(y)))
    again = compare(_frame(list(x)), _frame(list(y)))
    pd.testing.assert_frame_equal(first, again)
    row = first.iloc[0]
    assert row["p75_delta_ci_low"] < row["p75_delta"] < row["p75_delta_ci_high"]
    assert row["p75_delta_ci_low"] > 0
    other = compare(_frame(list(x)), _frame(list(y)), seed=7).iloc[0]
    assert other["p75_delta_ci_low"] != row["p75_delta_ci_low"]
    low, high = bootstrap_p75_delta(x, y, resamples=500, seed=3)
    assert (low, high) == bootstrap_p75_delta(x, y, resamples=500, seed=3)
    same = compare(_frame(list(x)), _frame(list(x))).iloc[0]
    assert same["p75_delta"] == 0 and same["p75_delta_ci_low"] <= 0 <= same["p75_delta_ci_high"]
    assert same["p_value"] == 1.0 and same["cliffs_delta"] == 0


def test_groups_on_one_side_only_get_counts() -> None:
    a = pd.concat([_frame([1.0, 2.0], "x"), _frame([5.0], "only-a")])
    got = compare(a, _frame([3.0, 4.0], "x"), by="url").set_index("url")
    assert got.index.tolist() == ["only-a", "x"]
    assert got.loc["only-a", "n_b"] == 0 and pd.isna(got.loc["only-a", "p_value"])
    assert got.loc["x", "p75_delta"] == 2.0


def test_misuse_is_explained(arms: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    a, b = arms
    with pytest.raises(TelemetryLabError, match="no column 'fcp_ms'"):
        compare(a, b, metric="fcp_ms")
    with pytest.raises(TelemetryLabError, match="cannot group by"):
        compare(a, b, by="page")
    with pytest.raises(TelemetryLabError, match="resamples must be"):
        compare(a, b, resamples=0)
