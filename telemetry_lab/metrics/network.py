"""The network waterfall's data: one row per request hop, and the summaries built on it.

The stream's network events are ``network_request`` (``Network.requestWillBeSent``; a redirect
sends another one with the same ``request_id`` and ``is_redirect``), ``network_response`` (sent
once the body has arrived, so there is no DNS/connect/TTFB split) and ``network_loading_failed``.
The main document's request never gets a response (the monitor forgets a tab's pending
requests when it navigates), so its end is estimated from what is known: the body had been
parsed by DOMContentLoaded (``end_source`` ``estimated_dcl``), and the first byte had arrived by
the first subresource request the document started (``estimated_first_subresource``, used when
DOMContentLoaded never came). Its ``outcome`` is ``unknown``: the status never arrives.
Requests in flight at the end of the capture never finish: they are ``pending``. A truncated
envelope (``data`` null) carries no ``request_id`` and cannot be linked to a request, so it is
left out.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.network import requests
>>> reqs = requests(telemetry_lab.load_sample())
>>> reqs["outcome"].value_counts().sort_index().to_dict()
{'canceled': 1, 'failed': 1, 'http_error': 1, 'ok': 95, 'unknown': 3}
>>> reqs.loc[reqs["resource_type"] == "Document", ["nav_seq", "hop", "end_source", "end_ms"]]
    nav_seq  hop     end_source   end_ms
0         1    0  estimated_dcl  237.065
54        2    0       redirect   26.359
55        2    1  estimated_dcl  253.981
85        3    0  estimated_dcl  142.139
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from telemetry_lab.checks import require_frame, require_session
from telemetry_lab.metrics._doc import shared_params
from telemetry_lab.metrics.columns import (
    BOOL,
    FLOAT64,
    INT64,
    STRING,
    TIME,
    arrow,
    from_micros,
    micros,
)
from telemetry_lab.metrics.domains import domains, url_parts
from telemetry_lab.metrics.navigations import assign_navigation, navigations

if TYPE_CHECKING:
    from telemetry_lab.session import Session

#: Every value of ``outcome``.
OUTCOMES: tuple[str, ...] = ("ok", "http_error", "failed", "canceled", "unknown", "pending")
#: Every value of ``end_source``: where a hop's ``end`` comes from.
END_SOURCES: tuple[str, ...] = ("response", "failed", "redirect", "estimated_dcl",
                                "estimated_first_subresource", "pending")
#: ``end_source`` values of an estimated end (an upper bound, not a measured time).
ESTIMATED: tuple[str, ...] = ("estimated_dcl", "estimated_first_subresource")
#: Outcomes :func:`failures` lists.
FAILED: tuple[str, ...] = ("http_error", "failed", "canceled")

_KEY = ["target_id", "request_id"]
_HEADER_ENTRY = pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())]))
#: Taken from the request, else the response or failure (CDP attached late); request-only.
_SHARED = ("target_id", "frame_id", "loader_id", "nav_seq", "url", "request_id", "ts", "method",
           "resource_type")
_REQUEST_ONLY = ("initiator_type", "document_url", "is_redirect", "redirect_url", "post_data")


def _rows(table: pa.Table) -> pd.DataFrame:
    """Key, seq and ts of the rows of ``table`` that carry a ``request_id``, with their position."""
    frame = pd.DataFrame({
        "target_id": table["target_id"].to_numpy(),
        "request_id": table["request_id"].to_numpy(),
        "seq": table["seq"].to_numpy(),
        "us": micros(_series(table["ts"])),
        "row": np.arange(table.num_rows),
    })
    return frame[frame["request_id"].notna()]


def _link(sent: pa.Table, answered: pa.Table, failed: pa.Table) -> pd.DataFrame:
    """One row per request hop with the position of its request, response and failure events.

    Hops of a request id are its ``network_request`` events in seq order. The first response or
    failure of the id (by seq) ends its last hop; later ones are duplicates and dropped. A
    response or failure whose id was never requested (CDP attached late) becomes a hop of its own.
    """
    hops = _rows(sent).sort_values("seq", kind="stable")
    by_id = hops.groupby(_KEY, dropna=False, sort=False)
    hops = hops.assign(
        hop=by_id.cumcount(),
        hops=by_id["seq"].transform("size"),
        next_us=by_id["us"].shift(-1),
    ).rename(columns={"row": "req", "seq": "req_seq", "us": "start_us"})
    ends = pd.concat([
        _rows(answered).assign(resp=lambda f: f["row"], fail=-1),
        _rows(failed).assign(resp=-1, fail=lambda f: f["row"]),
    ]).sort_values("seq", kind="stable").drop_duplicates(_KEY)
    last = hops.drop_duplicates(_KEY, keep="last")[[*_KEY, "hop"]]
    ends = ends.merge(last, on=_KEY, how="left").fillna({"hop": 0}).astype({"hop": np.int64})
    ends = ends[[*_KEY, "hop", "resp", "fail", "us"]].rename(columns={"us": "end_us"})
    linked = hops.merge(ends, on=[*_KEY, "hop"], how="outer")
    linked = linked.fillna({"req": -1, "resp": -1, "fail": -1, "hops": 1})
    linked["end_us"] = np.where(linked["hop"] < linked["hops"] - 1, linked["next_us"],
                                linked["end_us"])
    order = np.lexsort((linked["req_seq"].to_numpy("float64"),
                        linked["start_us"].fillna(linked["end_us"]).to_numpy("float64")))
    return linked.iloc[order].reset_index(drop=True)


def _series(array: pa.Array | pa.ChunkedArray) -> pd.Series:
    return pd.Series(pd.arrays.ArrowExtensionArray(array))


def _take(table: pa.Table, column: str, rows: np.ndarray) -> pa.Array:
    """``table[column]`` at ``rows`` (``-1`` gives null)."""
    indices = pa.array(rows, pa.int64(), mask=rows < 0)
    return table[column].take(indices).combine_chunks()


def request_spans(session: Session) -> pd.DataFrame:
    """Request hops linked as :func:`requests` links them, with only their span and outcome.

    A light :func:`requests` for drawing many requests: ``target_id``, ``url``, ``method``,
    ``resource_type``, ``start_us`` / ``end_us`` (float microseconds since the epoch; an end
    that was not measured is NaN, where :func:`requests` estimates it) and ``failed`` (a
    loading failure or a status of 400 or more), one row per hop.

    Examples
    --------
    >>> import telemetry_lab
    >>> spans = request_spans(telemetry_lab.load_sample())
    >>> len(spans) == len(requests(telemetry_lab.load_sample())), int(spans["failed"].sum())
    (True, 3)
    """
    require_session(session, function="request_spans")
    sent = session.table("network_request", allow_missing=True)
    answered = session.table("network_response", allow_missing=True)
    failed = session.table("network_loading_failed", allow_missing=True)
    linked = _link(sent, answered, failed)
    req = linked["req"].to_numpy("int64")
    out = pd.DataFrame({c: pd.Series(pd.arrays.ArrowExtensionArray(_take(sent, c, req)))
                        for c in ("target_id", "url", "method", "resource_type")})
    status = pd.Series(pd.arrays.ArrowExtensionArray(
        _take(answered, "status", linked["resp"].to_numpy("int64"))))
    out["start_us"] = linked["start_us"].to_numpy("float64")
    out["end_us"] = linked["end_us"].to_numpy("float64")
    out["failed"] = (linked["fail"].to_numpy("int64") >= 0) | (
        status.fillna(0).to_numpy("int64") >= 400)
    return out


def _first(*arrays: pa.Array) -> pa.Array:
    return pc.coalesce(*arrays) if len(arrays) > 1 else arrays[0]


def _content_length(headers: pa.Array) -> np.ndarray:
    """The ``Content-Length`` header of each map as float (NaN when absent or not a number)."""
    entries = headers.cast(_HEADER_ENTRY)
    flat = pc.list_flatten(entries)
    parents = pc.list_parent_indices(entries).to_numpy()
    values = pc.utf8_trim_whitespace(flat.field("value"))
    hit = pc.and_(pc.equal(pc.utf8_lower(flat.field("key")), "content-length"),
                  pc.match_substring_regex(values, r"^\d+$"))
    hit = hit.fill_null(False).to_numpy(zero_copy_only=False)
    out = np.full(len(headers), np.nan)
    out[parents[hit][::-1]] = values.filter(hit).cast(pa.float64()).to_numpy()[::-1]
    return out


def _sizes(headers: pa.Array, body: pa.Array) -> tuple[pd.Series, pd.Series]:
    """``size`` and ``size_source``: Content-Length, else the body's UTF-8 length, else null."""
    declared = _content_length(headers)
    body_len = pc.binary_length(body).to_numpy(zero_copy_only=False).astype("float64")
    size = pd.Series(np.where(np.isnan(declared), body_len, declared))
    source = np.select([~np.isnan(declared), ~np.isnan(body_len)], ["content-length", "body"],
                       "")
    return (size.astype(FLOAT64).astype(INT64),
            arrow(pd.Series(source).replace("", None), STRING))


def _outcome(linked: pd.DataFrame, status: pd.Series, canceled: pd.Series) -> np.ndarray:
    redirected = (linked["hop"] < linked["hops"] - 1).to_numpy()
    responded = linked["resp"].to_numpy() >= 0
    failed = linked["fail"].to_numpy() >= 0
    error = status.fillna(0).to_numpy("int64") >= 400
    was_canceled = canceled.fillna(False).to_numpy(bool)
    return np.select(
        [redirected, responded & error, responded, failed & was_canceled, failed],
        ["ok", "http_error", "ok", "canceled", "failed"],
        "pending",
    )


def _end_source(linked: pd.DataFrame) -> np.ndarray:
    redirected = (linked["hop"] < linked["hops"] - 1).to_numpy()
    return np.select(
        [redirected, linked["resp"].to_numpy() >= 0, linked["fail"].to_numpy() >= 0],
        ["redirect", "response", "failed"],
        "pending",
    )


def _same(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Element-wise equality of two id columns; a missing id equals nothing."""
    known = left.notna().to_numpy(bool) & right.notna().to_numpy(bool)
    a = left.astype(object).where(known, "").to_numpy()
    b = right.astype(object).where(known, "").to_numpy()
    return np.asarray(known & (a == b), dtype=bool)


def _document_ends(out: pd.DataFrame, navs: pd.DataFrame, pending: np.ndarray,
                   origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimated end (µs) and its ``end_source`` for each pending main-document request.

    A pending hop is its navigation's main document when it is a ``Document`` request on the
    navigation's frame with the navigation's ``loader_id``. Its body had been parsed by
    DOMContentLoaded; without one, its first byte had arrived by the first subresource request.
    """
    keys = pd.MultiIndex.from_frame(out[["target_id", "nav_seq"]].astype(object))
    table = navs.assign(_nav=navs["nav_seq"].astype(object),
                        _target=navs["target_id"].astype(object))
    by_key = table.drop_duplicates(["_target", "_nav"]).set_index(["_target", "_nav"])
    own = by_key.reindex(keys)
    is_doc = (
        pending
        & out["resource_type"].eq("Document").fillna(False).to_numpy(bool)
        & _same(out["loader_id"], own["loader_id"])
        & _same(out["frame_id"], own["frame_id"])
    )
    dcl = own["dom_content_loaded_ms"].to_numpy("float64", na_value=np.nan)
    first = own["ttfb_upper_ms"].to_numpy("float64", na_value=np.nan)
    bound = np.where(np.isnan(dcl), first, dcl)
    source = np.where(np.isnan(dcl), "estimated_first_subresource", "estimated_dcl")
    estimated = is_doc & ~np.isnan(bound)
    end = np.where(estimated, origin + bound * 1e3, np.nan)
    return end, np.where(estimated, source, "")


@shared_params
def requests(session: Session, *, navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per request hop: what was asked, what came back, and when.

    Parameters
    ----------
    {session}
    navs : pandas.DataFrame, optional
        The session's :func:`~telemetry_lab.metrics.navigations.navigations`, if computed
        (used as given, never recomputed).

    Returns
    -------
    pandas.DataFrame
        Sorted by start. Columns:

        - ``target_id``, ``nav_seq``: the navigation the request belongs to, the key that joins
          :func:`~telemetry_lab.metrics.navigations.navigations` (see
          :func:`~telemetry_lab.metrics.navigations.assign_navigation`; a navigation's own
          document request belongs to it, unlike the raw frame's ``nav_seq``); ``nav_start``
          (that navigation's start, the origin of the ``*_ms`` columns); ``frame_id`` and
          ``loader_id`` of the request.
        - ``request_id``, ``hop``: a redirect reuses the request id; hop 0 is the first request,
          each ``is_redirect`` request adds a hop. A redirected hop ends when the next starts,
          is ``ok`` and has no status (the stream does not carry the 3xx response).
        - ``url``, ``scheme``, ``host`` (with the port when the URL names one), ``path``,
          ``method``, ``resource_type`` (CDP's), ``initiator_type``, ``document_url``,
          ``is_redirect``, ``redirect_url`` (on a redirect hop: the URL it was redirected
          *from*), ``post_data``.
        - ``status``, ``status_text``, ``mime_type``, ``error_text``; ``outcome``: ``ok``,
          ``http_error`` (status ≥ 400), ``failed`` (loading failed), ``canceled`` (loading
          failed with ``canceled``: aborted, or a 404 ``<script>``), ``unknown`` (a main
          document: its response never arrives in the stream), ``pending`` (never finished).
        - ``start``, ``end`` (timestamps; ``start`` is null for a response or failure whose
          request was never seen, ``end`` is null while pending); ``start_ms``, ``end_ms`` from
          the navigation's start, and ``duration_ms``.
        - ``end_source``: where ``end`` comes from: ``response``, ``failed`` (loading failed),
          ``redirect`` (the next hop's start), ``estimated_dcl`` (a main document: parsed by
          its DOMContentLoaded, an upper bound), ``estimated_first_subresource`` (a main
          document without DOMContentLoaded: its first byte had arrived by the first
          subresource request; an upper bound of the first byte only) or ``pending``.
        - ``size`` (bytes: ``Content-Length``, else the body's length as a lower bound, else
          null) and ``size_source`` (``content-length``, ``body`` or null).
        - ``request_headers``, ``response_headers`` (maps).
        - ``domain`` (registrable domain of the host) and ``third_party``: it differs from the
          domain of the navigation's main document (null when either is unknown).

    Examples
    --------
    >>> import telemetry_lab
    >>> reqs = requests(telemetry_lab.load_sample())
    >>> reqs.groupby("nav_seq")["request_id"].nunique().tolist()
    [54, 30, 16]
    >>> reqs.loc[reqs["hop"] == 1, ["request_id", "hop", "nav_seq", "start_ms", "outcome"]]
                              request_id  hop  nav_seq  start_ms  outcome
    55  02BA3878A929BBF21C2B56705AEF480F    1        2    26.359  unknown
    """
    require_session(session, function="requests")
    if navs is not None:
        require_frame(navs, "navigations", function="requests", argument="navs")
    sent = session.table("network_request", allow_missing=True)
    answered = session.table("network_response", allow_missing=True)
    failed = session.table("network_loading_failed", allow_missing=True)
    linked = _link(sent, answered, failed)
    req, resp, fail = (linked[c].to_numpy("int64") for c in ("req", "resp", "fail"))

    def pick(column: str, *sources: tuple[pa.Table, np.ndarray]) -> pd.Series:
        arrays = [_take(t, column, rows) for t, rows in sources if column in t.column_names]
        return _series(_first(*arrays))

    everywhere = ((sent, req), (answered, resp), (failed, fail))
    out = pd.DataFrame({c: pick(c, *everywhere) for c in _SHARED})
    out["hop"] = arrow(linked["hop"].to_numpy(), INT64)
    out = out.join(url_parts(out["url"]))
    for column in _REQUEST_ONLY:
        out[column] = pick(column, (sent, req))
    for column in ("status", "status_text", "mime_type"):
        out[column] = pick(column, (answered, resp))
    out["is_redirect"] = out["is_redirect"].fillna(False)
    out["error_text"] = pick("error_text", (failed, fail))
    navs = navigations(session) if navs is None else navs
    owner = assign_navigation(out, navs)
    start_us = linked["start_us"].to_numpy("float64")
    origin = micros(owner["nav_start"])
    out["nav_seq"] = owner["nav_seq"].astype(INT64)
    out["nav_start"] = owner["nav_start"].astype(TIME)
    outcome = _outcome(linked, out["status"], pick("canceled", (failed, fail)))
    end_source = _end_source(linked)
    estimate, estimated = _document_ends(out, navs, outcome == "pending", origin)
    known = estimated != ""
    end_us = np.where(known, estimate, linked["end_us"].to_numpy("float64"))
    out["outcome"] = arrow(np.where(known, "unknown", outcome), STRING)
    out["end_source"] = arrow(np.where(known, estimated, end_source), STRING)
    out["start"] = pick("ts", (sent, req))
    out["end"] = from_micros(end_us)
    for name, values in (("start_ms", (start_us - origin) / 1e3),
                         ("end_ms", (end_us - origin) / 1e3),
                         ("duration_ms", (end_us - start_us) / 1e3)):
        out[name] = arrow(np.round(values, 3), FLOAT64)
    response_headers = _take(answered, "headers", resp)
    out["size"], out["size_source"] = _sizes(response_headers, _take(answered, "body", resp))
    out["request_headers"] = pick("headers", (sent, req))
    out["response_headers"] = _series(response_headers)
    out["domain"] = domains(out["host"])
    page = domains(url_parts(owner["nav_url"])["host"])
    out["third_party"] = out["domain"].ne(page).astype(BOOL)
    return out[list(COLUMNS)]


#: Columns of :func:`requests`, in order.
COLUMNS: tuple[str, ...] = (
    "target_id", "nav_seq", "nav_start", "frame_id", "loader_id", "request_id", "hop", "url",
    "scheme", "host", "path", "method", "resource_type", "initiator_type", "document_url",
    "is_redirect", "redirect_url", "post_data", "status", "status_text", "mime_type", "outcome",
    "error_text", "start", "end", "end_source", "start_ms", "end_ms", "duration_ms", "size",
    "size_source", "request_headers",
    "response_headers", "domain", "third_party",
)


def _per_request(reqs: pd.DataFrame) -> pd.DataFrame:
    """The last hop of each request id, with ``total_ms`` from its first hop's start.

    An estimated end (a main document's) is a bound, not a measured time: its ``total_ms`` is
    null.
    """
    key = [reqs[c].astype(STRING).fillna("") for c in _KEY]
    first_start = micros(reqs["start"]).astype("float64")
    first = pd.Series(first_start, index=reqs.index).groupby(key, sort=False).transform("min")
    total = (micros(reqs["end"]) - first.to_numpy("float64")) / 1e3
    total[reqs["end_source"].isin(ESTIMATED).to_numpy(bool)] = np.nan
    last = ~pd.DataFrame({"a": key[0], "b": key[1]}).duplicated(keep="last").to_numpy()
    return reqs.assign(total_ms=total)[last]


def resource_summary(requests: pd.DataFrame) -> pd.DataFrame:
    """Requests, bytes and duration percentiles per resource type.

    Redirect hops count once: a request's duration runs from its first hop's start to its end.

    Parameters
    ----------
    requests : pandas.DataFrame
        The output of :func:`requests` (or any subset of its rows).

    Returns
    -------
    pandas.DataFrame
        One row per ``resource_type``, most requests first: ``requests``, ``bytes`` (sum of the
        known sizes: a lower bound when some are unknown), ``median_ms`` and ``p90_ms`` (of the
        requests that finished; an estimated end does not count), ``failures`` (failed,
        canceled or HTTP error).

    Examples
    --------
    >>> import telemetry_lab
    >>> summary = resource_summary(requests(telemetry_lab.load_sample()))
    >>> summary[["resource_type", "requests", "bytes", "median_ms"]].head(3)
      resource_type  requests   bytes  median_ms
    0         Image        56  112187    106.902
    1        Script        15   11557     47.442
    2         Fetch        10    1689    152.282
    """
    require_frame(requests, "requests", function="resource_summary")
    return _summary(_per_request(requests), ["resource_type"])


def domain_summary(requests: pd.DataFrame) -> pd.DataFrame:
    """Requests, bytes and failures per host, first or third party.

    Parameters
    ----------
    requests : pandas.DataFrame
        The output of :func:`requests` (or any subset of its rows).

    Returns
    -------
    pandas.DataFrame
        One row per ``host`` and ``third_party`` (a host can be first party for one navigation
        and third party for another), most requests first: ``domain``, ``requests``, ``bytes``,
        ``median_ms``, ``p90_ms``, ``failures``.

    Examples
    --------
    >>> import telemetry_lab
    >>> summary = domain_summary(requests(telemetry_lab.load_sample()))
    >>> summary[["host", "third_party", "requests", "failures"]]
                  host third_party  requests  failures
    0  127.0.0.4:36621        True        60         1
    1  127.0.0.1:36621       False        27         1
    2  127.0.0.2:36621        True         7         0
    3  127.0.0.3:36621        True         6         1
    """
    require_frame(requests, "requests", function="domain_summary")
    out = _summary(_per_request(requests), ["host", "third_party", "domain"])
    return out[["host", "domain", *out.columns.drop(["host", "domain"])]]


def _summary(per_request: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    failed = per_request["outcome"].isin(FAILED).to_numpy(bool)
    frame = pd.DataFrame({
        **{c: per_request[c] for c in by},
        "size": per_request["size"].to_numpy("float64", na_value=np.nan),
        "total_ms": per_request["total_ms"].to_numpy("float64"),
        "failed": failed,
    })
    grouped = frame.groupby(by, dropna=False, sort=False)
    out = pd.DataFrame({
        "requests": grouped.size(),
        "bytes": grouped["size"].sum(min_count=0),
        "median_ms": grouped["total_ms"].median(),
        "p90_ms": grouped["total_ms"].quantile(0.9),
        "failures": grouped["failed"].sum(),
    }).reset_index()
    out = out.sort_values(["requests", *by], ascending=[False, *[True] * len(by)],
                          kind="stable", na_position="last").reset_index(drop=True)
    for column, dtype in (("requests", INT64), ("bytes", INT64), ("failures", INT64),
                          ("median_ms", FLOAT64), ("p90_ms", FLOAT64)):
        out[column] = out[column].round(3).astype(dtype)
    return out


def failures(requests: pd.DataFrame) -> pd.DataFrame:
    """Every request hop that failed, was canceled or got an HTTP error, with the reason.

    Parameters
    ----------
    requests : pandas.DataFrame
        The output of :func:`requests` (or any subset of its rows).

    Returns
    -------
    pandas.DataFrame
        In start order: ``target_id``, ``nav_seq``, ``request_id``, ``hop``, ``url``, ``host``,
        ``resource_type``, ``method``, ``status``, ``outcome``, ``reason`` (``HTTP 404 Not
        Found``, or the network error, with ``(canceled)`` when the browser canceled it),
        ``start_ms``, ``end_ms``.

    Examples
    --------
    >>> import telemetry_lab
    >>> failures(requests(telemetry_lab.load_sample()))[["nav_seq", "outcome", "reason"]]
       nav_seq     outcome                       reason
    0        1  http_error           HTTP 404 Not Found
    1        2      failed      net::ERR_BLOCKED_BY_ORB
    2        2    canceled  net::ERR_ABORTED (canceled)
    """
    require_frame(requests, "requests", function="failures")
    bad = requests[requests["outcome"].isin(FAILED).to_numpy(bool)]
    status = bad["status"].astype(STRING)
    http = ("HTTP " + status + " " + bad["status_text"].fillna("")).str.strip()
    network = bad["error_text"].fillna("unknown error") + np.where(
        bad["outcome"].eq("canceled").to_numpy(bool), " (canceled)", "")
    reason = http.where(bad["outcome"].eq("http_error").to_numpy(bool), network)
    out = bad[["target_id", "nav_seq", "request_id", "hop", "url", "host", "resource_type",
               "method", "status", "outcome"]].assign(reason=reason.astype(STRING))
    return out.join(bad[["start_ms", "end_ms"]]).reset_index(drop=True)
