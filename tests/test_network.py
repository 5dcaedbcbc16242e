"""requests(), its summaries and failures: real-Chromium fixtures and hand-built edge cases."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from envelopes import TAB, Recording

import telemetry_lab
from telemetry_lab.metrics.columns import micros
from telemetry_lab.metrics.navigations import navigations
from telemetry_lab.metrics.network import (
    COLUMNS,
    domain_summary,
    failures,
    request_spans,
    requests,
    resource_summary,
)

DATA = Path(__file__).parent / "data"


def _expected(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.expected.json").read_text())


@pytest.fixture(scope="module")
def network() -> pd.DataFrame:
    return requests(telemetry_lab.read(DATA / "network.ndjson"))


@pytest.fixture(scope="module")
def shop() -> pd.DataFrame:
    return requests(telemetry_lab.read(DATA / "shop.ndjson"))


# -- the real-Chromium `network` page ----------------------------------------------------------


def test_network_fixture_counts(network: pd.DataFrame) -> None:
    stream = _expected("network")["network"]["stream"]
    assert list(network.columns) == list(COLUMNS)
    assert len(network) == stream["network_request_events"] == 33
    assert network["request_id"].nunique() == stream["unique_request_ids"] == 32
    assert int((network["hop"] > 0).sum()) == stream["redirect_hops"]
    statuses = network["status"].dropna().astype(int).astype(str)
    assert dict(Counter(statuses)) == stream["responses_by_status"]
    assert network["status"].notna().sum() == stream["network_response_events"] == 28
    assert network["nav_seq"].tolist() == [1] * 33
    assert not network["third_party"].any()


def test_network_fixture_failures(network: pd.DataFrame) -> None:
    stream = _expected("network")["network"]["stream"]
    failed = failures(network)
    loading = failed[failed["outcome"].isin(["failed", "canceled"])]
    assert len(loading) == stream["network_loading_failed_events"] == 3
    got = {(u, r) for u, r in zip(loading["url"], loading["reason"], strict=True)}
    want = {(f["url"], f["error_text"] + (" (canceled)" if f["canceled"] else ""))
            for f in stream["failures"]}
    assert got == want
    script = failed[failed["url"].str.contains("missing.js")].iloc[0]
    assert (script["resource_type"], script["outcome"]) == ("Script", "canceled")
    refused = failed[failed["url"].str.contains("nothing.json")].iloc[0]
    assert refused["outcome"] == "failed"
    http = failed[failed["outcome"] == "http_error"]
    assert http["reason"].tolist() == ["HTTP 404 Not Found"]


def test_network_fixture_redirect_chain(network: pd.DataFrame) -> None:
    chain = network[network["url"].str.contains("redirect")].sort_values("hop")
    assert chain["request_id"].nunique() == 1
    first, second = chain.iloc[0], chain.iloc[1]
    assert (first["hop"], second["hop"]) == (0, 1)
    assert first["url"].startswith("http://127.0.0.1:39651/redirect?to=")
    assert (first["outcome"], pd.isna(first["status"])) == ("ok", True)
    assert not first["is_redirect"] and second["is_redirect"]
    assert second["redirect_url"] == first["url"]
    assert second["url"].endswith("/res/after-redirect.txt")
    assert first["end"] == second["start"]
    assert first["end_ms"] == second["start_ms"]
    assert (second["status"], second["outcome"], second["size"]) == (200, "ok", 20)


def test_network_fixture_document_ends_at_its_dom_content_loaded_bound(
    network: pd.DataFrame,
) -> None:
    expected = _expected("network")
    doc = network[network["resource_type"] == "Document"]
    assert doc["url"].tolist() == expected["network"]["stream"][
        "document_requests_without_response"]
    row = doc.iloc[0]
    nav = navigations(telemetry_lab.read(DATA / "network.ndjson")).iloc[0]
    assert row["outcome"] == "unknown" and pd.isna(row["status"])
    assert row["end_source"] == "estimated_dcl"
    assert row["end_ms"] == pytest.approx(nav["dom_content_loaded_ms"], abs=1e-3)
    assert row["duration_ms"] == pytest.approx(row["end_ms"] - row["start_ms"], abs=1e-3)
    assert row["start_ms"] == 0
    assert network["start_ms"].min() == 0
    assert network.index.is_monotonic_increasing
    assert network["start"].is_monotonic_increasing


def test_requests_without_a_navigation_keep_their_documents_pending() -> None:
    whole = telemetry_lab.read(DATA / "network.ndjson")
    cut = telemetry_lab.Session({t: whole.table(t) for t in whole.types if t != "page_navigation"})
    table = requests(cut)
    assert len(table) == len(requests(whole))
    doc = table[table["resource_type"] == "Document"]
    assert len(doc) == 1 and doc["end_source"].tolist() == ["pending"]


def test_network_fixture_times_and_sizes(network: pd.DataFrame) -> None:
    done = network[network["end"].notna()]
    assert (done["duration_ms"] > 0).all()
    assert ((done["end_ms"] - done["start_ms"] - done["duration_ms"]).abs() < 1e-6).all()
    answered = network[network["status"].notna()]
    assert (answered["size_source"] == "content-length").all()
    lengths = [int(dict(h)["Content-Length"]) for h in answered["response_headers"]]
    assert answered["size"].tolist() == lengths
    assert network.loc[network["status"].isna(), "size"].isna().all()


# -- the bundled `shop` journey ----------------------------------------------------------------


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in Counter(values.dropna().astype(str)).items()}


def test_shop_per_navigation_counts(shop: pd.DataFrame) -> None:
    for nav in _expected("shop")["expected"]["navigations"]:
        rows = shop[shop["nav_seq"] == nav["nav_seq"]]
        last = rows.drop_duplicates("request_id", keep="last")
        assert rows["request_id"].nunique() == nav["requests"], nav["nav_seq"]
        assert len(rows) == nav["network_request_events"]
        assert rows["status"].notna().sum() == nav["responses"]
        assert rows["outcome"].isin(["failed", "canceled"]).sum() == nav["failures"]
        assert _counts(last["resource_type"]) == nav["requests_by_type"]
        assert _counts(last["host"]) == nav["requests_by_host"]
        assert _counts(rows["status"].astype("Int64")) == nav["responses_by_status"]
        assert _counts(rows["error_text"]) == nav["failures_by_error"]
        doc = rows[rows["resource_type"] == "Document"]
        assert doc["url"].iloc[-1] == nav["url"] and doc["start_ms"].iloc[0] == 0


def test_shop_whole_stream_and_summaries(shop: pd.DataFrame) -> None:
    expected = _expected("shop")["expected"]
    assert shop["request_id"].nunique() == expected["requests"]
    assert len(shop) == expected["network_request_events"]
    by_type = resource_summary(shop)
    assert dict(zip(by_type["resource_type"], by_type["requests"], strict=True)) == expected[
        "requests_by_type"]
    assert by_type["requests"].is_monotonic_decreasing
    images = by_type.set_index("resource_type").loc["Image"]
    assert images["failures"] == 1
    image_rows = shop[shop["resource_type"] == "Image"]
    assert images["bytes"] == image_rows["size"].sum()
    assert images["median_ms"] == pytest.approx(image_rows["duration_ms"].median())
    assert images["p90_ms"] == pytest.approx(image_rows["duration_ms"].quantile(0.9), abs=1e-3)
    by_host = domain_summary(shop)
    assert dict(zip(by_host["host"], by_host["requests"], strict=True)) == expected[
        "requests_by_host"]
    party = dict(zip(by_host["host"], by_host["third_party"], strict=True))
    assert party == {"127.0.0.1:36621": False, "127.0.0.2:36621": True,
                     "127.0.0.3:36621": True, "127.0.0.4:36621": True}
    assert by_host.set_index("host")["failures"].to_dict() == {
        "127.0.0.4:36621": 1, "127.0.0.1:36621": 1, "127.0.0.2:36621": 0, "127.0.0.3:36621": 1}


def test_shop_redirected_document_belongs_to_the_new_navigation(shop: pd.DataFrame) -> None:
    doc = shop[shop["request_id"] == "02BA3878A929BBF21C2B56705AEF480F"]
    assert doc["nav_seq"].tolist() == [2, 2]
    assert doc["url"].tolist() == ["http://127.0.0.1:36621/shop/p/NW-1002",
                                   "http://127.0.0.1:36621/shop/product/trail-runner-2"]
    assert doc["start_ms"].tolist() == [0, doc["start_ms"].iloc[1]]
    assert doc["outcome"].tolist() == ["ok", "unknown"]
    assert doc["end_source"].tolist() == ["redirect", "estimated_dcl"]


def test_shop_post_and_summary_duration_spans_hops(shop: pd.DataFrame) -> None:
    posts = shop[shop["method"] == "POST"]
    assert posts["post_data"].str.contains('"qty":3', regex=False).fillna(False).sum() == 1
    summary = resource_summary(shop[shop["resource_type"] == "Document"])
    assert (summary["requests"].item(), summary["failures"].item()) == (3, 0)
    assert pd.isna(summary["median_ms"].item())


def test_summaries_do_not_mutate_and_accept_empty(shop: pd.DataFrame) -> None:
    before = shop.copy()
    resource_summary(shop), domain_summary(shop), failures(shop)
    pd.testing.assert_frame_equal(shop, before)
    for summary in (resource_summary(shop.iloc[:0]), domain_summary(shop.iloc[:0]),
                    failures(shop.iloc[:0])):
        assert summary.empty


# -- hand-built edge cases ---------------------------------------------------------------------


def _req(rec: Recording, at: float, rid: str, url: str, nav: int = 1, **data: Any) -> None:
    rec.page(at, "network_request", nav, request_id=rid, url=url, method="GET",
             resource_type=data.pop("resource_type", "Script"), **data)


def _resp(rec: Recording, at: float, rid: str, url: str, status: int = 200, nav: int = 1,
          **data: Any) -> None:
    rec.page(at, "network_response", nav, request_id=rid, url=url, status=status,
             status_text=data.pop("status_text", "OK"), mime_type="text/plain", **data)


def _site(url: str = "https://www.shop.example.co.uk/") -> Recording:
    rec = Recording()
    rec.navigate(10, 1, url=url, request_ms=0)
    return rec


def test_response_and_failure_without_request_cdp_attached_late() -> None:
    rec = _site()
    _resp(rec, 30, "late.1", "https://www.shop.example.co.uk/a.js", method="GET",
          resource_type="Script")
    rec.page(40, "network_loading_failed", 1, request_id="late.2",
             url="https://cdn.other.example/b.css", error_text="net::ERR_FAILED",
             canceled=False, resource_type="Stylesheet")
    reqs = requests(rec.session()).set_index("request_id")
    late = reqs.loc["late.1"]
    assert pd.isna(late["start"]) and pd.isna(late["start_ms"]) and pd.isna(late["duration_ms"])
    assert (late["hop"], late["outcome"], late["status"], late["end_ms"]) == (0, "ok", 200, 30)
    assert (late["method"], late["resource_type"], late["nav_seq"]) == ("GET", "Script", 1)
    failed = reqs.loc["late.2"]
    assert (failed["outcome"], failed["resource_type"], failed["third_party"]) == (
        "failed", "Stylesheet", True)
    assert reqs.index.tolist()[-2:] == ["late.1", "late.2"]


def test_request_that_never_finished_is_pending() -> None:
    rec = _site()
    _req(rec, 20, "r1", "https://www.shop.example.co.uk/slow")
    reqs = requests(rec.session())
    slow = reqs[reqs["request_id"] == "r1"].iloc[0]
    assert slow["outcome"] == "pending"
    assert pd.isna(slow["end"]) and pd.isna(slow["status"]) and pd.isna(slow["size"])
    assert slow["start_ms"] == 20
    assert failures(reqs).empty


def test_duplicate_response_keeps_the_first() -> None:
    rec = _site()
    _req(rec, 20, "r1", "https://www.shop.example.co.uk/x")
    _resp(rec, 50, "r1", "https://www.shop.example.co.uk/x", headers={"Content-Length": "5"})
    _resp(rec, 70, "r1", "https://www.shop.example.co.uk/x", status=500)
    rec.page(80, "network_loading_failed", 1, request_id="r1", error_text="net::ERR_FAILED")
    reqs = requests(rec.session())
    rows = reqs[reqs["request_id"] == "r1"]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["status"], row["outcome"], row["end_ms"], row["duration_ms"]) == (
        200, "ok", 50, 30)
    assert (row["size"], row["size_source"]) == (5, "content-length")


def test_http_error_reason_and_sizes_from_body() -> None:
    rec = _site()
    _req(rec, 20, "r1", "https://api.shop.example.co.uk/v1?q=1", resource_type="Fetch")
    _resp(rec, 60, "r1", "https://api.shop.example.co.uk/v1?q=1", status=500,
          status_text="Internal Server Error", body="héllo",
          headers={"content-length": "not a number"})
    _req(rec, 25, "r2", "https://www.shop.example.co.uk/empty")
    _resp(rec, 35, "r2", "https://www.shop.example.co.uk/empty", status=204,
          status_text="No Content", headers={"content-length": " 0 "})
    reqs = requests(rec.session()).set_index("request_id")
    assert (reqs.loc["r1", "size"], reqs.loc["r1", "size_source"]) == (6, "body")
    assert (reqs.loc["r2", "size"], reqs.loc["r2", "size_source"]) == (0, "content-length")
    assert (reqs.loc["r1", "path"], reqs.loc["r1", "scheme"]) == ("/v1", "https")
    assert not reqs.loc["r1", "third_party"]
    failed = failures(reqs.reset_index())
    assert failed[["request_id", "outcome", "reason"]].values.tolist() == [
        ["r1", "http_error", "HTTP 500 Internal Server Error"]]


def test_canceled_and_failed_outcomes() -> None:
    rec = _site()
    _req(rec, 20, "a", "https://www.shop.example.co.uk/a")
    rec.page(30, "network_loading_failed", 1, request_id="a", error_text="net::ERR_ABORTED",
             canceled=True)
    _req(rec, 21, "b", "http://10.0.0.8:8080/b")
    rec.page(31, "network_loading_failed", 1, request_id="b",
             error_text="net::ERR_CONNECTION_REFUSED", canceled=False)
    reqs = requests(rec.session()).set_index("request_id")
    assert reqs.loc[["a", "b"], "outcome"].tolist() == ["canceled", "failed"]
    assert (reqs.loc["b", "host"], reqs.loc["b", "domain"]) == ("10.0.0.8:8080", "10.0.0.8")
    assert reqs.loc["b", "third_party"]
    assert failures(reqs.reset_index())["reason"].tolist() == [
        "net::ERR_ABORTED (canceled)", "net::ERR_CONNECTION_REFUSED"]


def test_same_request_id_in_two_tabs_stays_two_requests() -> None:
    rec = _site()
    rec.navigate(12, 1, tab="TAB2", url="https://other.example/", request_ms=2)
    for tab, at in ((TAB, 20), ("TAB2", 22)):
        rec.page(at, "network_request", 1, tab=tab, request_id="same", url="https://x.example/",
                 resource_type="Image")
        rec.page(at + 10, "network_response", 1, tab=tab, request_id="same",
                 url="https://x.example/", status=200)
    reqs = requests(rec.session())
    same = reqs[reqs["request_id"] == "same"]
    assert sorted(same["target_id"]) == [TAB, "TAB2"]
    assert same["outcome"].tolist() == ["ok", "ok"]
    assert same["start_ms"].tolist() == [20, 20]


def test_truncated_response_cannot_be_linked_and_leaves_request_pending() -> None:
    rec = _site()
    _req(rec, 20, "big", "https://www.shop.example.co.uk/big.json")
    env = rec.add(90, "network_response", None, metadata={"target_id": TAB})
    env["event"]["truncated"] = True
    reqs = requests(rec.session())
    assert len(reqs) == 2
    assert reqs.set_index("request_id").loc["big", "outcome"] == "pending"


def test_session_without_network_events_gives_an_empty_typed_frame() -> None:
    rec = Recording()
    rec.add(0, "page_navigation", {"target_id": TAB, "frame_id": TAB, "url": "https://a.test/"})
    reqs = requests(rec.session())
    assert reqs.empty and list(reqs.columns) == list(COLUMNS)
    assert str(reqs["request_headers"].dtype).startswith("map")
    assert resource_summary(reqs).empty


@pytest.mark.parametrize("name", ["shop", "agent"])
def test_request_spans_are_the_hops_of_requests_with_measured_ends_only(name: str) -> None:
    session = telemetry_lab.read_ndjson(DATA / f"{name}.ndjson")
    full = requests(session)
    spans = request_spans(session)
    failed = full["outcome"].isin(["failed", "canceled", "http_error"]).to_numpy(bool)
    end = micros(full["end"])
    end[full["end_source"].astype(str).str.startswith("estimated").to_numpy(bool)] = float("nan")
    want = sorted(zip(full["url"], micros(full["start"]).tolist(), end.tolist(), failed.tolist(),
                      strict=True), key=repr)
    got = sorted(zip(spans["url"], spans["start_us"].tolist(), spans["end_us"].tolist(),
                     spans["failed"].tolist(), strict=True), key=repr)
    assert len(got) == len(full) > 10 and repr(got) == repr(want)
