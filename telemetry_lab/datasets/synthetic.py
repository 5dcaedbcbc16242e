"""Real-shaped synthetic recordings of any size, for benchmarks and load tests.

Events are the bundled ``shop`` journey (real Chromium envelopes: network requests with headers,
console stack traces, layout shifts, LCP candidates, screenshots) repeated with fresh seqs,
timestamps, request ids and loader ids, and a response body on every ``network_response``.

Examples
--------
>>> lines = list(generate_lines(300, seed=1))
>>> import telemetry_lab
>>> session = telemetry_lab.read(b"\\n".join(lines))
>>> len(session), session.gaps.empty, session.frame("network_response")["body"].notna().all()
(300, True, np.True_)
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from telemetry_lab.datasets import load_sample, sample_path
from telemetry_lab.metrics.navigations import assign_navigation, navigations
from telemetry_lab.session import Session
from telemetry_lab.sse import encode_frames

_SEQ = re.compile(rb'^\{"seq":\d+')
_TS = re.compile(rb'"ts":\d+')
_IDS = re.compile(rb'"(request_id|loader_id)":"([^"]*)"')


def _templates() -> list[tuple[bytes, int]]:
    """Each sample line as a %-template (seq, ts, repetition, body) and its original ts."""
    out = []
    for line in sample_path().read_bytes().splitlines():
        match = _TS.search(line)
        assert match is not None
        ts = int(match.group(0)[5:])
        template = line.replace(b"%", b"%%")
        template = _SEQ.sub(b'{"seq":%(seq)d', template, count=1)
        template = _TS.sub(b'"ts":%(ts)d', template, count=1)
        template = _IDS.sub(rb'"\1":"\2.%(rep)d"', template)
        if b'"type":"network_response"' in line and b'"body":' not in line:
            template = template[: template.rindex(b"}}}")] + b',"body":%(body)s}}}'
        out.append((template, ts))
    return out


def _bodies(rng: random.Random, count: int = 64) -> list[bytes]:
    bodies = []
    for _ in range(count):
        items = [{"id": rng.randrange(10**6), "name": f"item-{rng.randrange(10**4)}",
                  "price": round(rng.uniform(1, 500), 2)} for _ in range(rng.randint(1, 8))]
        bodies.append(json.dumps(json.dumps({"items": items})).replace("%", "%%").encode())
    return bodies


def generate_lines(n: int, *, seed: int = 0, period_us: int = 15_000_000) -> Iterator[bytes]:
    """``n`` envelopes as NDJSON lines (no newline), seq 1..n.

    Each repetition of the journey starts ``period_us`` after the previous one (envelope ``ts``;
    the performance-timeline times inside ``data`` keep the original journey's values).
    """
    templates = _templates()
    rng = random.Random(seed)
    bodies = _bodies(rng)
    for seq in range(1, n + 1):
        rep, index = divmod(seq - 1, len(templates))
        template, ts = templates[index]
        yield template % {
            b"seq": seq,
            b"ts": ts + rep * period_us,
            b"rep": rep,
            b"body": bodies[rng.randrange(len(bodies))],
        }


def write_recording(path: str | Path, n: int, *, fmt: str = "ndjson", seed: int = 0) -> Path:
    """Write ``n`` synthetic envelopes to ``path`` as NDJSON or SSE (``fmt="sse"``)."""
    out = Path(path)
    with out.open("wb") as handle:
        lines = generate_lines(n, seed=seed)
        handle.writelines(encode_frames(range(1, n + 1), lines) if fmt == "sse"
                          else (line + b"\n" for line in lines))
    return out


#: Performance-timeline columns (and their raw numbers) moved with each repetition and scaled.
_TIMELINE = ("time", "lcp_render_time", "lcp_load_time")
#: Identifier columns made unique per repetition (as in :func:`generate_lines`).
_REPEATED_IDS = ("loader_id", "request_id")


def vary_session(base: Session, *, seed: int, repeats: int = 4, period_us: int = 15_000_000,
                 lcp_factor: float = 1.0, cls_factor: float = 1.0) -> Session:
    """``base`` repeated ``repeats`` times with every navigation's LCP and CLS varied.

    Each repetition starts ``period_us`` later (envelope ``ts`` and performance-timeline times),
    with fresh seqs, navigation numbers, loader ids and request ids. In each navigation of each
    repetition, LCP candidate times after the navigation start are stretched by a log-normal
    factor (median ``lcp_factor``, sigma 0.5) and layout-shift values scaled by another (median
    ``1.8 * cls_factor``, sigma 0.8): a real-shaped fleet member for tests and benchmarks.

    Examples
    --------
    >>> import telemetry_lab
    >>> from telemetry_lab.metrics.vitals import vitals
    >>> s = vary_session(telemetry_lab.load_sample(), seed=3, repeats=2)
    >>> len(s), len(vitals(s)), s.gaps.empty
    (496, 6, True)
    """
    return _vary(base, _plan(base), seed=seed, repeats=repeats, period_us=period_us,
                 lcp_factor=lcp_factor, cls_factor=cls_factor)


@dataclass(frozen=True)
class _Plan:
    """What varying a base session needs, computed once: spans and each entry's navigation."""

    span: int
    nav_span: int
    navs: int
    owned: dict[str, tuple[np.ndarray, np.ndarray]]  # type -> (navigation row, its start µs)


def _plan(base: Session) -> _Plan:
    navs = navigations(base)
    owned: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in ("page_lcp", "page_layout_shift"):
        if name in base.types:
            owner = assign_navigation(base.frame(name), navs)
            start = owner["nav_start"].astype("int64[pyarrow]").to_numpy("float64",
                                                                          na_value=np.nan)
            owned[name] = (_nav_positions(owner, navs), start)
    return _Plan(int(base.events["seq"].max()) if len(base) else 0,
                 int(base.events["nav_seq"].max()) if len(navs) else 0, len(navs), owned)


def _vary(base: Session, plan: _Plan, *, seed: int, repeats: int, period_us: int,
          lcp_factor: float, cls_factor: float) -> Session:
    rng = np.random.default_rng(seed)
    tables: dict[str, list[pa.Table]] = {name: [] for name in base.types}
    for rep in range(repeats):
        stretch = rng.lognormal(np.log(lcp_factor), 0.5, plan.navs)
        scale = rng.lognormal(np.log(1.8 * cls_factor), 0.8, plan.navs)
        shift = rep * period_us
        for name in base.types:
            table = base.table(name)
            columns = {"seq": pc.add(table["seq"], rep * plan.span),
                       "ts": _shifted(table["ts"], shift),
                       "nav_seq": pc.add(table["nav_seq"], rep * plan.nav_span)}
            for column in _REPEATED_IDS:
                if column in table.column_names and rep:
                    columns[column] = pc.binary_join_element_wise(table[column],
                                                                  pa.scalar(f".r{rep}"), "")
            if name in plan.owned:
                pos, start = plan.owned[name]
                factor = np.where(pos >= 0, stretch[np.maximum(pos, 0)], 1.0)
                for column in _TIMELINE:
                    if column in table.column_names:
                        t = table[column].cast(pa.int64()).to_numpy(zero_copy_only=False)
                        t = np.asarray(t, dtype="float64")
                        if name == "page_lcp":
                            later = np.nan_to_num(t - start, nan=0.0) > 0
                            t = np.where(later, start + (t - start) * factor, t)
                        moved = t + shift
                        columns[column] = pa.array(np.nan_to_num(moved).astype(np.int64),
                                                   table[column].type, mask=np.isnan(moved))
                        columns[f"{column}_raw"] = pa.array(moved / 1e6, pa.float64(),
                                                            mask=np.isnan(moved))
                if name == "page_layout_shift":
                    value = table["layout_shift_value"].to_numpy(zero_copy_only=False)
                    times = np.where(pos >= 0, scale[np.maximum(pos, 0)], 1.0)
                    columns["layout_shift_value"] = pa.array(
                        np.round(np.asarray(value, dtype="float64") * times, 6))
            for column, values in columns.items():
                table = table.set_column(table.schema.get_field_index(column),
                                         table.schema.field(column), values)
            tables[name].append(table)
    return Session({name: pa.concat_tables(parts) for name, parts in tables.items()},
                   source={"format": "synthetic", "seed": seed, "repeats": repeats})


def _shifted(ts: pa.ChunkedArray, micros: int) -> pa.Array:
    return pa.array(np.asarray(ts.cast(pa.int64()).to_numpy(zero_copy_only=False)) + micros,
                     ts.type)


def _nav_positions(owner: pd.DataFrame, navs: pd.DataFrame) -> np.ndarray:
    """Row of ``navs`` each owned row belongs to (-1 for none)."""
    keys = pd.MultiIndex.from_frame(navs[["target_id", "nav_seq"]].astype(object))
    rows = pd.MultiIndex.from_frame(owner[["target_id", "nav_seq"]].astype(object))
    return np.asarray(keys.get_indexer(rows), dtype=np.int64)


def write_fleet(root: str | Path, sessions: int, *, seed: int = 0, repeats: int = 4,
                lcp_factor: float = 1.0, cls_factor: float = 1.0, prefix: str = "run") -> Path:
    """A dataset of ``sessions`` varied copies of the bundled sample (:func:`vary_session`).

    Sessions are named ``<prefix>-0000``, ``<prefix>-0001``, …; ``repeats=4`` gives about 1,000
    events each.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sorted(p.name for p in write_fleet(tmp, 2, repeats=1).iterdir())
    ['session=run-0000', 'session=run-0001']
    """
    base = load_sample()
    plan = _plan(base)
    out = Path(root)
    for i in range(sessions):
        session = _vary(base, plan, seed=seed * 1_000_003 + i, repeats=repeats,
                        period_us=15_000_000, lcp_factor=lcp_factor, cls_factor=cls_factor)
        session.to_parquet(out / f"session={prefix}-{i:04d}")
    return out
