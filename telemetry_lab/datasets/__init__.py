"""Bundled recordings: a real three-page shop journey in headless Chromium.

``shop`` (248 envelopes) was recorded in Chromium 156 in the Kernel envelope format; see
``tests/data/shop.expected.json`` for what web-vitals reported inside the same page loads.

Examples
--------
>>> from telemetry_lab.datasets import load_sample
>>> int(load_sample().counts.set_index("type").loc["page_navigation", "events"])
3
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..readers import read
from ..session import Session

SAMPLES = ("shop",)


def sample_path(fmt: str = "ndjson", name: str = "shop") -> Path:
    """Path of a bundled recording (``fmt`` is ``"ndjson"`` or ``"sse"``)."""
    path = Path(str(resources.files(__package__).joinpath(f"{name}.{fmt}")))
    if name not in SAMPLES or not path.is_file():
        raise FileNotFoundError(
            f"no bundled sample {name!r} in format {fmt!r}; available: "
            + ", ".join(f"{n} (ndjson, sse)" for n in SAMPLES)
        )
    return path


def load_sample(name: str = "shop") -> Session:
    """The bundled real recording ``name`` as a Session.

    Examples
    --------
    >>> load_sample().frame("page_navigation")["url"].tolist()[0]
    'http://127.0.0.1:36621/shop/'
    """
    return read(sample_path("ndjson", name))
