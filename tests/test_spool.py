"""The spool file (capture/spool.py): never truncates or rewrites a file that is not its own."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from faultserver import FaultServer, Handler, frames

from telemetry_lab import SpoolError, capture
from telemetry_lab._capture.spool import Spool
from telemetry_lab.datasets import sample_path

KEY = "sk-test-secret-0123456789"


def ndjson_copy(tmp_path: Path) -> Path:
    path = tmp_path / "shop.ndjson"
    path.write_bytes(sample_path().with_suffix(".ndjson").read_bytes())
    return path


def crlf_copy(tmp_path: Path) -> Path:
    path = tmp_path / "crlf.sse"
    path.write_bytes(frames(range(1, 4)).replace(b"\n", b"\r\n"))
    return path


@pytest.mark.parametrize("make", [ndjson_copy, crlf_copy])
def test_a_file_that_is_not_a_spool_is_refused_and_left_untouched(tmp_path: Path,
                                                                  make: object) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    before = path.read_bytes()
    with pytest.raises(SpoolError, match=r"is not a telemetry_lab spool.*left untouched"):
        Spool.open(path)
    assert path.read_bytes() == before


def test_capture_refuses_an_ndjson_spool_before_connecting(tmp_path: Path) -> None:
    path = ndjson_copy(tmp_path)
    before = path.read_bytes()

    def never(request: Handler) -> None:
        request.answer(500, b"{}")

    with FaultServer(never) as server:
        with pytest.raises(SpoolError, match="starts with JSON"):
            capture("b", api_key=KEY, base_url=server.url, spool=path, progress=False)
        assert server.seen == []
    assert path.read_bytes() == before


def test_only_a_cut_off_last_frame_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "b.sse"
    whole = frames(range(1, 4))
    path.write_bytes(whole + b"id: 4\ndata: {\"seq\": 4, \"ev")
    spool, held = Spool.open(path)
    spool.close()
    assert path.read_bytes() == whole and len(held.lines) == 3


def test_a_new_spool_is_private_to_its_owner(tmp_path: Path) -> None:
    spool, held = Spool.open(tmp_path / "new" / "b.sse")
    spool.close()
    assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600 and held.lines == []
