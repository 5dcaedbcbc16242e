"""check_budgets / parse_budgets: failures as a table, malformed budgets explained."""

from __future__ import annotations

import pandas as pd
import pytest

from telemetry_lab.errors import BudgetError
from telemetry_lab.fleet.budgets import check_budgets, parse_budgets
from telemetry_lab.fleet.stats import fleet_vitals


@pytest.fixture()
def rows() -> pd.DataFrame:
    return pd.DataFrame({
        "session": ["a", "b", "c", "a", "b", "c"],
        "url": ["/fast"] * 3 + ["/slow"] * 3,
        "lcp_ms": [900.0, 1000.0, 1100.0, 3000.0, 3500.0, None],
        "cls": [0.0, 0.0, 0.05, 0.2, 0.3, 0.1],
    }).convert_dtypes(dtype_backend="pyarrow")


def test_failures_are_one_row_per_group_and_budget(rows: pd.DataFrame) -> None:
    failed = check_budgets(rows, lcp_p75=2500, cls_p75=0.1, lcp_good=0.9)
    assert failed[["url", "budget", "kind", "reason"]].values.tolist() == [
        ["/slow", "lcp_p75", "max", "over budget"],
        ["/slow", "cls_p75", "max", "over budget"],
        ["/slow", "lcp_good", "min", "under budget"],
    ]
    fleet = fleet_vitals(rows).set_index("url")
    assert failed.loc[0, "actual"] == fleet.loc["/slow", "lcp_p75"]
    assert failed.loc[0, "over"] == fleet.loc["/slow", "lcp_p75"] - 2500
    assert check_budgets(rows, lcp_p75=4000, cls_p75=0.3).empty


def test_a_fleet_table_is_checked_as_is(rows: pd.DataFrame) -> None:
    fleet = fleet_vitals(rows, by=None)
    failed = check_budgets(fleet, cls_p75=0.1)
    assert failed.columns.tolist()[:1] == ["budget"] and len(failed) == 1


def test_not_measured_fails_but_no_input_is_nothing_to_judge(rows: pd.DataFrame) -> None:
    unmeasured = rows.assign(lcp_ms=rows["lcp_ms"].where(rows["url"] == "/fast"))
    failed = check_budgets(unmeasured, lcp_p75=2500)
    assert failed[["url", "reason"]].values.tolist() == [["/slow", "not measured"]]
    assert failed["actual"].isna().all()
    assert check_budgets(rows, response_p75=200).empty  # no inputs anywhere
    responded = rows.assign(response_ms=[300.0, 300.0, 300.0, None, None, None])
    assert check_budgets(responded, response_p75=200)["url"].tolist() == ["/fast"]


def test_unknown_or_missing_budgets(rows: pd.DataFrame) -> None:
    with pytest.raises(BudgetError, match=r"unknown budget.*lcp_p76.*lcp_p75"):
        check_budgets(rows, lcp_p76=2500)
    with pytest.raises(BudgetError, match="no budgets"):
        check_budgets(rows)


@pytest.mark.parametrize(("text", "match"), [
    ("lcp_p75", "expected NAME=LIMIT"),
    ("=2500", "expected NAME=LIMIT"),
    ("lcp_p75=fast", "'fast' is not a finite number"),
    ("lcp_p75=nan", "not a finite number"),
])
def test_malformed_budget_texts(text: str, match: str) -> None:
    with pytest.raises(BudgetError, match=match):
        parse_budgets([text])


def test_parse_budgets() -> None:
    assert parse_budgets([" lcp_p75 = 2500", "cls_p75=0.1"]) == {"lcp_p75": 2500.0,
                                                                  "cls_p75": 0.1}
    with pytest.raises(BudgetError, match="given twice"):
        parse_budgets(["lcp_p75=1", "lcp_p75=2"])
