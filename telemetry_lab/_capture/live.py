"""The capture thread: stream, reconnect with ``Last-Event-ID``, spool, backfill, status."""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import requests

from telemetry_lab._capture.api import TRANSIENT, Api, Gone, Retry
from telemetry_lab._capture.history import backfill, missing
from telemetry_lab._capture.intake import Intake
from telemetry_lab._capture.spool import SPOOL_DIR, Spool
from telemetry_lab.checks import require_categories
from telemetry_lab.decode import Batch
from telemetry_lab.errors import BrowserNotFound, CaptureError, SpoolError
from telemetry_lab.progress import CaptureStats, Progress
from telemetry_lab.seqs import gaps as seq_gaps
from telemetry_lab.seqs import seq_ts
from telemetry_lab.session import Session
from telemetry_lab.sse import SSEDecoder, parse_stream

READ_SIZE = 1 << 20


def _wait_readable(response: requests.Response, timeout: float) -> bool:
    """Wait up to ``timeout`` s for bytes on the response's socket; whether a read won't block."""
    sock = getattr(getattr(response.raw, "_connection", None), "sock", None)
    return sock is not None and bool(select.select([sock], [], [], timeout)[0])


class Capture:
    """A capture running in a background thread; made by :func:`capture`.

    Take a :meth:`session` snapshot at any time, read :attr:`stats`, :meth:`stop` it or
    :meth:`wait` for the browser session to end. A ``with`` block stops it on exit.
    """

    def __init__(self, browser_id: str, api: Api, *, replay: str | None,
                 categories: Sequence[str] | None, spool: Path | None, backfill: bool,
                 progress: Progress) -> None:
        self.browser_id = browser_id
        self.spool = spool
        self._api = api
        self._replay = replay
        self._decoder = SSEDecoder()  # one for every connection: frame positions run on
        self._intake = Intake(categories)
        self._backfill_enabled = backfill
        self._progress = progress
        self._stopping = threading.Event()
        self._abort = threading.Event()
        # waited on instead of joining the thread: a join interrupted by Ctrl-C can return
        # early afterwards (CPython < 3.13)
        self._done = threading.Event()
        self._answered = threading.Event()
        self._first_error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._response: requests.Response | None = None
        self._spool: Spool | None = None
        self._started = time.monotonic()
        self._started_at = datetime.now(UTC)
        self._state = "connecting"
        self.error: BaseException | None = None
        self.ended = False
        self.bytes = 0
        self.reconnects = 0
        self.backfilled = 0

    # -- public ---------------------------------------------------------------------------------

    def session(self) -> Session:
        """What has been captured so far, as a Session (a snapshot: no re-parsing)."""
        with self._intake.lock:
            self._intake.parse()
            return Session.from_builder(self._intake.builder, source=self._source())

    @property
    def stats(self) -> CaptureStats:
        """Events (all and per category), rate, bytes, reconnects, last seq, gaps, skipped."""
        tables, held, skipped, errors, _ = self._intake.known()
        starts, ends = seq_gaps(held, skipped=skipped, errors=errors)
        gaps = int((ends - starts + 1).sum())
        known = np.concatenate([held, skipped, errors])
        return CaptureStats.of(
            self.browser_id, tables, state=self._state, elapsed=time.monotonic() - self._started,
            bytes=self.bytes, reconnects=self.reconnects,
            last_seq=max(self.last_id, int(known.max()) if len(known) else 0),
            gaps=gaps, skipped=len(skipped),
            errors=len(errors), backfilled=self.backfilled,
        )

    @property
    def running(self) -> bool:
        """Whether the capture thread is still streaming or backfilling."""
        return self._thread is not None and not self._done.is_set()

    def stop(self, *, backfill: bool = True, timeout: float = 30.0) -> Session:
        """Stop streaming, fill the gaps from history (unless ``backfill=False``), return it all.

        Returns within ``timeout`` seconds whatever the server does: history that cannot be
        reached by then (an outage, retries backing off) is given up on, and what it would have
        filled stays in ``session.gaps``; a connection still waiting for a silent server is left
        to end at its read timeout, in the background.
        """
        self._stopping.set()
        if not backfill:
            self._abort.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(ValueError, RuntimeError, OSError):
                response.raw.shutdown()
        if self._thread is not None and not self._done.wait(timeout):
            self._abort.set()
        return self.session()

    def wait(self, timeout: float | None = None) -> Session:
        """Block until the capture finishes (the browser session ended, or it gave up).

        Raises
        ------
        CaptureError
            When it is still running after ``timeout`` seconds, or gave up (retries spent, a
            stuck history pager, a stream that is not ``text/event-stream``).
        AuthenticationError
            When a reconnect was refused.
        SpoolError
            When the spool could not be written (a full disk): streaming stopped there, and
            :meth:`session` still holds everything that arrived.
        """
        if self._thread is not None and not self._done.wait(timeout):
            raise CaptureError(
                f"the capture of {self.browser_id!r} is still running after {timeout} s; "
                "call wait() again, take cap.session() now, or cap.stop()"
            )
        if self.error is not None:
            raise self.error
        return self.session()

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Capture {self.browser_id!r} from {self._api.base_url}: {self.stats.line()}>"

    def _repr_html_(self) -> str:
        return self.stats._repr_html_()

    @property
    def last_id(self) -> int:
        """The resume point: the largest SSE id received (sent as ``Last-Event-ID``)."""
        return self._intake.last_id

    # -- the thread -----------------------------------------------------------------------------

    def _start(self, connect_timeout: float) -> None:
        """Resume from the spool, start the thread and wait up to ``connect_timeout`` for the
        first answer: a refused key, an unknown browser or an unreachable API raise here."""
        if self.spool is not None:
            self._spool, held = Spool.open(self.spool)
            self._add(held)
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"telemetry-capture-{self.browser_id}")
        self._thread.start()
        self._answered.wait(connect_timeout)
        if self._first_error is not None:
            self._done.wait()
            raise self._first_error

    def _first(self) -> tuple[requests.Response | None, float | None]:
        """The first connection: the stream, or the Retry-After to wait before the next."""
        try:
            return self._api.stream(self.browser_id, self.last_id, self._replay), None
        except Gone:
            if not self.last_id:
                raise BrowserNotFound(
                    f"browser session {self.browser_id!r} not found at {self._api.base_url} "
                    "(404): expected the id of a running browser; for one that has ended, use "
                    "telemetry_lab.fetch_events()"
                ) from None
            self.ended = True
        except requests.ConnectionError as exc:
            raise CaptureError(
                f"cannot reach {self._api.base_url} ({type(exc).__name__}): expected the Kernel "
                "API, or a telemetry_lab replay server, at base_url= or KERNEL_BASE_URL"
            ) from None
        except (Retry, *TRANSIENT) as exc:
            return None, getattr(exc, "after", None)
        return None, None

    def _run(self) -> None:
        """The thread: any exception, here or in the cleanup, ends the capture as failed."""
        try:
            try:
                try:
                    response, after = self._first()
                except BaseException as exc:
                    self._first_error = self._api.scrubbed(exc)
                    raise
                finally:
                    self._answered.set()
                self._report(force=True)
                self._stream(response, after)
                if self._spool is not None and self._spool.failed is not None:
                    raise self._spool.failed
                if self._backfill_enabled and not self._abort.is_set():
                    self._state = "backfilling"
                    self._report(force=True)
                    self._backfill()
                self._state = "ended" if self.ended else "stopped"
            except BaseException as exc:
                self.error = self._api.scrubbed(exc)
                self._state = "failed"
            finally:
                self._close_spool()
                with contextlib.suppress(Exception):
                    self._report(force=True, final=True)
        finally:
            self._done.set()

    def _close_spool(self) -> None:
        try:
            if self._spool is not None:
                self._spool.close()
        except SpoolError as exc:
            if self.error is None:
                self.error, self._state = exc, "failed"

    def _write_spool(self, frames: bytes) -> None:
        """Spool frames; when that fails (a full disk), stop: what arrived stays in memory."""
        if self._spool is not None and self._spool.failed is None:
            try:
                self._spool.write(frames)
            except SpoolError:
                self._stopping.set()
                self._abort.set()

    def _stream(self, response: requests.Response | None, after: float | None) -> None:
        failures = 0 if response is not None else 1
        while not self._stopping.is_set() and not self.ended:
            if response is None:
                if failures:
                    self._state = "reconnecting"
                    self._report(force=True)
                    if failures > self._api.max_retries:
                        raise CaptureError(
                            f"gave up on the stream of {self.browser_id!r} after {failures - 1} "
                            f"retries; last seq {self.last_id}. Check the network, or raise "
                            "max_retries"
                        )
                    self._stopping.wait(self._api.delay(failures, after))
                    if self._stopping.is_set():
                        return
                try:
                    response = self._api.stream(self.browser_id, self.last_id, self._replay)
                    self.reconnects += 1
                except Gone:
                    self.ended = True
                    return
                except (Retry, *TRANSIENT) as exc:
                    failures, after = failures + 1, getattr(exc, "after", None)
                    continue
            before = self.last_id
            self._response, self._state = response, "streaming"
            try:
                parse_stream(self._chunks(response), self._add, decoder=self._decoder,
                             on_frames=self._write_spool, wait=partial(_wait_readable, response))
            except TRANSIENT:
                pass
            finally:
                self._response = None
                response.close()
            response, after = None, None
            failures = 0 if self.last_id > before else failures + 1

    def _chunks(self, response: requests.Response) -> Iterator[bytes]:
        raw = response.raw
        while not self._stopping.is_set():
            chunk = raw.read1(READ_SIZE, decode_content=True)
            if not chunk:
                return
            self.bytes += len(chunk)
            yield chunk

    def _add(self, batch: Batch) -> None:
        self._intake.add(batch)
        self._report()

    # -- backfill -------------------------------------------------------------------------------

    def _backfill(self) -> None:
        """Fetch the missing seqs from history (every category: with a filter on, the seqs of
        the others become skipped) and merge them by seq."""
        tables, _, skipped, errors, before = self._intake.known()
        seqs, ts = seq_ts(tables)
        starts, ends, windows = missing(seqs, ts, skipped=skipped, errors=errors,
                                        before=self._replay == "all", after=self.ended)
        backfill(self._api, self.browser_id, starts, ends, windows, self._add, self._spool)
        self.backfilled = self._intake.held() - before

    # -- status ---------------------------------------------------------------------------------

    def _report(self, *, force: bool = False, final: bool = False) -> None:
        if self._progress.due(force):
            self._progress.show(self.stats, final=final)

    def _source(self) -> dict[str, Any]:
        return {
            "format": "capture", "browser_id": self.browser_id, "base_url": self._api.base_url,
            "started_at": self._started_at.isoformat(timespec="seconds"),
            "spool": str(self.spool) if self.spool else None, "ended": self.ended,
            "bytes": self.bytes, "reconnects": self.reconnects, "backfilled": self.backfilled,
            "categories": sorted(cats) if (cats := self._intake.categories) else None,
            "filtered_out": self._intake.filtered,
        }


def capture(
    browser_id: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    replay: str | None = "all",
    categories: Sequence[str] | None = None,
    spool: str | os.PathLike[str] | bool | None = None,
    backfill: bool = True,
    read_timeout: float = 45.0,
    connect_timeout: float = 10.0,
    max_retries: int = 10,
    backoff: float = 0.5,
    max_backoff: float = 30.0,
    progress: bool | None = None,
) -> Capture:
    """Capture the telemetry of browser ``browser_id`` in a background thread.

    Parameters
    ----------
    browser_id
        The Kernel browser session id.
    api_key, base_url
        Default to ``KERNEL_API_KEY`` and ``KERNEL_BASE_URL`` (then ``https://api.onkernel.com``).
    replay
        ``"all"`` starts from the oldest event the browser still holds (about 1,024) and fills
        what is older from history; None starts with new events.
    categories
        Keep only these categories (``"network"``, ``"page"``, …); the others are dropped.
    spool
        File every frame is appended to (SSE, flushed as it arrives; read it with
        ``telemetry_lab.read_sse``). Default ``./telemetry/<browser_id>.sse``; an existing spool
        is resumed after its last seq; ``False`` keeps nothing on disk.
    backfill
        Fill seq gaps (evicted or undecodable events) from history when the capture ends.
    read_timeout
        Seconds without a byte (keepalives count) before the stream is presumed dead.
    connect_timeout
        Seconds to connect; also how long this call waits for the first answer before it
        returns with the capture still connecting (later failures surface in ``wait()``).
    max_retries, backoff, max_backoff
        Consecutive failed attempts allowed, and the exponential backoff (seconds, with jitter;
        a valid ``Retry-After`` on 429/503 wins, up to ``max_backoff``).
    progress
        Live status: one updating display in Jupyter, one line on stderr in a terminal. None
        shows it when either is available.

    Raises
    ------
    AuthenticationError
        On 401/403, at once; a key with whitespace or control characters before any request.
    BrowserNotFound
        When the browser does not exist (404) and no spool holds its events.
    CaptureError
        When the API cannot be reached, or answers 200 with something other than an event
        stream.
    SpoolError
        When ``spool`` is a file the capture did not write (it is left untouched).
    """
    require_categories(categories, function="capture")
    api = Api(api_key, base_url, connect_timeout=connect_timeout, read_timeout=read_timeout,
              max_retries=max_retries, backoff=backoff, max_backoff=max_backoff,
              sleep=time.sleep)
    if spool is None or spool is True:
        spool_path: Path | None = SPOOL_DIR / f"{browser_id}.sse"
    else:
        spool_path = None if spool is False else Path(spool)
    cap = Capture(browser_id, api, replay=replay, categories=categories, spool=spool_path,
                  backfill=backfill, progress=Progress.auto(progress))
    api.sleep = cap._abort.wait
    cap._start(connect_timeout)
    return cap


__all__ = ["Capture", "capture"]
