"""Bundled recordings of real headless Chromium sessions in the Kernel envelope format.

``shop`` (248 envelopes, NDJSON and SSE) is a three-page shop journey in one tab; see
``tests/data/shop.expected.json`` for what web-vitals reported inside the same page loads.
``agent`` (166 envelopes, NDJSON) is a four-page journey driven by an automation client over
CDP: it also carries the client's ``cdp_connect`` / ``cdp_command`` / ``cdp_disconnect`` events
(``tests/data/agent.expected.json`` lists what each of its actions did).

Examples
--------
>>> from telemetry_lab.datasets import load_sample
>>> int(load_sample().counts.set_index("type").loc["page_navigation", "events"])
3
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from telemetry_lab.errors import UnusablePath
from telemetry_lab.readers import read
from telemetry_lab.session import Session

SAMPLES = ("shop", "agent")
_FORMATS = {"shop": ("ndjson", "sse"), "agent": ("ndjson",)}


def sample_path(fmt: str = "ndjson", name: str = "shop") -> Path:
    """Path of a bundled recording (``fmt`` is ``"ndjson"`` or ``"sse"``)."""
    path = Path(str(resources.files(__package__).joinpath(f"{name}.{fmt}")))
    if name not in SAMPLES or not path.is_file():
        raise UnusablePath(
            f"no bundled sample {name!r} in format {fmt!r}; available: "
            + ", ".join(f"{n} ({', '.join(_FORMATS[n])})" for n in SAMPLES)
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
