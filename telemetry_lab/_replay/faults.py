"""What the replay server breaks, reproducibly, and the frames it sends with those faults."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telemetry_lab._replay.recording import Recording
from telemetry_lab.sse import encode_frames

BIG_FRAME = 1 << 20


@dataclass(frozen=True)
class Faults:
    """What the replay server breaks, reproducibly: random choices are drawn from ``seed``.

    Parameters
    ----------
    drop_after
        Close every stream connection abruptly after this many frames.
    drop_rate
        Chance, per frame after the first of a connection, that the connection drops before it.
    stall_after, stall_seconds
        On the first connection, go silent (no keepalives either) after ``stall_after`` frames for
        ``stall_seconds``: the client must notice with its read timeout.
    garbage
        Seqs whose frame carries invalid JSON (history keeps the real event).
    fail_first, fail_status, retry_after
        Answer the first ``fail_first`` stream requests with ``fail_status`` (503, 429, 401, …),
        with a ``Retry-After`` header (seconds) when ``retry_after`` is set.
    events_fail_first
        Answer the first ``events_fail_first`` history requests with ``fail_status`` too.
    chunk_size
        Write the stream in TCP pieces of this many bytes (``TCP_NODELAY``, one send each).
    big_frame
        Pad this seq's frame to over 1 MB with JSON whitespace (same envelope once parsed).
    skip
        Seqs sent as id-only frames (filtered by the server; absent from history too).
    truncate_end
        The session ends with this many last events never streamed (history has them).

    Examples
    --------
    >>> from telemetry_lab.datasets import sample_path
    >>> recording = Recording.load(sample_path())
    >>> sent = frames(recording, Faults(garbage=(2,), skip=(3,)))
    >>> sent[1], sent[2]
    (b'id: 2\\ndata: {"seq": 2, "event": {garbage\\n\\n', b'id: 3\\n\\n')
    >>> int(stored(recording, Faults(skip=(3,))).sum())
    247
    """

    seed: int = 0
    drop_after: int | None = None
    drop_rate: float = 0.0
    stall_after: int | None = None
    stall_seconds: float = 0.0
    garbage: tuple[int, ...] = ()
    fail_first: int = 0
    fail_status: int = 503
    retry_after: float | None = None
    events_fail_first: int = 0
    chunk_size: int | None = None
    big_frame: int | None = None
    skip: tuple[int, ...] = ()
    truncate_end: int = 0

    def describe(self) -> list[str]:
        """The faults switched on, in words.

        Examples
        --------
        >>> Faults(drop_after=60, garbage=(150,), chunk_size=512).describe()
        ['every connection dropped after 60 frames', 'invalid JSON in the frame of seq 150', \
'the stream written in TCP pieces of 512 bytes']
        """
        retry = f" (Retry-After {self.retry_after:g} s)" if self.retry_after is not None else ""
        seqs = ", ".join(map(str, self.garbage))
        said = [
            (self.fail_first, f"{self.fail_status} to the first {self.fail_first} stream "
                              f"request(s){retry}"),
            (self.events_fail_first, f"{self.fail_status} to the first "
                                     f"{self.events_fail_first} history request(s)"),
            (self.drop_after, f"every connection dropped after {self.drop_after} frames"),
            (self.drop_rate, f"connections dropped at random ({self.drop_rate:.0%} a frame, "
                             f"seed {self.seed})"),
            (self.stall_after, f"a {self.stall_seconds:g} s stall after {self.stall_after} "
                               "frames"),
            (self.garbage, f"invalid JSON in the frame of seq {seqs}"),
            (self.big_frame, f"a 1 MB frame at seq {self.big_frame}"),
            (self.chunk_size, f"the stream written in TCP pieces of {self.chunk_size} bytes"),
            (self.skip, f"{len(self.skip)} id-only frame(s)"),
            (self.truncate_end, f"the last {self.truncate_end} events never streamed "
                                "(only in history)"),
        ]
        return [text for on, text in said if on]


def frames(recording: Recording, faults: Faults) -> list[bytes]:
    """The SSE frame of every seq of ``recording``, broken as ``faults`` says."""
    lines = []
    for seq, line in zip(recording.seqs, recording.lines, strict=True):
        if not line or seq in faults.skip:
            line = b""
        elif seq in faults.garbage:
            line = b'{"seq": %d, "event": {garbage' % seq
        elif seq == faults.big_frame:
            line = b"{" + b" " * BIG_FRAME + line[1:]
        lines.append(line)
    return list(encode_frames(recording.seqs, lines))


def stored(recording: Recording, faults: Faults) -> np.ndarray:
    """Which events history holds (not the id-only frames, nor the seqs ``faults`` skips)."""
    skip = set(faults.skip)
    return np.array([bool(line) and seq not in skip
                     for seq, line in zip(recording.seqs, recording.lines, strict=True)], bool)


__all__ = ["Faults"]
