"""The ``telemetry-lab`` command against the replay server over loopback HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultserver import FaultServer, frames, once

import telemetry_lab
from telemetry_lab import replay
from telemetry_lab.cli import main
from telemetry_lab.datasets import sample_path
from telemetry_lab.readers import read_parquet, read_sse

KEY = "cli-secret-key-42"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KERNEL_API_KEY", KEY)
    return KEY


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served() -> Iterator[str]:
    """``telemetry-lab replay`` of the bundled sample in a child process; its base URL."""
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "telemetry_lab.cli", "replay", str(sample_path()),
         "--browser-id", "b", "--port", str(port), "--api-key", KEY, "--drop-after", "100"],
        stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    try:
        banner = [child.stdout.readline() for _ in range(3)]
        assert f"at http://127.0.0.1:{port}" in banner[0]
        assert "telemetry-lab capture b" in banner[1]
        assert banner[2] == "  fault: every connection dropped after 100 frames\n"
        yield f"http://127.0.0.1:{port}"
    finally:
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 0  # Ctrl-C stops the server cleanly


def test_demo_prints_what_happened_and_where_the_files_are(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "503 to the first 1 stream request(s)" in out and "stall" in out
    assert "0 seqs still missing" in out and "gaps: 0" in out
    assert f"Parquet: {tmp_path / 'parquet'}" in out and f"spool: {tmp_path / 'demo.sse'}" in out
    assert len(read_parquet(tmp_path / "parquet")) == 248
    assert len(read_sse(tmp_path / "demo.sse")) == 248
    table = out[out.index("Core Web Vitals per navigation:"):].splitlines()
    assert "LCP" in table[1] and "worst input response (not INP)" in table[1]
    assert table[2].split()[:4] == ["/shop/", "1,133", "ms", "good"]
    assert table[4].split()[:5] == ["/shop/cart", "153", "ms", "good", "0.0000"]
    assert f"report: {(tmp_path / 'report.html').resolve()}" in out
    assert "Capture complete" in (tmp_path / "report.html").read_text()


def test_report_from_a_recording_or_a_parquet_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deep" / "r.html"
    assert main(["report", str(sample_path("sse")), "-o", str(out), "--title", "Shop"]) == 0
    printed = capsys.readouterr().out
    assert "/shop/product/trail-runner-2" in printed and f"report: {out.resolve()}" in printed
    assert "<title>Shop</title>" in out.read_text()
    folder = telemetry_lab.load_sample().to_parquet(tmp_path / "parquet")
    assert main(["report", str(folder), "-o", str(tmp_path / "p.html")]) == 0
    assert (tmp_path / "p.html").stat().st_size > 1_000_000


def test_report_help_and_sources_it_cannot_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["report", "--help"])
    assert done.value.code == 0 and "Parquet session folder" in capsys.readouterr().out
    (tmp_path / "junk.bin").write_bytes(bytes(range(256)))
    (tmp_path / "empty.sse").write_bytes(b"")
    (tmp_path / "folder").mkdir()
    for name, reason in (("missing.sse", "does not exist"), ("junk.bin", "cannot tell the format"),
                         ("empty.sse", "holds no telemetry events"),
                         ("folder", "not a telemetry_lab session directory")):
        assert main(["report", str(tmp_path / name), "-o", str(tmp_path / "r.html")]) == 1
        err = capsys.readouterr().err
        assert err.startswith("telemetry-lab report: ") and reason in err
        assert err.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


def test_capture_then_fetch_from_the_replay_command(
        served: str, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "capture"
    assert main(["capture", "b", "-o", str(out), "--base-url", served]) == 0
    printed = capsys.readouterr()
    assert "248 events" in printed.out and "reconnects 2" in printed.err
    assert len(read_parquet(out / "parquet")) == 248 and len(read_sse(out / "b.sse")) == 248
    history = tmp_path / "history"
    assert main(["fetch", "b", "--since", "1h", "--category", "page", "-o", str(history),
                 "--base-url", served]) == 0
    assert len(read_parquet(history / "parquet")) == 24
    assert key not in capsys.readouterr().out


def test_capture_failures_exit_1_with_the_reason_and_never_the_key(
        served: str, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["capture", "nope", "-o", str(tmp_path), "--base-url", served]) == 1
    assert "'nope' not found" in capsys.readouterr().err
    monkeypatch.setenv("KERNEL_API_KEY", "wrong-key")
    assert main(["fetch", "b", "-o", str(tmp_path), "--base-url", served]) == 1
    err = capsys.readouterr().err
    assert "refused the key (401)" in err and "wrong-key" not in err


def test_ctrl_c_stops_a_capture_and_writes_what_arrived(key: str, tmp_path: Path) -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY, speed=1.0) as server:
        child = subprocess.Popen(
            [sys.executable, "-m", "telemetry_lab.cli", "capture", "b", "-o", str(tmp_path),
             "--base-url", server.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "KERNEL_API_KEY": KEY}, text=True)
        spool = tmp_path / "b.sse"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
                not spool.exists() or spool.read_bytes().count(b"\n\n") < 20):
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=20)
    assert child.returncode == 0, err
    assert "interrupted" in err and "Parquet:" in out
    held = read_sse(spool)
    assert 20 <= len(held) < 248 and held.gaps.empty
    assert len(read_parquet(tmp_path / "parquet")) == len(held)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from telemetry_lab import __version__

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"telemetry-lab {__version__}\n"


def test_the_replay_hint_runs_as_printed_against_a_server_without_a_key(
        tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KERNEL_API_KEY", "KERNEL_BASE_URL")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]),
                                         env.get("PYTHONPATH", "")])
    server = subprocess.Popen(
        [sys.executable, "-m", "telemetry_lab.cli", "replay", str(sample_path()),
         "--browser-id", "b", "--port", str(port)], stdout=subprocess.PIPE, text=True, env=env)
    assert server.stdout is not None
    try:
        server.stdout.readline()
        hint = server.stdout.readline().strip()
        assert hint == f"telemetry-lab capture b --base-url http://127.0.0.1:{port} -o capture-b"
        argv = hint.split()[1:]
        run = subprocess.run([sys.executable, "-m", "telemetry_lab.cli", *argv], cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)
    assert run.returncode == 0, run.stderr
    assert len(read_parquet(tmp_path / "capture-b" / "parquet")) == 248


@pytest.mark.parametrize(("argv", "says"), [
    (["replay", "nosuch.sse"], "No such file or directory: 'nosuch.sse'"),
    (["fetch", "b", "-o", "x", "--since", "3x", "--base-url", "http://127.0.0.1:9"],
     "expected a duration ago (5m, 2h, 30d, 1h30m"),
    (["capture", "b", "-o", "x", "--category", "netwrok", "--base-url", "http://127.0.0.1:9"],
     "Did you mean network?"),
])
def test_cli_errors_are_one_line_without_a_traceback(
        argv: list[str], says: str, tmp_path: Path) -> None:
    env = {**os.environ, "KERNEL_API_KEY": KEY,
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]),
                                          os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "telemetry_lab.cli", *argv], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"telemetry-lab {argv[0]}: ")
    assert says in lines[0] and "Traceback" not in run.stderr


def test_fetch_sends_days_as_hours(served: str, key: str, tmp_path: Path) -> None:
    assert main(["fetch", "b", "--since", "30d", "-o", str(tmp_path), "--base-url",
                 served]) == 0
    assert len(read_parquet(tmp_path / "parquet")) == 248


def test_a_full_spool_disk_still_writes_parquet_to_the_output(
        key: str, tmp_path: Path, tiny_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    with FaultServer(once(frames(range(1, 601), "y" * 1000))) as server:
        code = main(["capture", "b", "-o", str(out), "--base-url", server.url,
                     "--spool", str(tiny_disk / "b.sse")])
    err = capsys.readouterr().err
    assert code == 1 and f"the disk mounted at '{tiny_disk}'" in err and KEY not in err
    written = read_parquet(out / "parquet")
    spooled = read_sse(tiny_disk / "b.sse")
    assert f"writing the {len(written)} events that arrived" in err
    assert len(written) > len(spooled) > 10 and written.gaps.empty


def test_capture_and_fetch_into_a_dataset_never_overwrite(
        served: str, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "fleet"
    assert main(["capture", "b", "--dataset", str(root), "--base-url", served]) == 0
    assert len(read_parquet(root / "session=b")) == 248
    assert (root / "_spool" / "b.sse").is_file()
    before = (root / "session=b" / "_session.json").read_text()
    assert main(["fetch", "b", "--since", "1h", "--dataset", str(root),
                 "--base-url", served]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (root / "session=b" / "_session.json").read_text() == before
    assert main(["fetch", "b", "--since", "1h", "--dataset", str(root), "--name", "b-history",
                 "--base-url", served]) == 0
    assert len(read_parquet(root / "session=b-history")) == 248
    assert main(["fetch", "b", "--base-url", served]) == 1
    assert "nowhere to write" in capsys.readouterr().err


def test_fleet_prints_the_table_and_fails_on_a_budget(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from telemetry_lab.datasets.synthetic import write_fleet

    root = write_fleet(tmp_path / "fleet", 3, repeats=1)
    (root / "session=broken").mkdir()
    assert main(["fleet", str(root), "--budget", "lcp_p75=2500"]) == 0
    printed = capsys.readouterr()
    assert "3 sessions, 9 navigations" in printed.out and "budgets: all 1 hold" in printed.out
    assert "/shop/cart" in printed.out and "lcp_p75" in printed.out
    assert "skipped broken: no _session.json" in printed.err
    assert main(["fleet", str(root), "--by", "url", "--budget", "lcp_p75=100",
                 "--budget", "cls_p75=0.5"]) == 1
    out = capsys.readouterr().out
    assert "budgets: 3 failure(s)" in out and "over budget" in out
    assert main(["fleet", str(root), "--budget", "lcp_p75"]) == 1
    assert "expected NAME=LIMIT" in capsys.readouterr().err
    assert main(["fleet", str(root), "--budget", "lcp_p99=1"]) == 1
    assert "unknown budget(s) ['lcp_p99']" in capsys.readouterr().err
    assert main(["fleet", str(tmp_path / "nothing")]) == 1
    assert "not a folder" in capsys.readouterr().err
