"""The browser session being replayed: its frames, clock, ring, end and fault counters."""

from __future__ import annotations

import random
import threading
import time
from bisect import bisect_right

from telemetry_lab._replay.faults import Faults, frames, stored
from telemetry_lab._replay.recording import Recording


class Feed:
    """One browser session being replayed: its frames, clock, ring, end and fault counters."""

    def __init__(self, recording: Recording, *, ring: int | None, speed: float | None,
                 faults: Faults) -> None:
        self.faults = faults
        self.recording = recording
        self.frames = frames(recording, faults)
        self.history = stored(recording, faults)
        first = int(recording.ts[0]) if len(recording.ts) else 0
        self.offsets = [(int(t) - first) / 1e6 / speed for t in recording.ts] if speed else None
        self.ring = ring
        self.speed = speed
        self.started: float | None = None
        self.ended = False
        self.stream_requests = 0
        self.events_requests = 0
        self.stalled = False
        self.rng = random.Random(faults.seed)
        self.lock = threading.Lock()

    def clock(self) -> float:
        """Seconds since the first stream request (which starts the clock)."""
        with self.lock:
            if self.started is None:
                self.started = time.monotonic()
            return time.monotonic() - self.started

    def produced(self, elapsed: float) -> int:
        """How many events the browser has produced ``elapsed`` s after the stream started."""
        return len(self.frames) if self.offsets is None else bisect_right(self.offsets, elapsed)

    def oldest(self, produced: int) -> int:
        """Index of the oldest event still in the ring once ``produced`` events exist."""
        return 0 if self.ring is None else max(0, produced - self.ring)

    def now_us(self) -> int:
        """The recording's clock now, for durations such as ``since=5m``."""
        ts = self.recording.ts
        if not len(ts):
            return int(time.time() * 1e6)
        elapsed = time.monotonic() - self.started if self.started is not None else 0.0
        if self.speed is None:
            return int(ts[-1] + elapsed * 1e6)
        return int(ts[0] + elapsed * 1e6 * self.speed)


__all__ = ["Feed"]
