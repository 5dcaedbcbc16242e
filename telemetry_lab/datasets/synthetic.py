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
from pathlib import Path

from . import sample_path

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
        for seq, line in enumerate(generate_lines(n, seed=seed), 1):
            handle.write(b"id: %d\ndata: %s\n\n" % (seq, line) if fmt == "sse" else line + b"\n")
    return out
