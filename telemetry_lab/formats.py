"""What an input looks like, from its first bytes: the readers' guard against the wrong file.

:func:`looks_like` names the format of the head of an input: one of the recording formats
(``sse``, ``ndjson``, ``json``) or something that is not telemetry (a HAR file, a
``package.json``, another JSON document). :func:`check_format` turns a mismatch into a
:class:`~telemetry_lab.errors.FormatError` that says what the input looks like and what to do.

Examples
--------
>>> looks_like(b'{"log": {"version": "1.2", "entries": []}}')
('har', 'a HAR file (an HTTP Archive of network requests), not Kernel telemetry')
>>> looks_like(b'id: 1\\ndata: {"seq": 1, "event": {}}\\n\\n')[0]
'sse'
>>> try:
...     check_format(b'[{"seq": 1, "event": {}}]', expected="ndjson")
... except FormatError as error:
...     print(error)  # doctest: +NORMALIZE_WHITESPACE
read_ndjson reads NDJSON (one JSON envelope per line), but this input looks like a JSON array
of envelopes (as the /telemetry/events endpoint returns). Use read_events_json, or
telemetry_lab.read(), which tells the formats apart.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from telemetry_lab.decode import FORMATS, loads
from telemetry_lab.errors import FormatError

#: How much of an input is looked at (bytes).
HEAD = 1 << 16
#: The reader of each recording format.
READERS: dict[str, str] = {"sse": "read_sse", "ndjson": "read_ndjson", "json": "read_events_json"}
_BOM = b"\xef\xbb\xbf"
_KEY = re.compile(rb'(?:^\s{0,8}|^\s*\{\s*)"([^"\\]{1,64})"\s*:', re.MULTILINE)
_ENVELOPE = frozenset({"seq", "event"})


def peek(chunks: Iterable[bytes], size: int = HEAD) -> tuple[bytes, Iterator[bytes]]:
    """The first ``size`` bytes of ``chunks`` and an iterator over all of them (nothing lost)."""
    iterator = iter(chunks)
    head: list[bytes] = []
    held = 0
    for chunk in iterator:
        head.append(chunk)
        held += len(chunk)
        if held >= size:
            break
    return b"".join(head)[:size], itertools.chain(head, iterator)


def _not_telemetry(keys: set[str], text: bytes) -> tuple[str, str]:
    if "log" in keys and (b'"entries"' in text or b'"creator"' in text):
        return "har", "a HAR file (an HTTP Archive of network requests), not Kernel telemetry"
    if "name" in keys and keys & {"version", "dependencies", "devDependencies", "scripts"}:
        return "package.json", "a package.json (an npm manifest), not Kernel telemetry"
    shown = ", ".join(sorted(keys)[:6]) or "none"
    return "other", f"a JSON document that is not telemetry (its keys: {shown})"


def _objects(lines: list[bytes]) -> list[Any]:
    out = []
    for line in lines:
        try:
            out.append(loads(line))  # nesting bounded: a hostile head is no crash
        except ValueError:
            continue
    return out


def looks_like(head: bytes) -> tuple[str, str]:
    """``(kind, description)`` of an input from its first bytes.

    ``kind`` is a key of :data:`~telemetry_lab.decode.FORMATS` for telemetry, ``empty``, or
    ``har``, ``package.json``, ``multiline`` (pretty-printed JSON) or ``other`` when it is not.
    """
    text = head.removeprefix(_BOM).lstrip()
    if not text:
        return "empty", "empty"
    if text[:1] == b":" or text.startswith((b"id:", b"data:", b"event:", b"retry:")):
        return "sse", FORMATS["sse"]
    if text[:1] not in (b"[", b"{"):
        return "other", f"none of the recording formats (it starts with {bytes(text[:40])!r})"
    whole = _objects([text])
    if whole and isinstance(whole[0], dict) and not _ENVELOPE & set(whole[0]):
        return _not_telemetry(set(whole[0]), text)
    if text[:1] == b"[":
        if whole and isinstance(whole[0], list) and whole[0] and not any(
                isinstance(item, dict) and _ENVELOPE & set(item) for item in whole[0][:5]):
            return "other", "a JSON array that holds no telemetry envelopes"
        return "json", FORMATS["json"]
    lines = text.split(b"\n", 6)[:5]
    parsed = [item for item in _objects(lines) if isinstance(item, dict)]
    if any(_ENVELOPE & set(item) for item in parsed):
        return "ndjson", FORMATS["ndjson"]
    if parsed:
        return _not_telemetry(set().union(*map(set, parsed)), text)
    keys = {match.decode("utf-8", "replace") for match in _KEY.findall(text[:4096])}
    if not keys & _ENVELOPE:
        return _not_telemetry(keys, text)
    if not _objects(lines[:1]) and lines[0].strip() in (b"{", b"{\r"):
        return "multiline", ("pretty-printed JSON spread over several lines; NDJSON needs one "
                             "envelope per line (e.g. jq -c . file)")
    return "ndjson", FORMATS["ndjson"]


def check_format(head: bytes, *, expected: str | None) -> None:
    """Raise :class:`FormatError` when ``head`` is not telemetry, or not ``expected``'s format.

    ``expected`` is a key of :data:`READERS` (the reader called), or None for
    :func:`telemetry_lab.read`, which takes any recording format.
    """
    kind, description = looks_like(head)
    if kind in FORMATS:
        if expected is None or kind == expected:
            return
        raise FormatError(
            f"{READERS[expected]} reads {FORMATS[expected]}, but this input looks like "
            f"{description}. Use {READERS[kind]}, or telemetry_lab.read(), which tells the "
            "formats apart."
        )
    if kind == "empty" or (kind == "other" and description.startswith("none")):
        return  # empty, or garbage: the decoder records it frame by frame
    accepted = "; ".join(FORMATS.values())
    fix = (" To write a HAR file from telemetry, use telemetry_lab.to_har(session, path)."
           if kind == "har" else "")
    raise FormatError(
        f"this input looks like {description}. telemetry_lab reads Kernel browser telemetry: "
        f"{accepted}.{fix}"
    )
