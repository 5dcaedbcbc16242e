"""HAR 1.2 export: valid against the HAR 1.2 schema, readable by haralyzer, redacted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from envelopes import Recording
from haralyzer import HarParser

import telemetry_lab
from telemetry_lab.export.har import REDACTED, har, to_har

DATA = Path(__file__).parent / "data"
SCHEMA = json.loads((DATA / "har-1.2.schema.json").read_text())


def _validate(doc: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)


@pytest.fixture(scope="module")
def shop_har(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = to_har(telemetry_lab.read(DATA / "shop.ndjson"),
                  tmp_path_factory.mktemp("har") / "shop.har")
    return json.loads(path.read_text("utf-8"))


def test_schema_rejects_what_har_forbids(shop_har: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(shop_har))
    broken["log"]["entries"][0]["timings"]["dns"] = -2
    with pytest.raises(jsonschema.ValidationError):
        _validate(broken)
    del broken["log"]["entries"][0]["timings"]
    with pytest.raises(jsonschema.ValidationError):
        _validate(broken)


def test_shop_har_is_valid_har_1_2(shop_har: dict[str, Any]) -> None:
    _validate(shop_har)
    log = shop_har["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "telemetry_lab"
    starts = [e["startedDateTime"] for e in log["entries"]]
    assert starts == sorted(starts)


def test_haralyzer_reads_pages_and_entries(shop_har: dict[str, Any]) -> None:
    expected = json.loads((DATA / "shop.expected.json").read_text())["expected"]["navigations"]
    parser = HarParser(shop_har)
    assert [p.title for p in parser.pages] == [n["url"] for n in expected]
    assert [len(p.entries) for p in parser.pages] == [n["network_request_events"]
                                                      for n in expected]
    statuses: dict[int, int] = {}
    for page in parser.pages:
        for entry in page.entries:
            statuses[entry.status] = statuses.get(entry.status, 0) + 1
    assert statuses == {200: 90, 204: 4, 404: 1, 0: 6}
    home = parser.pages[0]
    assert home.page_load_time == pytest.approx(1128.158, abs=1e-3)
    css = next(e for e in home.entries if e.url.endswith("/shop/static/app.css"))
    assert (css.request.method, css.response.mimeType) == ("GET", "text/css")
    assert css.time == pytest.approx(css.timings["wait"])


def test_unknown_timings_pending_and_redirects(shop_har: dict[str, Any]) -> None:
    entries = shop_har["log"]["entries"]
    for entry in entries:
        timings = entry["timings"]
        assert [timings[k] for k in ("blocked", "dns", "connect", "ssl")] == [-1] * 4
        assert timings["send"] == timings["receive"] == 0
        assert timings["wait"] == entry["time"] >= 0
    assert not [e for e in entries if e["_outcome"] == "pending"]
    documents = [e for e in entries if e["_resourceType"] == "Document" and "pageref" in e
                 and e["response"]["redirectURL"] == ""]
    assert len(documents) == 3
    assert all(e.get("_estimated") is True and e["response"]["status"] == 0 and e["time"] > 0
               and e["comment"].startswith("estimated:") for e in documents)
    onload = {p["id"]: p["pageTimings"]["onContentLoad"] for p in shop_har["log"]["pages"]}
    assert [e["time"] for e in documents] == pytest.approx([onload[e["pageref"]] - (
        0 if e["_requestId"] != "02BA3878A929BBF21C2B56705AEF480F" else 26.359) for e in documents])
    assert not any("_estimated" in e for e in entries if e not in documents)
    hops = [e for e in entries if e["_requestId"] == "02BA3878A929BBF21C2B56705AEF480F"]
    assert hops[0]["response"]["redirectURL"] == hops[1]["request"]["url"]
    assert hops[1]["response"]["redirectURL"] == ""
    assert {hops[0]["pageref"], hops[1]["pageref"]} == {"page_2"}
    orb = next(e for e in entries if e.get("_errorText") == "net::ERR_BLOCKED_BY_ORB")
    assert orb["response"]["status"] == 0 and orb["_outcome"] == "failed"


def _with_secrets() -> telemetry_lab.Session:
    rec = Recording()
    rec.navigate(10, 1, url="https://a.test/", request_ms=0)
    rec.page(20, "network_request", 1, request_id="r1", method="POST",
             url="https://a.test/api?x=1&y=&x=2", resource_type="Fetch",
             post_data='{"q": "é"}',
             headers={"Cookie": "sid=s3cret", "authorization": "Bearer t0ken",
                      "Proxy-Authorization": "Basic cHJveHk=",
                      "Content-Type": "application/json"})
    rec.page(50, "network_response", 1, request_id="r1", url="https://a.test/api?x=1&y=&x=2",
             status=201, status_text="Created", mime_type="application/json",
             headers={"set-cookie": "sid=n3w", "Content-Length": "2"})
    return rec.session()


def _headers(entry: dict[str, Any], part: str) -> dict[str, str]:
    return {h["name"]: h["value"] for h in entry[part]["headers"]}


def test_secrets_are_redacted_by_default_with_an_opt_out(tmp_path: Path) -> None:
    session = _with_secrets()
    doc = json.loads(to_har(session, tmp_path / "a.har").read_text("utf-8"))
    _validate(doc)
    entry = next(e for e in doc["log"]["entries"] if e["_requestId"] == "r1")
    sent, received = _headers(entry, "request"), _headers(entry, "response")
    assert sent["Cookie"] == sent["authorization"] == sent["Proxy-Authorization"] == REDACTED
    assert sent["Content-Type"] == "application/json"
    assert received["set-cookie"] == REDACTED
    assert "s3cret" not in (tmp_path / "a.har").read_text("utf-8")
    kept = next(e for e in har(session, redact=False)["log"]["entries"]
                if e["_requestId"] == "r1")
    assert _headers(kept, "request")["Cookie"] == "sid=s3cret"
    assert _headers(kept, "response")["set-cookie"] == "sid=n3w"


def test_request_body_query_and_sizes() -> None:
    entry = next(e for e in har(_with_secrets())["log"]["entries"] if e["_requestId"] == "r1")
    request, response = entry["request"], entry["response"]
    assert request["queryString"] == [{"name": "x", "value": "1"}, {"name": "y", "value": ""},
                                      {"name": "x", "value": "2"}]
    assert request["postData"] == {"mimeType": "application/json", "text": '{"q": "é"}'}
    assert request["bodySize"] == len('{"q": "é"}'.encode())
    assert (response["status"], response["bodySize"], response["content"]["size"]) == (
        201, 2, 2)
    assert entry["time"] == 30 and entry["pageref"] == "page_1"
    assert entry["startedDateTime"].endswith("Z")
