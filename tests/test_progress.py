"""Capture status: the text line, the HTML, and one live display in a real Jupyter kernel."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from telemetry_lab.datasets import load_sample
from telemetry_lab.progress import CaptureStats, Progress

NOTEBOOK_CELL = """
from telemetry_lab import capture
from telemetry_lab.datasets import sample_path
from telemetry_lab import Faults, replay

with replay(sample_path(), browser_id="b", api_key="k", speed=8.0,
            faults=Faults(drop_after=90)) as server:
    cap = capture("b", api_key="k", base_url=server.url, spool=False, backoff=0.01)
    session = cap.wait(timeout=30)
print(len(session), cap.stats.reconnects)
"""


def stats(**changes: Any) -> CaptureStats:
    sample = load_sample()
    tables = {name: sample.table(name) for name in ("page_load", "network_request")}
    counters = {"bytes": 3 << 20, "reconnects": 2, "last_seq": 248, "gaps": 0, "skipped": 0,
                "errors": 0, "backfilled": 0, **changes}
    return CaptureStats.of("b1", tables, state="streaming", elapsed=2.0, **counters)


def test_line_and_html_show_counts_per_category_rate_and_problems() -> None:
    line = stats(gaps=3, backfilled=5).line()
    assert line.startswith("b1 streaming: 104 events (network 101 · page 3) · 52 ev/s · 3.0 MB")
    assert line.endswith("reconnects 2 · gaps 3 · backfilled 5")
    html = stats(errors=1)._repr_html_()
    assert "#b00020" in html and "<b>101</b>" in html and "errors 1" in html
    assert "#188038" in stats()._repr_html_()


def test_terminal_progress_rewrites_one_line_at_most_every_interval(
        monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(err, "isatty", lambda: True)
    monkeypatch.setattr("sys.stderr", err)
    progress = Progress.auto(True)
    assert progress.mode == "terminal" and progress.due()
    progress.show(stats())
    assert not progress.due() and progress.due(force=True)
    progress.show(stats(), final=True)
    assert err.getvalue().count("\r") == 2 and err.getvalue().endswith("\n")
    assert Progress.auto(False).mode is None and not Progress.auto(False).due(force=True)


def test_progress_into_a_log_file_writes_whole_lines_now_and_then(
        monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()  # not a terminal
    monkeypatch.setattr("sys.stderr", err)
    progress = Progress.auto(True)
    for _ in range(5):
        progress.show(stats())
    progress.show(stats(), final=True)
    assert "\r" not in err.getvalue() and "\x1b" not in err.getvalue()
    assert err.getvalue().count("\n") == 2  # the first update and the final one


class _Recorder(NotebookClient):
    """Counts the kernel's output messages by type."""

    messages: Counter[str]

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        self.messages[msg["msg_type"]] += 1
        return super().process_message(msg, cell, cell_index)


def test_jupyter_shows_one_display_updated_in_place() -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(NOTEBOOK_CELL)])
    client = _Recorder(notebook, kernel_name="python3", timeout=60)
    client.messages = Counter()
    client.execute()
    outputs = notebook.cells[0].outputs
    displays = [o for o in outputs if o.output_type == "display_data"]
    assert [o.output_type for o in outputs] == ["display_data", "stream"]
    assert outputs[1].text == "248 2\n"
    assert client.messages["display_data"] == 1 and client.messages["update_display_data"] >= 2
    final = displays[0].data["text/html"]
    assert "ended" in final and "248 events" in final and "reconnects 2" in final
