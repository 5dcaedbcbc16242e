"""telemetry_lab.metrics.console: templates, locations, kinds, counts per navigation."""

from __future__ import annotations

import pandas as pd
from envelopes import Recording

import telemetry_lab
from telemetry_lab.metrics.console import console, messages, template


def test_template_replaces_values_but_keeps_words() -> None:
    texts = pd.Series([
        "user 42 saw item 'abc' in 12.5 ms",
        'request 0x1f failed for "x" at https://a.test/p?q=1',
        "trace 3f2a9c1e-0b4d-4c55-9a1e-2b3c4d5e6f70 id deadbeef01",
        "NW-1002 in cart",
    ])
    assert template(texts).tolist() == [
        "user <num> saw item <str> in <num> ms",
        "request <hex> failed for <str> at <url>",
        "trace <uuid> id <hex>",
        "NW-<num> in cart",
    ]


def _stack(url: str, line: int, function: str = "") -> dict[str, object]:
    return {"callFrames": [{"functionName": function, "url": url, "lineNumber": line,
                            "columnNumber": 4}]}


def test_repeats_group_per_navigation_with_first_and_last_seen() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    for i, at in enumerate((100, 200, 300)):
        rec.page(at, "console_log", 1, level="log", text=f"poll {i} done",
                 stack_trace=_stack("https://a.test/app.js", 9, "poll"))
    rec.page(250, "console_log", 1, level="log", text="poll 9 done",
             stack_trace=_stack("https://a.test/other.js", 1))
    rec.navigate(1000, 2, request_ms=990)
    rec.page(1100, "console_log", 2, level="log", text="poll 7 done",
             stack_trace=_stack("https://a.test/app.js", 9, "poll"))
    groups = console(rec.session())
    assert groups[["nav_seq", "location", "count"]].values.tolist() == [
        [1, "https://a.test/app.js:10", 3], [1, "https://a.test/other.js:2", 1],
        [2, "https://a.test/app.js:10", 1]]
    first = groups.iloc[0]
    assert first["template"] == "poll <num> done"
    assert first["example"] == "poll 0 done"
    assert first["top_frame"] == "poll (https://a.test/app.js:10:5)"
    assert (first["last_seen"] - first["first_seen"]).total_seconds() == 0.2
    assert first["first_ms"] == 100


def test_exceptions_are_apart_from_console_error() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    rec.page(100, "console_error", 1, level="error", text="Uncaught TypeError: x",
             source_url="https://a.test/app.js", line=6)
    rec.page(200, "console_error", 1, level="error", text="Uncaught TypeError: x",
             source_url="https://a.test/app.js", line=6)
    rec.envelopes[-1]["event"]["source"]["event"] = "Runtime.exceptionThrown"
    rows = messages(rec.session())
    assert rows["kind"].tolist() == ["console", "exception"]
    assert console(rec.session())["kind"].tolist() == ["console", "exception"]
    assert rows["location"].tolist() == ["https://a.test/app.js:7"] * 2


def test_real_recordings_keep_the_uncaught_exceptions_apart() -> None:
    shop = console(telemetry_lab.load_sample())
    assert shop["count"].sum() == 10
    warnings = shop[shop["level"].eq("warning").to_numpy(bool)]
    assert warnings["nav_seq"].tolist() == [1, 2, 3]  # the analytics tag warns on every page
    assert warnings["template"].nunique() == 1
    agent = console(telemetry_lab.load_sample("agent"))
    assert agent["kind"].tolist() == ["console", "exception"]
    assert agent["example"].iloc[1].startswith("Uncaught TypeError")
    assert telemetry_lab.console(Recording().session()).empty
