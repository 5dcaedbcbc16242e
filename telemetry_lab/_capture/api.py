"""The two Kernel telemetry endpoints over HTTP, with status codes sorted into what to do.

401/403 raise :class:`AuthenticationError` at once (the key never appears in a message), 404
raises :class:`Gone`, 429/5xx and network errors raise :class:`Retry`, which
:meth:`Api.retrying` retries with exponential backoff and jitter (``Retry-After`` is honoured on
429/503 only, up to ``max_backoff``). A stream that is not ``text/event-stream``, or is encoded
in a way the client cannot decode, and a history pager that stops advancing are errors, not
retries.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, TypeVar

import requests
import urllib3

from telemetry_lab.decode import Batch, decode_events_json
from telemetry_lab.errors import AuthenticationError, BrowserNotFound, CaptureError, InvalidDuration

DEFAULT_BASE_URL = "https://api.onkernel.com"
NO_KEY = ("no API key: expected api_key=... or the KERNEL_API_KEY environment variable "
          "(create a key in the Kernel dashboard)")
PAGE_LIMIT = 100
#: History pages in a row that may bring no event not already received before the pager is
#: declared stuck (a repeating ``X-Next-Offset``, or one that never reaches the end).
MAX_STALLED_PAGES = 3
#: Content-Encodings the stream can be decoded from (asked for or not).
DECODABLE = frozenset(urllib3.response.HTTPResponse.CONTENT_DECODERS) | {"identity"}
TRANSIENT = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)
#: Delta-seconds (RFC 9110: digits; a decimal fraction is accepted too, as the replay server's).
_DELTA_SECONDS = re.compile(r"^\s*[0-9]{1,12}(\.[0-9]{1,6})?\s*$")

T = TypeVar("T")


class Retry(Exception):
    """429, 5xx: try again, after ``after`` seconds when the server said so."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Gone(Exception):
    """404: the browser session does not exist (any more)."""


def retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for: delta-seconds or an HTTP date, else None.

    Anything else (``soon``, ``inf``, ``nan``, ``-1``, ``1e9``, a date without a zone) is
    malformed and gives None: the caller falls back to its backoff.

    Examples
    --------
    >>> retry_after("7"), retry_after("0.25"), retry_after("inf"), retry_after("soon")
    (7.0, 0.25, None, None)
    >>> retry_after("Wed, 21 Oct 2015 07:28:00 GMT")
    0.0
    """
    if not value:
        return None
    if _DELTA_SECONDS.match(value):
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def check_key(key: str) -> None:
    """Reject a key that cannot be one (whitespace or control characters), never quoting it.

    Examples
    --------
    >>> check_key("sk-live-123\\n")
    Traceback (most recent call last):
    telemetry_lab.errors.AuthenticationError: the API key has whitespace or a control \
character at position 12 of 12 (a trailing newline, say, from a file or a paste): expected the \
key exactly as the Kernel dashboard shows it
    """
    bad = next((i for i, c in enumerate(key) if c.isspace() or not c.isprintable()), None)
    if bad is not None:
        raise AuthenticationError(
            f"the API key has whitespace or a control character at position {bad + 1} of "
            f"{len(key)} (a trailing newline, say, from a file or a paste): expected the key "
            "exactly as the Kernel dashboard shows it"
        )


#: Duration units the API takes (Go's ``time.ParseDuration``), and the days and weeks this
#: client turns into hours for it.
DURATION_UNITS: dict[str, float] = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0,
                                    "m": 60.0, "h": 3600.0}
CLIENT_UNITS: dict[str, float] = {"d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)")


def _duration(text: str) -> str | None:
    """``text`` as a duration the API takes (days and weeks in hours); None if not a duration."""
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    if all(unit in DURATION_UNITS for _, unit in parts):
        return text
    seconds = sum(float(n) * {**DURATION_UNITS, **CLIENT_UNITS}[u] for n, u in parts)
    return f"{seconds / 3600:g}h"


def timestamp(value: str | datetime | int | None) -> str | None:
    """``since``/``until`` for the API: a duration ago or RFC 3339 text; datetimes and µs convert.

    Durations take the API's units (``ns``, ``us``, ``ms``, ``s``, ``m``, ``h``, combined as in
    ``1h30m``) plus ``d`` and ``w``, sent as hours. History keeps 30 days.

    Raises
    ------
    InvalidDuration
        When a string is neither a duration nor an RFC 3339 timestamp.

    Examples
    --------
    >>> timestamp("5m"), timestamp("30d"), timestamp("1d12h"), timestamp(1_796_018_033_868_025)
    ('5m', '720h', '36h', '2026-11-30T05:53:53.868025Z')
    """
    if value is None:
        return value
    if isinstance(value, str):
        text = value.strip()
        duration = _duration(text)
        if duration is not None:
            return duration
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidDuration(
                f"since/until {value!r}: expected a duration ago (5m, 2h, 30d, 1h30m: units "
                f"{', '.join([*DURATION_UNITS, *CLIENT_UNITS])}) or an RFC 3339 timestamp "
                "(2026-11-30T05:53:53Z)"
            ) from None
        return text
    if isinstance(value, int):
        value = datetime.fromtimestamp(value / 1e6, UTC)
    if value.tzinfo is None:
        raise InvalidDuration(f"{value!r} has no time zone: pass an aware datetime (e.g. UTC)")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Api:
    """The telemetry endpoints of one Kernel API base URL, authenticated with one key."""

    def __init__(self, api_key: str | None, base_url: str | None, *, connect_timeout: float,
                 read_timeout: float, max_retries: int, backoff: float, max_backoff: float,
                 sleep: Callable[[float], object]) -> None:
        """``sleep(seconds)`` waits between retries; a true result means: stop retrying."""
        key = api_key or os.environ.get("KERNEL_API_KEY")
        if key:
            check_key(key)
        self._key = key or ""
        self.base_url = (base_url or os.environ.get("KERNEL_BASE_URL") or DEFAULT_BASE_URL
                         ).rstrip("/")
        if not key and self.base_url == DEFAULT_BASE_URL:
            raise AuthenticationError(NO_KEY)
        self._keyless = not key  # another server (a replay) may need none: it says so
        self._http = requests.Session()
        if key:
            self._http.headers["Authorization"] = f"Bearer {key}"
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries, self.backoff, self.max_backoff = max_retries, backoff, max_backoff
        self.sleep = sleep

    def __repr__(self) -> str:
        return f"<telemetry API {self.base_url}>"

    def scrub(self, text: str) -> str:
        """``text`` with the API key replaced by ``[API key]``: for every message shown."""
        return text.replace(self._key, "[API key]") if self._key else text

    def scrubbed(self, exc: BaseException) -> BaseException:
        """``exc``, or a :class:`CaptureError` saying the same without the API key in it."""
        text = str(exc)
        clean = self.scrub(text)
        return exc if clean == text else CaptureError(f"{type(exc).__name__}: {clean}")

    def _url(self, browser_id: str, endpoint: str) -> str:
        return f"{self.base_url}/browsers/{browser_id}/telemetry/{endpoint}"

    def _check(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status < 300:
            return
        detail = self.scrub(response.text)[:200] if status < 500 else ""
        response.close()
        if status in (401, 403) and self._keyless:
            raise AuthenticationError(f"{what}: the API asks for a key ({status}) and there "
                                      f"is none: {NO_KEY}")
        if status in (401, 403):
            raise AuthenticationError(
                f"{what}: the API refused the key ({status}). Expected a valid Kernel API key "
                "with access to this browser in api_key= or KERNEL_API_KEY; check that it is "
                "current and belongs to the right organisation"
            )
        if status == 404:
            raise Gone(what)
        if status == 429 or status >= 500:
            after = retry_after(response.headers.get("Retry-After")) if status in (429, 503) \
                else None
            raise Retry(f"{what} answered {status}", after)
        raise CaptureError(f"{what} answered {status} {response.reason}: {detail}")

    def delay(self, attempt: int, after: float | None) -> float:
        """Seconds to wait before retry ``attempt`` (1-based): Retry-After, else backoff+jitter;
        never more than ``max_backoff``."""
        if after is not None:
            return min(after, self.max_backoff)
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def retrying(self, call: Callable[[], T], what: str) -> T:
        """``call()``, retried on 429/5xx and network errors up to ``max_retries`` times."""
        attempt = 0
        while True:
            try:
                return call()
            except (Retry, *TRANSIENT) as exc:
                attempt += 1
                last = self.scrub(str(exc))
                if attempt > self.max_retries:
                    raise CaptureError(
                        f"{what} failed {attempt} times, last: {last}. Check the network and "
                        "base_url, or raise max_retries"
                    ) from None
                if self.sleep(self.delay(attempt, getattr(exc, "after", None))):
                    raise CaptureError(f"{what}: stopped while retrying, last: {last}") from None

    def stream(self, browser_id: str, last_id: int, replay: str | None) -> requests.Response:
        """Open ``/telemetry/stream`` after ``last_id`` (0: from ``replay``).

        Read its body with ``response.raw.read1(n, decode_content=True)``: an encoding the
        server applied unasked (gzip, deflate) is decoded; one that cannot be decoded, and a
        Content-Type other than ``text/event-stream``, raise :class:`CaptureError` at once.
        """
        headers = {"Accept": "text/event-stream", "Accept-Encoding": "identity"}
        if last_id:
            headers["Last-Event-ID"] = str(last_id)
        what = f"the stream of browser {browser_id!r}"
        response = self._http.get(self._url(browser_id, "stream"), headers=headers,
                                  params={"replay": replay} if replay else None,
                                  stream=True, timeout=self.timeout)
        self._check(response, what)
        kind = response.headers.get("Content-Type", "")
        encodings = [e.strip().lower() for e in response.headers.get("Content-Encoding", "")
                     .split(",") if e.strip()]
        problem = None
        if kind.split(";")[0].strip().lower() != "text/event-stream":
            problem = (f"Content-Type {kind or '(none)'!r}: expected text/event-stream. Is "
                       "base_url the Kernel API (not a proxy or login page)?")
        elif not DECODABLE.issuperset(encodings):
            problem = (f"Content-Encoding {', '.join(encodings)!r}, which it was not asked "
                       "for (Accept-Encoding: identity) and which cannot be decoded: expected "
                       f"one of {', '.join(sorted(DECODABLE))}; check proxies on the way")
        if problem is not None:
            response.close()
            raise CaptureError(f"{what} answered {response.status_code} with {problem}")
        return response

    def pages(self, browser_id: str, *, since: str | None, until: str | None,
              categories: Sequence[str] | None) -> Iterator[Batch]:
        """Every page of ``/telemetry/events`` in the window, oldest first, framed."""
        params: dict[str, Any] = {"limit": PAGE_LIMIT, "since": since, "until": until,
                                  "category": list(categories or [])}
        what = f"the event history of browser {browser_id!r}"

        def get(params: dict[str, Any]) -> requests.Response:
            response = self._http.get(self._url(browser_id, "events"), params=params,
                                      timeout=self.timeout)
            self._check(response, what)
            return response

        seen: set[int] = set()
        stalled = 0
        while True:
            response = self.retrying(partial(get, params), what)
            page = decode_events_json(response.content)
            yield page
            new = {hash(line) for line in page.lines} - seen
            seen |= new
            stalled = 0 if new else stalled + 1
            next_offset = response.headers.get("X-Next-Offset") or "0"
            if response.headers.get("X-Has-More", "").lower() != "true" or next_offset == "0":
                return
            if not next_offset.isascii() or not next_offset.isdigit():
                raise CaptureError(f"{what} answered X-Next-Offset {next_offset[:40]!r}: "
                                   "expected a whole number of events")
            if stalled >= MAX_STALLED_PAGES:
                raise CaptureError(
                    f"{what} is not advancing: {stalled} pages in a row brought no new event "
                    f"(X-Has-More true, X-Next-Offset {next_offset}); stopped paging. The "
                    "events already fetched are kept"
                )
            if self.sleep(0):
                raise CaptureError(f"{what}: stopped while paging")
            params = {**params, "offset": int(next_offset), "since": None}


__all__ = ["AuthenticationError", "BrowserNotFound", "CaptureError"]
