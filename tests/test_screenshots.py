"""telemetry_lab.metrics.screenshots: lazy header reads, navigation times, decode on demand."""

from __future__ import annotations

import base64
import zlib

import pandas as pd
import pytest
from envelopes import TAB, Recording

import telemetry_lab
from telemetry_lab.metrics.screenshots import screenshot_at, screenshots


def _png(width: int, height: int) -> str:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    raw = zlib.compress(b"\x00" + b"\x00" * 3 * width) * height
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode()


def test_screenshots_read_headers_and_belong_to_their_navigation() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    shot = rec.add(500, "monitor_screenshot", {"png": _png(64, 36)},
                   metadata={"target_id": TAB})
    shot["event"]["source"]["event"] = "Page.loadEventFired"
    rec.navigate(3000, 2, request_ms=2990)
    rec.add(3600, "monitor_screenshot", {"png": _png(8, 4)}, metadata={"target_id": TAB})
    rec.add(3700, "monitor_screenshot", {"png": "not base64 at all"},
            metadata={"target_id": TAB})
    session = rec.session()
    table = screenshots(session)
    assert table["nav_seq"].tolist() == [1, 2, 2]
    assert table["at_ms"].tolist() == [500, 610, 710]
    assert table["width"].tolist()[:2] == [64, 8]
    assert table["height"].isna().tolist() == [False, False, True]
    assert table["trigger"].tolist()[0] == "Page.loadEventFired"
    assert table["bytes"].iloc[0] == len(base64.b64decode(_png(64, 36)))
    got = screenshot_at(session, pd.Timestamp(rec.envelopes[-2]["event"]["ts"], unit="us"))
    assert got.seq == 6 and got.png.startswith(b"\x89PNG") and got._repr_png_() == got.png


def test_screenshot_before_the_first_is_a_clear_error() -> None:
    session = telemetry_lab.load_sample()
    with pytest.raises(telemetry_lab.ScreenshotNotFound, match="no screenshot at or before"):
        screenshot_at(session, "2020-01-01")
    with pytest.raises(telemetry_lab.TelemetryLabError, match="tab NOPE"):
        screenshot_at(session, "2030-01-01", target_id="NOPE")


def test_real_screenshots_have_the_fixture_sizes() -> None:
    table = telemetry_lab.screenshots(telemetry_lab.load_sample())
    assert len(table) == 4
    assert set(table["width"]) == {320} and set(table["height"]) == {180}
    assert table["bytes"].between(6_000, 14_500).all()
    assert table["trigger"].tolist().count("Runtime.exceptionThrown") == 1
