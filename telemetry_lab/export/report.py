"""One self-contained HTML report per session: the page to share what a recording shows.

The file needs nothing at view time: plotly.js is inlined once in the ``<head>`` and every figure
is a ``<div>`` drawn by it, screenshots are ``data:`` URIs, the styles use system fonts. Sections
come in the order a Lighthouse / WebPageTest user expects (summary and capture health, Core Web
Vitals with their audits, waterfalls, interactions, console, filmstrip, resources and domains,
failures) behind a table of contents; long tables show their first rows and say how many there are.

Examples
--------
>>> import tempfile, pathlib, telemetry_lab
>>> out = report(telemetry_lab.load_sample(), pathlib.Path(tempfile.mkdtemp()) / "shop.html")
>>> text = out.read_text()
>>> text.count("* plotly.js v"), "<script src" in text
(1, False)
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from pathlib import Path

from telemetry_lab.export.html import esc, plotly_js
from telemetry_lab.export.report_sections import SECTIONS, Analysis, Section
from telemetry_lab.session import Session

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #202124; margin: 0; background: #f8f9fa; }
header { background: #202124; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #bdc1c6; }
.layout { display: flex; align-items: flex-start; }
nav.toc { position: sticky; top: 0; width: 250px; flex: none; padding: 16px 12px 16px 24px;
          max-height: 100vh; overflow-y: auto; box-sizing: border-box; }
nav.toc ol { padding-left: 18px; margin: 0; }
nav.toc ol ol { padding-left: 14px; font-size: 13px; }
nav.toc a { color: #1a73e8; text-decoration: none; overflow-wrap: anywhere; }
main { flex: 1; min-width: 0; padding: 8px 32px 48px 8px; }
section { background: #fff; border: 1px solid #dadce0; border-radius: 8px; padding: 4px 20px 16px;
          margin: 16px 0; }
h2 { font-size: 19px; border-bottom: 1px solid #eceff1; padding-bottom: 6px; }
h3 { font-size: 16px; margin: 22px 0 2px; overflow-wrap: anywhere; }
h4 { font-size: 14px; margin: 14px 0 4px; color: #3c4043; }
p.url { margin: 0 0 8px; color: #5f6368; font-size: 12px; overflow-wrap: anywhere; }
table { border-collapse: collapse; font-size: 12.5px; margin: 4px 0 8px; max-width: 100%;
        display: block; overflow-x: auto; }
th, td { border-bottom: 1px solid #eceff1; padding: 3px 8px 3px 0; text-align: left;
         vertical-align: top; white-space: nowrap; }
th { color: #5f6368; font-weight: 600; }
td.long { white-space: normal; overflow-wrap: anywhere; min-width: 180px; max-width: 440px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.null { color: #9aa0a6; }
p.note { color: #5f6368; font-size: 12px; margin: 4px 0; }
p.empty { color: #5f6368; font-style: italic; }
p.ok { color: #188038; } p.warn { color: #b3261e; font-weight: 600; }
.rating { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px;
          color: #202124; }
.rating.good { background: #0cce6b; } .rating.needs-improvement { background: #ffa400; }
.rating.poor { background: #ff4e42; color: #fff; } .rating.none { background: #e8eaed; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.card { border: 1px solid #dadce0; border-top: 4px solid #9aa0a6; border-radius: 6px;
        padding: 8px 14px; flex: 1 1 190px; min-width: 170px; max-width: 300px; }
.card.good { border-top-color: #0cce6b; } .card.needs-improvement { border-top-color: #ffa400; }
.card.poor { border-top-color: #ff4e42; }
.card .metric { color: #5f6368; font-size: 12px; }
.card .value { font-size: 26px; font-weight: 600; }
.card .thresholds, .card .detail { color: #5f6368; font-size: 12px; overflow-wrap: anywhere; }
.filmstrip { display: flex; flex-wrap: wrap; gap: 10px; }
.filmstrip figure { margin: 0; text-align: center; font-size: 12px; color: #5f6368; }
.filmstrip img { display: block; width: 240px; border: 1px solid #dadce0; }
details summary { cursor: pointer; color: #1a73e8; margin: 8px 0; }
"""


def _toc(sections: list[Section]) -> str:
    items = []
    for s in sections:
        sub = "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in s.children)
        items.append(f'<li><a href="#{s.anchor}">{esc(s.title)}</a>'
                     + (f"<ol>{sub}</ol>" if sub else "") + "</li>")
    return f'<nav class="toc"><strong>Contents</strong><ol>{"".join(items)}</ol></nav>'


def _section(build: Callable[[Analysis], Section], data: Analysis) -> Section:
    """``build(data)``; a section that fails says why in its place, and the rest still render."""
    try:
        return build(data)
    except Exception as exc:  # one broken section must not cost the whole report
        name = build.__name__.replace("_", " ")
        warnings.warn(f"report: the {name} section failed ({exc!r}); the report says so in "
                      "its place", RuntimeWarning, stacklevel=3)
        return Section(build.__name__, name.capitalize(),
                       f'<p class="warn">This section could not be built: '
                       f"{esc(type(exc).__name__)}: {esc(exc)}</p>")


def render(session: Session, *, title: str | None = None) -> str:
    """The report of ``session`` as one HTML document (see :func:`report`)."""
    data = Analysis(session)
    sections = [_section(build, data) for build in SECTIONS]
    heading = title or (f"telemetry_lab report: {data.names[0]}" if data.names
                        else "telemetry_lab report")
    origin = session.source.get("path") or session.source.get("browser_id") or "a session"
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "".join(f'<section id="{s.anchor}"><h2>{esc(s.title)}</h2>{s.body}</section>'
                   for s in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(heading)}</title><style>{CSS}</style>{plotly_js()}</head><body>"
        f"<header><h1>{esc(heading)}</h1><p>{esc(origin)} · {len(data.names)} navigation(s) · "
        f"written {made} by telemetry_lab</p></header>"
        f'<div class="layout">{_toc(sections)}<main>{body}</main></div></body></html>'
    )


def report(session: Session, path: str | Path, *, title: str | None = None) -> Path:
    """Write the session's HTML report to ``path``: one file that opens anywhere, offline.

    Parameters
    ----------
    session : telemetry_lab.Session
        A recording, capture or Parquet session.
    path : str or pathlib.Path
        The ``.html`` file to write (parent directories are created; an existing file is
        replaced).
    title : str, optional
        The page title (default: "telemetry_lab report: " and the first page's path).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib, telemetry_lab
    >>> out = report(telemetry_lab.load_sample(), pathlib.Path(tempfile.mkdtemp()) / "r.html",
    ...              title="Shop journey")
    >>> "<title>Shop journey</title>" in out.read_text()
    True
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(session, title=title), encoding="utf-8")
    return out
