"""Screenshots: which navigation each belongs to and when, with PNGs decoded only when asked.

``monitor_screenshot`` events are event-triggered (``source_event``: a page load, an uncaught
exception, …), at least 2 s apart, and carry a base64 PNG of up to about 1 MB. A screenshot
belongs to the navigation current on its tab; its time is ``ms after that navigation's start``,
the waterfall's axis. :func:`screenshots` reads only each PNG's header (size, dimensions);
:func:`screenshot_at` decodes one.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.screenshots import screenshots, screenshot_at
>>> session = telemetry_lab.load_sample()
>>> screenshots(session)[["seq", "nav_seq", "at_ms", "trigger", "width", "height"]]
   seq  nav_seq     at_ms                  trigger  width  height
0   99        1  1159.964      Page.loadEventFired    320     180
1  180        2   520.931      Page.loadEventFired    320     180
2  194        2    3219.0  Runtime.exceptionThrown    320     180
3  244        3     224.3      Page.loadEventFired    320     180
>>> shot = screenshot_at(session, "2026-11-30 05:53:58Z")
>>> shot.seq, shot.png[:4], len(shot.png)
(99, b'\\x89PNG', 13524)
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from telemetry_lab.checks import require_session
from telemetry_lab.errors import ScreenshotNotFound
from telemetry_lab.metrics._doc import shared_params
from telemetry_lab.metrics.columns import FLOAT64, INT64, STRING, arrow, micros, select
from telemetry_lab.metrics.navigations import assign_navigation, given_navs

if TYPE_CHECKING:
    from telemetry_lab.session import Session

_PNG = b"\x89PNG\r\n\x1a\n"
#: The columns read besides the PNG (never converted to pandas).
_CONTEXT = ("seq", "ts", "target_id", "loader_id", "nav_seq", "source_event")
#: Base64 characters that hold a PNG's signature and IHDR width and height (24 bytes).
_HEADER_CHARS = 32


@dataclass(frozen=True)
class Screenshot:
    """One decoded screenshot; Jupyter displays it as the image.

    Attributes
    ----------
    seq, ts, target_id
        The ``monitor_screenshot`` event.
    png
        The PNG file's bytes.
    """

    seq: int
    ts: pd.Timestamp
    target_id: str | None
    png: bytes

    def _repr_png_(self) -> bytes:
        return self.png


def dimensions(png: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Width and height from each base64 PNG's IHDR (NaN when absent or not a PNG)."""
    heads = pc.utf8_slice_codeunits(png, 0, _HEADER_CHARS).to_pylist()
    width = np.full(len(heads), np.nan)
    height = np.full(len(heads), np.nan)
    for i, head in enumerate(heads):  # one header per screenshot: they are seconds apart
        try:
            raw = base64.b64decode(head or "", validate=False)
        except (binascii.Error, ValueError):
            continue
        if raw.startswith(_PNG) and len(raw) >= 24:
            width[i] = int.from_bytes(raw[16:20], "big")
            height[i] = int.from_bytes(raw[20:24], "big")
    return width, height


def _decoded_bytes(png: pa.ChunkedArray) -> np.ndarray:
    """Decoded size of each base64 string (3 bytes per 4 characters, less the padding)."""
    chars = pc.utf8_length(png).to_numpy(zero_copy_only=False).astype("float64")
    padding = pc.count_substring(pc.utf8_slice_codeunits(png, -2), "=").to_numpy(
        zero_copy_only=False).astype("float64")
    return chars // 4 * 3 - padding


@shared_params
def screenshots(session: Session, *, navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every screenshot with its navigation, time and size, without decoding the images.

    Parameters
    ----------
    {session}
    {navs}

    Returns
    -------
    pandas.DataFrame
        In time order: ``seq``, ``ts``, ``target_id``, ``nav_seq``, ``at_ms`` (ms after its
        navigation's start), ``trigger`` (the event that made the monitor take it, its
        ``source_event``), ``width``, ``height`` (pixels, from the PNG header) and ``bytes``
        (the PNG's size; null when the event carries no image, e.g. truncated).
    """
    navs = given_navs(session, navs, function="screenshots")
    frame = select(session, "monitor_screenshot", _CONTEXT)
    png = session.table("monitor_screenshot", allow_missing=True)["png"]
    owner = assign_navigation(frame, navs)
    width, height = dimensions(png)
    size = _decoded_bytes(png)
    out = pd.DataFrame({
        "seq": arrow(frame["seq"], INT64),
        "target_id": arrow(owner["target_id"].fillna(frame["target_id"]), STRING),
        "nav_seq": arrow(owner["nav_seq"], INT64),
        "at_ms": arrow(np.round((micros(frame["ts"]) - micros(owner["nav_start"])) / 1e3, 3),
                       FLOAT64),
        "trigger": arrow(frame["source_event"], STRING),
        "width": arrow(width, INT64),
        "height": arrow(height, INT64),
        "bytes": arrow(np.where(size > 0, size, np.nan), INT64),
    })
    out.insert(1, "ts", frame["ts"].reset_index(drop=True))
    return out.sort_values(["ts", "seq"], kind="stable", ignore_index=True)


@shared_params
def screenshot_at(session: Session, t: Any, *, target_id: str | None = None) -> Screenshot:
    """The last screenshot taken at or before ``t``, decoded.

    Parameters
    ----------
    {session}
    t : timestamp-like
        A ``pandas.Timestamp``, ``datetime`` or string (naive times are UTC).
    target_id : str, optional
        Only screenshots of this tab.

    Returns
    -------
    Screenshot
        ``seq``, ``ts``, ``target_id`` and the ``png`` bytes (displayed as the image in Jupyter).

    Raises
    ------
    ScreenshotNotFound
        No screenshot (with an image) at or before ``t``.
    """
    require_session(session, function="screenshot_at")
    when = pd.Timestamp(t)
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    table = session.table("monitor_screenshot", allow_missing=True)
    frame = select(session, "monitor_screenshot", _CONTEXT)
    ts = micros(frame["ts"])
    has_png = pc.is_valid(table["png"]).to_numpy(zero_copy_only=False)
    usable = (ts <= when.value / 1e3) & has_png
    if target_id is not None:
        usable &= frame["target_id"].eq(target_id).fillna(False).to_numpy(bool)
    if not usable.any():
        first = frame["ts"].min() if len(frame) else None
        raise ScreenshotNotFound(
            f"no screenshot at or before {when} (tab {target_id or 'any'}); the session has "
            f"{len(frame)} screenshot(s), the first at {first}. Pass a later time, or check "
            "screenshots(session) for what was taken."
        )
    row = int(np.flatnonzero(usable)[np.argmax(ts[usable])])
    png = base64.b64decode(table["png"][row].as_py())
    target = frame["target_id"].iloc[row]
    return Screenshot(seq=int(frame["seq"].iloc[row]), ts=frame["ts"].iloc[row],
                      target_id=None if pd.isna(target) else str(target), png=png)
