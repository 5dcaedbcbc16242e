"""The capture thread: stream, reconnect with ``Last-Event-ID``, spool, backfill, status."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
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

from ..checks import require_categories
from ..decode import Batch
from ..livestream import parse_stream
from ..progress import CaptureStats, Progress
from ..seqs import gaps as seq_gaps
from ..session import Session
from ..tables import TableBuilder
from .api import TRANSIENT, Api, BrowserNotFound, CaptureError, Gone, Retry
from .history import backfill, missing, seq_ts
from .spool import SPOOL_DIR, Spool

READ_SIZE = 1 << 20
#: Received envelopes are parsed in batches of up to this many lines or bytes, or sooner when
#: someone looks (:meth:`Capture.session`, :attr:`Capture.stats`): each batch costs the table
#: builder a fixed overhead per event type, so big batches parse much faster than small ones.
PARSE_LINES = 16_384
PARSE_BYTES = 32 << 20
_CATEGORY = re.compile(rb'"category"\s*:\s*"([^"\\]*)"')


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
        self._frame_numbers = itertools.count(1)  # frame positions run on across reconnects
        self._categories = frozenset(categories) if categories else None
        self._backfill_enabled = backfill
        self._progress = progress
        self._builder = TableBuilder()
        self._queued: list[Batch] = []
        self._queued_lines = self._queued_bytes = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._abort = threading.Event()
        # waited on instead of joining the thread: a join interrupted by Ctrl-C can return
        # early afterwards (CPython < 3.13)
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._response: requests.Response | None = None
        self._spool: Spool | None = None
        self._started = time.monotonic()
        self._started_at = datetime.now(UTC)
        self._state = "connecting"
        self.error: BaseException | None = None
        self.ended = False
        self.last_id = 0
        self.bytes = 0
        self.reconnects = 0
        self.backfilled = 0
        self.filtered = 0

    # -- public ---------------------------------------------------------------------------------

    def session(self) -> Session:
        """What has been captured so far, as a Session (a snapshot: no re-parsing)."""
        with self._lock:
            self._parse_queued()
            return Session.from_builder(self._builder, source=self._source())

    @property
    def stats(self) -> CaptureStats:
        """Events (all and per category), rate, bytes, reconnects, last seq, gaps, skipped."""
        with self._lock:
            self._parse_queued()
            tables = self._builder.tables()
            held = self._builder.seqs()
            skipped = np.unique(np.asarray(self._builder.skipped, np.int64))
            errors = np.asarray([e.seq for e in self._builder.errors if e.seq is not None],
                                np.int64)
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

        History that cannot be reached within ``timeout`` seconds (an outage, retries backing
        off) is given up on: what it would have filled stays in ``session.gaps``.
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
            self._done.wait()
        return self.session()

    def wait(self, timeout: float | None = None) -> Session:
        """Block until the capture finishes (the browser session ended, or it gave up).

        Raises
        ------
        CaptureError
            When it is still running after ``timeout`` seconds, or gave up.
        AuthenticationError
            When a reconnect was refused.
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

    # -- the thread -----------------------------------------------------------------------------

    def _start(self) -> None:
        """Resume from the spool, connect once here (auth and 404 fail at once), then thread on."""
        if self.spool is not None:
            self._spool, held = Spool.open(self.spool)
            self._add(held)
        response, after = None, None
        try:
            response = self._api.stream(self.browser_id, self.last_id, self._replay)
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
            after = getattr(exc, "after", None)
        self._report(force=True)
        self._thread = threading.Thread(target=self._run, args=(response, after), daemon=True,
                                        name=f"telemetry-capture-{self.browser_id}")
        self._thread.start()

    def _run(self, response: requests.Response | None, after: float | None) -> None:
        try:
            self._stream(response, after)
            if self._backfill_enabled and not self._abort.is_set():
                self._state = "backfilling"
                self._report(force=True)
                self._backfill()
            self._state = "ended" if self.ended else "stopped"
        except BaseException as exc:
            self.error = exc
            self._state = "failed"
        finally:
            if self._spool is not None:
                self._spool.close()
            self._report(force=True, final=True)
            self._done.set()

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
                parse_stream(self._chunks(response), self._add,
                             on_frames=self._spool.write if self._spool else None,
                             wait=partial(_wait_readable, response),
                             frame_numbers=self._frame_numbers)
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
            chunk = raw.read1(READ_SIZE)
            if not chunk:
                return
            self.bytes += len(chunk)
            yield chunk

    def _add(self, batch: Batch) -> None:
        ids = [i for i in batch.ids or () if i is not None] + batch.skipped
        if ids:
            self.last_id = max(self.last_id, *ids)
        if self._categories is not None and batch.lines:
            batch = self._filter(batch)
        with self._lock:
            self._queued.append(batch)
            self._queued_lines += len(batch.lines)
            self._queued_bytes += sum(map(len, batch.lines))
            if self._queued_lines >= PARSE_LINES or self._queued_bytes >= PARSE_BYTES:
                self._parse_queued()
        self._report()

    def _parse_queued(self) -> None:
        """Hand the batches received since the last call to the table builder, as one."""
        if not self._queued:
            return
        lines: list[bytes] = []
        positions: list[int] = []
        ids: list[int | None] = []
        merged_batch = Batch(lines, positions, ids)
        for batch in self._queued:
            lines += batch.lines
            positions += batch.positions
            ids += batch.ids if batch.ids is not None else [None] * len(batch.lines)
            merged_batch.skipped += batch.skipped
            merged_batch.errors += batch.errors
            merged_batch.warnings += batch.warnings
        self._builder.add(merged_batch)
        self._queued, self._queued_lines, self._queued_bytes = [], 0, 0

    def _filter(self, batch: Batch) -> Batch:
        """Only the wanted categories; the seqs of the others count as skipped, not missing."""
        assert self._categories is not None
        keep = [(m := _CATEGORY.search(line)) is None or m.group(1).decode() in self._categories
                for line in batch.lines]
        ids = batch.ids or [None] * len(keep)
        dropped = [i for i, k in zip(ids, keep, strict=True) if not k and i is not None]
        self.filtered += len(keep) - sum(keep)
        return Batch(
            [line for line, k in zip(batch.lines, keep, strict=True) if k],
            [p for p, k in zip(batch.positions, keep, strict=True) if k],
            [i for i, k in zip(ids, keep, strict=True) if k],
            batch.skipped + dropped,
            batch.errors,
            batch.warnings,
        )

    # -- backfill -------------------------------------------------------------------------------

    def _held(self) -> int:
        with self._lock:
            self._parse_queued()
            self._builder.flush()
            return self._builder.events

    def _backfill(self) -> None:
        """Fetch the missing seqs from history (every category: with a filter on, the seqs of
        the others become skipped) and merge them by seq."""
        with self._lock:
            self._parse_queued()
            seqs, ts = seq_ts(self._builder.tables())
            skipped = np.asarray(self._builder.skipped, np.int64)
            errors = np.array([e.seq for e in self._builder.errors if e.seq is not None], np.int64)
            before = self._builder.events
        starts, ends, windows = missing(seqs, ts, skipped=skipped, errors=errors,
                                        before=self._replay == "all", after=self.ended)
        backfill(self._api, self.browser_id, starts, ends, windows, self._add, self._spool)
        self.backfilled = self._held() - before

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
            "categories": sorted(self._categories) if self._categories else None,
            "filtered_out": self.filtered,
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
    max_retries, backoff, max_backoff
        Consecutive failed attempts allowed, and the exponential backoff (seconds, with jitter;
        a ``Retry-After`` header wins).
    progress
        Live status: one updating display in Jupyter, one line on stderr in a terminal. None
        shows it when either is available.

    Raises
    ------
    AuthenticationError
        On 401/403, at once.
    BrowserNotFound
        When the browser does not exist (404) and no spool holds its events.
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
    cap._start()
    return cap


__all__ = ["Capture", "capture"]
