"""HAR 1.2 export: pages from navigations, entries from request hops.

What the stream does not carry is written the way HAR 1.2 allows: ``blocked``, ``dns``,
``connect`` and ``ssl`` are ``-1``; the stream has no timing split (``network_response`` fires
once the body has arrived), so ``send`` and ``receive`` are 0 and ``wait`` holds the whole
request time; ``headersSize`` is ``-1``, and ``bodySize`` too unless ``Content-Length`` gives
it. A pending request (never finished) has ``time`` 0 and status 0. A main document's response
never arrives in the stream: its entry has status 0, a ``time`` that is an upper bound (to its
DOMContentLoaded, else to its first subresource request) and ``"_estimated": true``.
Credentials are redacted by
default wherever they sit (see :mod:`telemetry_lab.export.redact` for the full list): credential
headers, URL userinfo and sensitive query and fragment parameters (also in ``Referer``,
``Location`` and ``redirectURL``), and sensitive fields of form, JSON and multipart post data
become ``[redacted]``; response bodies are never exported.

Examples
--------
>>> import json, tempfile, telemetry_lab
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = to_har(telemetry_lab.load_sample(), Path(tmp) / "shop.har")
...     log = json.loads(path.read_text())["log"]
>>> len(log["pages"]), len(log["entries"]), log["entries"][1]["response"]["status"]
(3, 101, 200)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from telemetry_lab.checks import require_session
from telemetry_lab.export.redact import REDACTED, redact_body, redact_header, redact_url
from telemetry_lab.metrics.navigations import given_navs
from telemetry_lab.metrics.network import ESTIMATED, requests

if TYPE_CHECKING:
    from telemetry_lab.session import Session

_UNKNOWN_TIMINGS = {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "receive": 0}


def _iso(ts: Any) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _headers(pairs: list[tuple[str, str]] | None, redact: bool) -> list[dict[str, str]]:
    return [{"name": name, "value": redact_header(name, value) if redact else value}
            for name, value in pairs or []]


def _url(url: str, redact: bool) -> str:
    return redact_url(url) if redact and url else url


def _header(pairs: list[tuple[str, str]] | None, wanted: str) -> str:
    return next((v for k, v in pairs or [] if k.lower() == wanted), "")


def _ms(value: Any) -> float:
    """A duration for HAR: the value, or -1 when unknown."""
    return -1 if pd.isna(value) else round(float(value), 3)


def _pages(navs: pd.DataFrame, redact: bool
           ) -> tuple[list[dict[str, Any]], dict[tuple[Any, Any], str]]:
    pages, refs = [], {}
    for i, nav in enumerate(navs.itertuples(index=False), start=1):
        page_id = f"page_{i}"
        refs[(nav.target_id, nav.nav_seq)] = page_id
        pages.append({
            "startedDateTime": _iso(nav.start),
            "id": page_id,
            "title": _url(str(nav.url or ""), redact),
            "pageTimings": {"onContentLoad": _ms(nav.dom_content_loaded_ms),
                            "onLoad": _ms(nav.load_ms)},
            "comment": f"target {nav.target_id}, nav_seq {nav.nav_seq}; start from the "
                       f"{nav.start_source}",
        })
    return pages, refs


def _entry(row: dict[str, Any], redirect_to: str, page: str | None,
           redact: bool) -> dict[str, Any]:
    url = _url(row["url"] or "", redact)
    post = row["post_data"]
    sent, received = row["request_headers"], row["response_headers"]
    body = redact_body(post, _header(sent, "content-type")) if post and redact else post
    duration = row["duration_ms"]
    time = 0.0 if pd.isna(duration) else round(float(duration), 3)
    size = row["size"]
    request: dict[str, Any] = {
        "method": row["method"] or "", "url": url, "httpVersion": "", "cookies": [],
        "headers": _headers(sent, redact),
        "queryString": [{"name": k, "value": v}
                        for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)],
        "headersSize": -1, "bodySize": len(post.encode()) if post else 0,
    }
    if post:
        request["postData"] = {"mimeType": _header(sent, "content-type"), "text": body}
    entry: dict[str, Any] = {
        "startedDateTime": _iso(row["start"] if not pd.isna(row["start"]) else row["end"]),
        "time": time,
        "request": request,
        "response": {
            "status": 0 if pd.isna(row["status"]) else int(row["status"]),
            "statusText": row["status_text"] or "", "httpVersion": "", "cookies": [],
            "headers": _headers(received, redact),
            "content": {"size": 0 if pd.isna(size) else int(size),
                        "mimeType": row["mime_type"] or ""},
            "redirectURL": _url(redirect_to or _header(received, "location"), redact),
            "headersSize": -1,
            "bodySize": int(size) if row["size_source"] == "content-length" else -1,
        },
        "cache": {},
        "timings": {**_UNKNOWN_TIMINGS, "wait": time},
        "_requestId": row["request_id"],
        "_resourceType": row["resource_type"] or "",
        "_outcome": row["outcome"],
    }
    if page is not None:
        entry["pageref"] = page
    if row["error_text"]:
        entry["_errorText"] = row["error_text"]
    if row["end_source"] in ESTIMATED:
        entry["_estimated"] = True
        entry["comment"] = f"estimated: no response in the stream; time is an upper bound " \
                           f"({row['end_source']})"
    if pd.isna(row["start"]):
        entry["comment"] = "request not seen (CDP attached late): started at its end"
    elif row["outcome"] == "pending":
        entry["comment"] = "pending: never finished in the capture"
    return entry


def _nullable(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with ``None`` for nulls (map columns as lists of pairs)."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): v for k, v in row.items()} for row in rows]


def har(session: Session, *, redact: bool = True,
        navs: pd.DataFrame | None = None) -> dict[str, Any]:
    """The session as a HAR 1.2 document (a dict ready for :func:`json.dump`).

    Parameters
    ----------
    session : telemetry_lab.Session
        A recording.
    redact : bool
        Replace credentials with ``[redacted]`` wherever they sit (default; the module
        docstring lists where). Pass ``False`` to keep everything: the file then holds them.
    navs : pandas.DataFrame, optional
        The session's :func:`~telemetry_lab.metrics.navigations.navigations`, if computed.

    Returns
    -------
    dict
        ``{"log": {...}}``: one page per navigation (:func:`~telemetry_lab.metrics.navigations.
        navigations`), one entry per request hop (:func:`~telemetry_lab.metrics.network.
        requests`) in start order.

    Examples
    --------
    >>> import telemetry_lab
    >>> doc = har(telemetry_lab.load_sample())
    >>> [p["title"] for p in doc["log"]["pages"]][-1]
    'http://127.0.0.1:36621/shop/cart'
    """
    from telemetry_lab import __version__

    navs = given_navs(session, navs, function="har")
    reqs = requests(session, navs=navs)
    pages, refs = _pages(navs, redact)
    following = reqs.sort_values(["target_id", "request_id", "hop"], kind="stable")
    next_url = following.groupby(["target_id", "request_id"], dropna=False)["url"].shift(-1)
    redirect_to = next_url.reindex(reqs.index).fillna("").to_numpy(object)
    keys = list(zip(reqs["target_id"].astype(object), reqs["nav_seq"].astype(object),
                    strict=True))
    entries = [
        _entry(row, to, refs.get(key), redact)
        for row, to, key in zip(_nullable(reqs), redirect_to, keys, strict=True)
    ]
    return {"log": {
        "version": "1.2",
        "creator": {"name": "telemetry_lab", "version": __version__},
        "pages": pages,
        "entries": entries,
        "comment": "from Kernel browser telemetry: no DNS/connect/TTFB split in the stream",
    }}


def to_har(session: Session, path: str | Path, *, redact: bool = True) -> Path:
    """Write the session as a HAR 1.2 file (see :func:`har`); returns the path.

    Parameters
    ----------
    session : telemetry_lab.Session
        A recording.
    path : str or pathlib.Path
        File to write (UTF-8 JSON).
    redact : bool
        Replace credentials (default, see :func:`har`); ``False`` keeps everything.

    Examples
    --------
    >>> import tempfile, telemetry_lab
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     print(to_har(telemetry_lab.load_sample(), Path(tmp) / "shop.har").name)
    shop.har
    """
    require_session(session, function="to_har")
    path = Path(path)
    path.write_text(json.dumps(har(session, redact=redact), ensure_ascii=False), "utf-8")
    return path


__all__ = ["REDACTED", "har", "to_har"]
