"""The package's public names load on first use, and every one of them resolves."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import telemetry_lab
from telemetry_lab._lazy import exports

INIT = Path(telemetry_lab.__file__)


def _modules_after(code: str) -> dict[str, bool]:
    """Which heavy libraries are imported after running ``code`` in a fresh interpreter."""
    names = ("plotly", "requests", "pandas", "telemetry_lab.charts", "telemetry_lab.export.report")
    probe = (code + "\nimport json, sys\n"
             f"print(json.dumps({{m: m in sys.modules for m in {names!r}}}))")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True, cwd=INIT.parent.parent)
    result: dict[str, bool] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_every_public_name_resolves_to_its_module_object() -> None:
    where = exports(INIT.read_text())
    assert set(where) == set(telemetry_lab.__all__) - {"__version__"}
    for name, (module, attribute) in where.items():
        assert getattr(telemetry_lab, name) is getattr(importlib.import_module(module), attribute)
    assert telemetry_lab.console_messages is importlib.import_module(
        "telemetry_lab.metrics.console").messages
    assert set(where) <= set(dir(telemetry_lab))


def test_import_loads_nothing_heavy() -> None:
    loaded = _modules_after("import telemetry_lab")
    assert not any(loaded.values()), loaded


def test_reading_a_recording_loads_no_chart_or_http_code() -> None:
    loaded = _modules_after("import telemetry_lab\nassert len(telemetry_lab.load_sample()) == 248")
    assert loaded["pandas"]
    assert not loaded["plotly"] and not loaded["requests"] and not loaded["telemetry_lab.charts"]


def test_a_chart_name_loads_the_charts() -> None:
    loaded = _modules_after("import telemetry_lab\ntelemetry_lab.plot_waterfall")
    assert loaded["plotly"] and loaded["telemetry_lab.charts"]
    assert not loaded["telemetry_lab.export.report"]


def test_subpackages_load_when_looked_up() -> None:
    assert telemetry_lab.datasets.sample_path().name == "shop.ndjson"


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'telemetry_lab' has no attribute 'plot_wat'"):
        _ = telemetry_lab.plot_wat  # type: ignore[attr-defined]
    assert not hasattr(telemetry_lab, "__wrapped__")


def test_exports_reads_aliases_and_refuses_other_statements() -> None:
    assert exports("if TYPE_CHECKING:\n    from a.b import c as d\n") == {"d": ("a.b", "c")}
    assert exports("import os\n") == {}
    with pytest.raises(ValueError, match=r"absolute 'from module import name'.*from \. import x"):
        exports("if TYPE_CHECKING:\n    from . import x\n")
