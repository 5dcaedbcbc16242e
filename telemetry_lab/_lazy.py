"""A package's public names, imported on first use.

A package lists its public names as ordinary imports under ``if TYPE_CHECKING:`` (what type
checkers and editors read) and calls :func:`attach`, which reads that list from the package's own
source: ``import telemetry_lab`` then loads no module until one of its names is used, so reading
a recording does not pay for Plotly, requests or the report.

Examples
--------
>>> import telemetry_lab
>>> telemetry_lab.plot_waterfall.__module__
'telemetry_lab.charts.waterfall'
>>> "plot_waterfall" in dir(telemetry_lab)
True
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any


def exports(source: str) -> dict[str, tuple[str, str]]:
    """Public name → (module, attribute) of the imports under ``if TYPE_CHECKING:`` in ``source``.

    Examples
    --------
    >>> exports("if TYPE_CHECKING:\\n    from a.b import c, d as e\\n")
    {'c': ('a.b', 'c'), 'e': ('a.b', 'd')}
    """
    found: dict[str, tuple[str, str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                if not isinstance(item, ast.ImportFrom) or item.module is None or item.level:
                    raise ValueError(
                        f"expected only absolute 'from module import name' lines under "
                        f"'if TYPE_CHECKING:', got {ast.unparse(item)!r}"
                    )
                for alias in item.names:
                    found[alias.asname or alias.name] = (item.module, alias.name)
    return found


def attach(package: str, path: str, namespace: dict[str, Any]
           ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the package ``package`` whose source is ``path``.

    A name is imported the first time it is looked up and then kept in ``namespace`` (the
    package's globals), so later lookups cost nothing. A subpackage or module of the package
    (``telemetry_lab.datasets``) is imported when looked up, as if the package imported it.
    """
    where = exports(Path(path).read_text(encoding="utf-8"))

    def __getattr__(name: str) -> Any:
        if name not in where:
            if name.startswith("__") or importlib.util.find_spec(f"{package}.{name}") is None:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            return importlib.import_module(f"{package}.{name}")
        module, attribute = where[name]
        value = getattr(importlib.import_module(module), attribute)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *where})

    return __getattr__, __dir__
