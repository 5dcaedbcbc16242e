"""Open a local HTML file in real headless Chromium and report what a person would see.

A tiny DevTools-protocol client over ``--remote-debugging-pipe`` (fds 3 and 4, NUL-separated
JSON): no extra dependency. It records every network request that is not ``file:``, ``data:``,
``blob:`` or ``about:``, every console error and uncaught exception, counts the Plotly charts
and the ones that drew (an ``svg.main-svg`` inside each ``.js-plotly-plot``), checks that every
``<img>`` decodes and saves a full-page screenshot. Host resolution is mapped to nothing, so even
a broken page cannot reach the internet.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome-error:")

_PAGE_STATE = """(async () => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const images = [...document.images];
  const decoded = await Promise.all(images.map(i => i.decode().then(
      () => i.naturalWidth > 0, () => false)));
  return {plots: plots.length,
          drawn: plots.filter(p => p.querySelector('svg.main-svg')).length,
          empty: plots.filter(p => !(p._fullData || []).some(
              t => t.visible === true && (t._length > 0 || (t.z && t.z.length > 0)))).length,
          images: images.length, decoded: decoded.filter(Boolean).length,
          height: Math.ceil(document.documentElement.scrollHeight)};
})()"""


def executable() -> str:
    """Path of a Chromium binary; skips the calling test with the reason when there is none."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on PATH (looked for " + ", ".join(CANDIDATES) + "); "
                ".ci/run installs Debian's chromium: apt-get install -y chromium")


@dataclass
class PageReport:
    """What Chromium saw while loading one page."""

    plots: int = 0
    drawn: int = 0
    empty: int = 0
    images: int = 0
    decoded: int = 0
    height: int = 0
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    screenshot: Path | None = None


class _Pipe:
    def __init__(self, binary: str, profile: str) -> None:
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def wire() -> None:  # the child reads commands on fd 3 and writes replies on fd 4
            commands, replies = os.dup(to_child), os.dup(from_child)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--mute-audio",
             "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=wire, pass_fds=(3, 4),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 60.0) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._receive()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)
        raise TimeoutError(f"Chromium did not answer {method} within {timeout} s")

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close", timeout=5)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)


def _note(report: PageReport, event: dict[str, Any]) -> None:
    method, params = event.get("method"), event.get("params", {})
    if method == "Network.requestWillBeSent":
        url = params["request"]["url"]
        if not url.startswith(LOCAL_SCHEMES):
            report.requests.append(url)
    elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        report.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                              for a in params.get("args", [])))
    elif method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        report.console_errors.append(details.get("exception", {}).get("description")
                                     or details.get("text", "exception"))
    elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
        report.console_errors.append(params["entry"]["text"])


def open_page(path: Path, *, screenshot: Path | None = None, width: int = 1400,
              settle: float = 1.5, tile: int | None = None) -> PageReport:
    """Load ``path`` in headless Chromium, wait for it to settle, and report what happened.

    With ``screenshot``, the full page is saved there; with ``tile`` too, also in pieces
    ``tile`` pixels high (``<stem>-1.png`` …), small enough to look at one by one.
    """
    binary = executable()
    report = PageReport()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        pipe = _Pipe(binary, profile)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget",
                                {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Network", "Runtime", "Log", "Page"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
                      session=session)
            pipe.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
            deadline = time.monotonic() + 60
            while not any(e.get("method") == "Page.loadEventFired" for e in pipe.events):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path} did not fire load within 60 s")
                pipe.send("Runtime.evaluate", {"expression": "1"}, session=session)
                time.sleep(0.1)
            time.sleep(settle)
            state = pipe.send("Runtime.evaluate", {"expression": _PAGE_STATE,
                                                   "awaitPromise": True, "returnByValue": True},
                              session=session)["result"]["value"]
            for name in ("plots", "drawn", "empty", "images", "decoded", "height"):
                setattr(report, name, int(state[name]))
            if screenshot is not None:
                pipe.send("Emulation.setDeviceMetricsOverride",
                          {"width": width, "height": min(report.height, 16000),
                           "deviceScaleFactor": 1, "mobile": False}, session=session)
                time.sleep(0.5)
                shot = pipe.send("Page.captureScreenshot", {"format": "png"}, session=session)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
                report.screenshot = screenshot
                for n, top in enumerate(range(0, report.height, tile) if tile else ()):
                    clip = {"x": 0, "y": top, "width": width, "scale": 1,
                            "height": min(tile, report.height - top)}
                    piece = pipe.send("Page.captureScreenshot", {"format": "png", "clip": clip},
                                      session=session)
                    screenshot.with_name(f"{screenshot.stem}-{n + 1}.png").write_bytes(
                        base64.b64decode(piece["data"]))
            pipe.send("Runtime.evaluate", {"expression": "1"}, session=session)
        finally:
            pipe.close()
        for event in pipe.events:
            _note(report, event)
    return report
