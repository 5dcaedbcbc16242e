"""The Session: one Arrow-backed pandas DataFrame per event type, plus what went missing.

Examples
--------
>>> import telemetry_lab
>>> session = telemetry_lab.load_sample()
>>> len(session), session.types[:3]
(248, ['console_error', 'console_log', 'interaction_click'])
>>> session.frame("page_lcp")[["seq", "lcp_element_id", "lcp_size"]].tail(1)
   seq lcp_element_id  lcp_size
4  240                  14362.0
>>> session.gaps.empty, session.errors.empty
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from telemetry_lab.checks import suggest
from telemetry_lab.decode import FrameError
from telemetry_lab.errors import EventTypeNotFound
from telemetry_lab.export.parquet import write_tables
from telemetry_lab.schema import (
    CATEGORIES,
    COMMON,
    CONTEXT,
    DUPLICATES_SCHEMA,
    ERRORS_SCHEMA,
    EVENT_TYPES,
    GAPS_SCHEMA,
    schema_for,
)
from telemetry_lab.seqs import gaps as seq_gaps
from telemetry_lab.seqs import sorted_seqs

if TYPE_CHECKING:
    from telemetry_lab.tables import TableBuilder

_EVENT_COLUMNS = [f.name for f in COMMON] + [name for name, _, _ in CONTEXT]


def _frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def errors_table(errors: Sequence[FrameError]) -> pa.Table:
    """Frame errors as a table (raw text decoded and cut to 200 characters)."""
    return pa.table(
        {
            "position": [e.position for e in errors],
            "seq": [e.seq for e in errors],
            "reason": [e.reason for e in errors],
            "raw": [e.raw.decode("utf-8", "replace")[:200] for e in errors],
        },
        schema=ERRORS_SCHEMA,
    )


class Session:
    """The telemetry of one browser session as per-type tables.

    Build one with :func:`telemetry_lab.read` (or ``read_sse`` / ``read_ndjson`` /
    ``read_events_json`` / ``read_parquet``), :func:`telemetry_lab.load_sample` or a capture.

    Parameters
    ----------
    tables
        One Arrow table per event type, each with the schema of
        :data:`telemetry_lab.schema.SCHEMAS` (the generic schema for unknown types).
    errors, skipped, duplicates
        Frames that could not be read, seqs the server skipped (id-only frames), seqs received
        more than once (the first copy is kept).
    warnings
        Frames that were read, but not exactly as sent (same columns as ``errors``): invalid
        UTF-8 replaced, an SSE ``id`` that is not a seq or disagrees with the envelope's, a seq
        that went back (a restarted counter; both events are kept).
    source
        Where the data came from: format, path, capture times and so on.
    """

    def __init__(
        self,
        tables: Mapping[str, pa.Table] | None = None,
        *,
        errors: pa.Table | None = None,
        skipped: Sequence[int] | np.ndarray = (),
        duplicates: pa.Table | None = None,
        warnings: pa.Table | None = None,
        source: Mapping[str, Any] | None = None,
    ) -> None:
        self._tables = dict(sorted((tables or {}).items()))
        self._errors = errors if errors is not None else ERRORS_SCHEMA.empty_table()
        self._skipped = np.unique(np.asarray(skipped, dtype=np.int64))
        self._duplicates = duplicates if duplicates is not None else DUPLICATES_SCHEMA.empty_table()
        self._warnings = warnings if warnings is not None else ERRORS_SCHEMA.empty_table()
        self.source: dict[str, Any] = dict(source or {})
        self._events: pd.DataFrame | None = None
        self._html: str | None = None

    @classmethod
    def from_builder(cls, builder: TableBuilder, *, source: Mapping[str, Any] | None = None
                     ) -> Session:
        """Snapshot what a :class:`~telemetry_lab.tables.TableBuilder` holds (no re-parsing)."""
        tables = builder.tables()
        duplicates = pa.table(
            [list(column) for column in zip(*builder.duplicates, strict=True)]
            if builder.duplicates else [[], [], []],
            schema=DUPLICATES_SCHEMA,
        )
        return cls(
            tables,
            errors=errors_table(builder.errors),
            skipped=builder.skipped,
            duplicates=duplicates,
            warnings=errors_table(builder.warnings),
            source=source,
        )

    # -- frames ---------------------------------------------------------------------------------

    @property
    def types(self) -> list[str]:
        """Event types present, alphabetically."""
        return list(self._tables)

    def table(self, event_type: str, *, allow_missing: bool = False) -> pa.Table:
        """The Arrow table of ``event_type`` (see :meth:`frame`)."""
        if event_type in self._tables:
            return self._tables[event_type]
        if allow_missing:
            return schema_for(event_type).empty_table()
        present = ", ".join(self.types) or "none (the session is empty)"
        close = suggest(event_type, self.types) or suggest(event_type, EVENT_TYPES)
        hint = close if event_type in EVENT_TYPES else (
            f" '{event_type}' is not a Kernel event type either.{close} Known types: "
            + ", ".join(EVENT_TYPES) + "."
        )
        raise EventTypeNotFound(
            f"this session has no '{event_type}' events. Types present: {present}.{hint} "
            "Pass allow_missing=True to get an empty frame instead."
        )

    def frame(self, event_type: str, *, allow_missing: bool = False) -> pd.DataFrame:
        """The events of one type as an Arrow-backed DataFrame, by seq.

        The frame's ``nav_seq`` is the monitor's: the navigation current in the tab when the
        event was sent. A navigation's own document request is sent before it commits, so it
        carries the previous navigation's number (or none on a tab's first page). To join
        events to :func:`telemetry_lab.navigations` or :func:`telemetry_lab.vitals`, use
        :func:`telemetry_lab.assign_navigation` (the metric outputs already carry the right
        ``nav_seq``).

        Parameters
        ----------
        event_type
            A type such as ``"network_request"`` (see :attr:`types`).
        allow_missing
            Return an empty frame with the type's columns instead of raising when the session
            holds no such events.

        Raises
        ------
        EventTypeNotFound
            When the type is absent (and ``allow_missing`` is false); the message lists the types
            present.

        Examples
        --------
        >>> import telemetry_lab
        >>> clicks = telemetry_lab.load_sample().frame("interaction_click")
        >>> clicks[["seq", "selector", "x", "y"]].head(2)
           seq       selector    x    y
        0  124      .card-img  487  356
        1  183  #reviews-more  639  428
        """
        return _frame(self.table(event_type, allow_missing=allow_missing))

    def __getitem__(self, event_type: str) -> pd.DataFrame:
        return self.frame(event_type)

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._tables

    def __len__(self) -> int:
        return sum(t.num_rows for t in self._tables.values())

    @property
    def events(self) -> pd.DataFrame:
        """Common and context columns of every event, one long table by seq."""
        if self._events is None:
            parts = [t.select(_EVENT_COLUMNS) for t in self._tables.values()]
            if parts:
                table = pa.concat_tables(parts)
                table = table.take(np.argsort(table["seq"].to_numpy(), kind="stable"))
            else:
                table = schema_for("").empty_table().select(_EVENT_COLUMNS)
            self._events = _frame(table)
        return self._events

    @property
    def counts(self) -> pd.DataFrame:
        """Events per category and type (``category``, ``type``, ``events``), by category."""
        rows = [
            (EVENT_TYPES[name].category if name in EVENT_TYPES else "unknown", name, t.num_rows)
            for name, t in self._tables.items()
        ]
        order = {c: i for i, c in enumerate((*CATEGORIES, "unknown"))}
        rows.sort(key=lambda r: (order.get(r[0], len(order)), r[1]))
        table = pa.table(
            [list(c) for c in zip(*rows, strict=True)] if rows else [[], [], []],
            schema=pa.schema(
                [("category", pa.string()), ("type", pa.string()), ("events", pa.int64())]
            ),
        )
        return _frame(table)

    @property
    def category_counts(self) -> pd.Series:
        """Events per category."""
        counts = self.counts
        return counts.groupby("category", sort=False)["events"].sum()

    @property
    def time_range(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """First and last event ``ts``; None for an empty session."""
        ts = self.events["ts"]
        if ts.empty:
            return None
        return (ts.min(), ts.max())

    def _seqs(self) -> np.ndarray:
        """Every event seq, sorted (the builder keeps each seq once)."""
        return sorted_seqs(t["seq"].to_numpy() for t in self._tables.values())

    @property
    def gaps(self) -> pd.DataFrame:
        """Seq ranges with no event (``start``, ``end`` inclusive, ``missing``).

        Seqs the server skipped (id-only frames) are not gaps; seqs of frames that could not be
        decoded are, since their events are missing (also past the last event received).
        """
        start, end = seq_gaps(self._seqs(), skipped=self._skipped,
                              errors=self._errors["seq"].drop_null().to_numpy())
        return _frame(pa.table([start, end, end - start + 1], schema=GAPS_SCHEMA))

    @property
    def skipped(self) -> pd.Series:
        """Seqs the server skipped: frames with an ``id`` and no data."""
        return pd.Series(self._skipped, name="seq", dtype=pd.ArrowDtype(pa.int64()))

    @property
    def errors(self) -> pd.DataFrame:
        """Frames that could not be read: ``position``, ``seq``, ``reason``, ``raw`` (200 chars)."""
        return _frame(self._errors)

    @property
    def warnings(self) -> pd.DataFrame:
        """Frames read but not exactly as sent, with why (same columns as :attr:`errors`).

        Invalid UTF-8 replaced by U+FFFD, an SSE ``id`` that is not a seq or disagrees with the
        envelope's seq, a seq that went back (a restarted counter: both events are kept).

        Examples
        --------
        >>> import telemetry_lab
        >>> s = telemetry_lab.read(b'id: 9\\ndata: {"seq":1,"event":{"ts":1796018033868025,'
        ...                        b'"type":"page_load","category":"page"}}\\n\\n')
        >>> s.warnings["reason"].tolist()
        ["SSE id 9 disagrees with the envelope's seq 1; the event is kept under its seq"]
        """
        return _frame(self._warnings)

    @property
    def duplicates(self) -> pd.DataFrame:
        """Seqs received more than once (``seq``, ``type``, ``position`` of the dropped copy)."""
        return _frame(self._duplicates)

    # -- derived sessions -----------------------------------------------------------------------

    def slice(self, start: Any = None, end: Any = None) -> Session:
        """Events with ``start <= ts < end`` (timestamps or strings pandas understands).

        Examples
        --------
        >>> import telemetry_lab
        >>> s = telemetry_lab.load_sample()
        >>> first, _ = s.time_range
        >>> len(s.slice(end=first + pd.Timedelta(seconds=1)))
        95
        """
        lo = pd.Timestamp(start) if start is not None else None
        hi = pd.Timestamp(end) if end is not None else None
        tables = {}
        for name, table in self._tables.items():
            ts = table["ts"]
            mask = pa.array(np.ones(table.num_rows, bool))
            if lo is not None:
                mask = pa.compute.and_(mask, pa.compute.greater_equal(ts, pa.scalar(lo, ts.type)))
            if hi is not None:
                mask = pa.compute.and_(mask, pa.compute.less(ts, pa.scalar(hi, ts.type)))
            kept = table.filter(mask)
            if kept.num_rows:
                tables[name] = kept
        return Session(tables, errors=self._errors, skipped=self._skipped,
                       duplicates=self._duplicates, warnings=self._warnings, source=self.source)

    # -- output ---------------------------------------------------------------------------------

    def to_parquet(self, path: str | Path) -> Path:
        """Write the session as a Parquet directory; see :func:`telemetry_lab.read_parquet`.

        One file per event type plus ``_session.json`` (source, skipped seqs, gaps, errors,
        duplicates, warnings). Rewriting a session directory removes the type files the
        previous write recorded and this one does not have. The files hold raw headers and
        cookies: keep them private.

        Raises
        ------
        TelemetryLabError
            When a file cannot be written (a full disk, say): the message names it.
        """
        def records(frame: pd.DataFrame) -> list[dict[Any, Any]]:
            return frame.astype(object).where(frame.notna(), None).to_dict("records")

        meta = {
            "source": self.source,
            "skipped": [int(s) for s in self._skipped],
            "gaps": self.gaps.astype(object).to_dict("records"),
            "errors": records(self.errors),
            "duplicates": self.duplicates.astype(object).to_dict("records"),
            "warnings": records(self.warnings),
        }
        return write_tables(self._tables, meta, path)

    def summary(self) -> str:
        """A plain-text summary: counts per category and type, time span, gaps, errors.

        Examples
        --------
        >>> import telemetry_lab
        >>> print(telemetry_lab.load_sample().summary().splitlines()[0])
        248 events of 18 types, seq 1–248, 2026-11-30 05:53:53.868 → 05:54:05.840 UTC (12.0 s)
        """
        lines = [self._headline()]
        for category, group in self.counts.groupby("category", sort=False):
            detail = ", ".join(f"{t} {n}" for t, n in zip(group["type"], group["events"],
                                                          strict=True))
            lines.append(f"  {category:<12} {int(group['events'].sum()):>8}  {detail}")
        lines.append(self._gap_line())
        lines.extend(self._error_lines())
        return "\n".join(lines)

    def _headline(self) -> str:
        if self.time_range is None:
            return "empty session: no events"
        n = len(self)
        start, end = self.time_range
        seqs = self._seqs()
        span = (end - start).total_seconds()
        return (
            f"{n} events of {len(self._tables)} types, seq {seqs[0]}–{seqs[-1]}, "
            f"{start:%Y-%m-%d %H:%M:%S.%f}"[:-3] + f" → {end:%H:%M:%S.%f}"[:-3]
            + f" UTC ({span:.1f} s)"
        )

    def _gap_line(self) -> str:
        gaps = self.gaps
        missing = int(gaps["missing"].sum()) if len(gaps) else 0
        text = f"gaps: {len(gaps)} ({missing} seqs missing)"
        if len(gaps):
            text += ": " + ", ".join(
                f"{s}–{e}" if s != e else f"{s}" for s, e in zip(gaps["start"][:5], gaps["end"][:5],
                                                                strict=True)
            ) + (" …" if len(gaps) > 5 else "")
        extra = [f"server-skipped seqs: {len(self._skipped)}"] if len(self._skipped) else []
        if self._duplicates.num_rows:
            extra.append(f"duplicates dropped: {self._duplicates.num_rows}")
        return "; ".join([text, *extra])

    def _error_lines(self) -> list[str]:
        errors = self._errors.to_pylist()
        lines = [f"errors: {len(errors)}"]
        lines += [f"  at {e['position']} (seq {e['seq']}): {e['reason']}" for e in errors[:5]]
        if len(errors) > 5:
            lines.append(f"  … and {len(errors) - 5} more (session.errors)")
        return lines

    def __repr__(self) -> str:
        return f"<Session {self._headline()}; {self._gap_line()}; errors: {self._errors.num_rows}>"

    def _repr_html_(self) -> str:
        """Notebook display: pages with LCP / CLS and ratings, capture health, event counts.

        Computed once per Session (see :mod:`telemetry_lab.export.overview`).
        """
        if self._html is None:
            from telemetry_lab.export.overview import overview_html

            self._html = overview_html(self)
        return self._html
