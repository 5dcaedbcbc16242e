"""The live status of a capture: one updating display in Jupyter, one line on stderr elsewhere.

Examples
--------
>>> import telemetry_lab
>>> sample = telemetry_lab.load_sample()
>>> tables = {name: sample.table(name) for name in ("page_load", "console_log")}
>>> print(CaptureStats.of("b1", tables, state="streaming", elapsed=2.0, bytes=2048, reconnects=1,
...                       last_seq=248, gaps=0, skipped=0, errors=0, backfilled=0).line())
b1 streaming: 11 events (console 8 · page 3) · 6 ev/s · 2.0 KB · seq 248 · reconnects 1 · gaps 0
"""

from __future__ import annotations

import html
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from telemetry_lab.schema import EVENT_TYPES

INTERVAL = 0.5
#: Seconds between progress lines when stderr is not a terminal (a log file, CI).
PLAIN_INTERVAL = 10.0


@dataclass(frozen=True)
class CaptureStats:
    """A capture's counters at one moment (``Capture.stats``)."""

    browser_id: str
    state: str
    events: int
    categories: dict[str, int]
    events_per_s: float
    bytes: int
    reconnects: int
    last_seq: int
    gaps: int
    skipped: int
    errors: int
    backfilled: int
    elapsed: float

    @classmethod
    def of(cls, browser_id: str, tables: Mapping[str, pa.Table], *, state: str, elapsed: float,
           **counters: int) -> CaptureStats:
        """Stats from the per-type tables held (categories counted from the event catalogue)."""
        categories: dict[str, int] = {}
        for name, table in tables.items():
            category = EVENT_TYPES[name].category if name in EVENT_TYPES else "unknown"
            categories[category] = categories.get(category, 0) + table.num_rows
        events = sum(categories.values())
        return cls(browser_id, state, events, dict(sorted(categories.items())),
                   events / elapsed if elapsed > 0 else 0.0, elapsed=elapsed, **counters)

    def line(self) -> str:
        """The status as one line of text."""
        per = " · ".join(f"{c} {n:,}" for c, n in self.categories.items())
        size = self.bytes / 1024
        unit = "KB"
        if size >= 1024:
            size, unit = size / 1024, "MB"
        text = (f"{self.browser_id} {self.state}: {self.events:,} events"
                + (f" ({per})" if per else "")
                + f" · {self.events_per_s:,.0f} ev/s · {size:,.1f} {unit} · seq {self.last_seq}"
                + f" · reconnects {self.reconnects} · gaps {self.gaps}")
        extras = [("skipped", self.skipped), ("errors", self.errors),
                  ("backfilled", self.backfilled)]
        return text + "".join(f" · {name} {n}" for name, n in extras if n)

    def __str__(self) -> str:
        return self.line()

    def _repr_html_(self) -> str:
        cells = "".join(f"<td style='padding:0 8px'>{html.escape(c)}<br><b>{n:,}</b></td>"
                        for c, n in self.categories.items())
        colour = "#b00020" if self.gaps or self.errors else "#188038"
        return (
            "<div style='font-family:system-ui,sans-serif;font-size:13px'>"
            f"<b>capture {html.escape(self.browser_id)}</b> · {html.escape(self.state)} · "
            f"{self.events:,} events · {self.events_per_s:,.0f} ev/s · "
            f"{self.bytes / 1e6:,.1f} MB · seq {self.last_seq} · reconnects {self.reconnects} · "
            f"<span style='color:{colour}'>gaps {self.gaps} · errors {self.errors}</span>"
            f"{f' · backfilled {self.backfilled}' if self.backfilled else ''}"
            f"<table><tr>{cells}</tr></table></div>"
        )


def _in_jupyter() -> bool:
    shell = sys.modules.get("IPython")
    ipython = getattr(shell, "get_ipython", lambda: None)() if shell else None
    return ipython is not None and type(ipython).__name__ == "ZMQInteractiveShell"


class Progress:
    """Where status goes: ``"jupyter"`` (one display updated in place), ``"terminal"`` (one
    line on stderr rewritten in place) or nowhere; at most every :data:`INTERVAL` s."""

    def __init__(self, mode: str | None) -> None:
        self.mode = mode
        self._handle: Any = None
        self._last = 0.0
        self._plain = -PLAIN_INTERVAL

    @classmethod
    def auto(cls, enabled: bool | None) -> Progress:
        """Jupyter when running in a notebook kernel, else a terminal line when stderr is one;
        ``enabled=True`` forces a line, ``False`` shows nothing."""
        if enabled is False:
            return cls(None)
        if _in_jupyter():
            return cls("jupyter")
        return cls("terminal" if enabled or sys.stderr.isatty() else None)

    def due(self, force: bool = False) -> bool:
        """Whether an update should be shown now."""
        return self.mode is not None and (force or time.monotonic() - self._last >= INTERVAL)

    def show(self, stats: CaptureStats, *, final: bool = False) -> None:
        self._last = time.monotonic()
        if self.mode == "jupyter":
            from IPython.display import display

            if self._handle is None:
                self._handle = display(stats, display_id=True)
            else:
                self._handle.update(stats)
        elif self.mode == "terminal":
            if sys.stderr.isatty():
                sys.stderr.write("\r" + stats.line() + "\x1b[K" + ("\n" if final else ""))
            elif final or self._last - self._plain >= PLAIN_INTERVAL:
                sys.stderr.write(stats.line() + "\n")  # a log file: whole lines, now and then
                self._plain = self._last
            sys.stderr.flush()


__all__ = ["CaptureStats", "Progress"]
