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


def _planted() -> tuple[telemetry_lab.Session, list[str]]:
    """A session with 40 distinct secrets in every place a credential can sit."""
    secrets = [f"SECRET{i:02d}x" for i in range(40)]
    s = iter(secrets)
    rec = Recording()
    rec.navigate(10, 1, url=f"https://a.test/home?session={next(s)}&lang=en", request_ms=0)
    query = "&".join(f"{name}={next(s)}" for name in (
        "token", "api_key", "sig", "signature", "secret", "password", "code", "session", "auth",
        "credential", "X-Amz-Signature", "X-Amz-Credential"))
    url = (f"https://ann:{next(s)}@a.test/api?page=2&{query}"
           f"#access_token={next(s)}&id_token={next(s)}&state=keepme")
    sent = {name: next(s) for name in (
        "Authorization", "Proxy-Authorization", "Cookie", "Cookie2", "X-Api-Key",
        "X-Auth-Token", "X-CSRF-Token", "X-Amz-Security-Token", "X-Custom-Token",
        "X-Client-Key", "X-Shared-Secret")}
    sent["Referer"] = f"https://{next(s)}@a.test/login?token={next(s)}"
    sent["Content-Type"] = "application/x-www-form-urlencoded"
    rec.page(20, "network_request", 1, request_id="r1", method="POST", url=url,
             resource_type="Fetch", headers=sent,
             post_data=f"user=ann&password={next(s)}&client_secret={next(s)}")
    rec.page(30, "network_response", 1, request_id="r1", url=url, status=302,
             status_text="Found", mime_type="text/html",
             headers={"Set-Cookie": next(s), "Set-Cookie2": next(s),
                      "X-Refresh-Token": next(s),
                      "Location": f"https://a.test/cb?code={next(s)}&state=keepme"})
    body = {"user": "ann", "password": next(s), "nested": {"refresh_token": next(s)},
            "list": [{"apiKey": next(s)}], "note": "keepme"}
    rec.page(40, "network_request", 1, request_id="r2", method="POST",
             url="https://a.test/json", resource_type="Fetch", post_data=json.dumps(body),
             headers={"Content-Type": "application/json"})
    rec.page(45, "network_request", 1, request_id="r2", method="GET", is_redirect=True,
             url=f"https://a.test/next?otp={next(s)}", resource_type="Fetch")
    multipart = (f'--B\r\nContent-Disposition: form-data; name="otp"\r\n\r\n{next(s)}\r\n'
                 '--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nkeepme\r\n--B--\r\n')
    rec.page(50, "network_request", 1, request_id="r3", method="POST",
             url="https://a.test/upload", resource_type="Fetch", post_data=multipart,
             headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert next(s, None) is None
    return rec.session(), secrets


def test_every_planted_secret_is_redacted_and_redact_false_keeps_them(tmp_path: Path) -> None:
    session, secrets = _planted()
    text = to_har(session, tmp_path / "a.har").read_text("utf-8")
    _validate(json.loads(text))
    assert [s for s in secrets if s in text] == []
    kept_text = to_har(session, tmp_path / "b.har", redact=False).read_text("utf-8")
    assert text.count("keepme") == kept_text.count("keepme") > 0
    assert "page=2" in text and "lang=en" in text
    assert "application/x-www-form-urlencoded" in text
    r2 = next(e for e in json.loads(text)["log"]["entries"] if e["_requestId"] == "r2")
    posted = json.loads(r2["request"]["postData"]["text"])
    assert posted["user"] == "ann" and posted["list"] == [{"apiKey": REDACTED}]
    assert [s for s in secrets if s not in kept_text] == []


def test_redacted_urls_keep_their_shape() -> None:
    session, _ = _planted()
    entry = next(e for e in har(session)["log"]["entries"] if e["_requestId"] == "r1")
    assert entry["request"]["url"].startswith("https://redacted@a.test/api?page=2&token=")
    query = {q["name"]: q["value"] for q in entry["request"]["queryString"]}
    assert query["page"] == "2" and query["X-Amz-Signature"] == REDACTED
    assert entry["response"]["redirectURL"] == f"https://a.test/cb?code={REDACTED}&state=keepme"
    assert entry["request"]["postData"]["text"] == (
        f"user=ann&password={REDACTED}&client_secret={REDACTED}")
