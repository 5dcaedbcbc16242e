"""Small, escaped HTML building blocks shared by the report and the notebook display.

Every piece of text that comes from data goes through :func:`html.escape`; tables are capped
with a visible "showing N of M" note; figures are ``<div>`` + ``<script>`` blocks that expect
plotly.js to be loaded once by the page (see :func:`plotly_js`).

Examples
--------
>>> import pandas as pd
>>> out = table(pd.DataFrame({"path": ["/a<b>"], "lcp_ms": [1133.2]}))
>>> out[out.index("<tbody>"):]
'<tbody><tr><td>/a&lt;b&gt;</td><td class="num">1,133</td></tr></tbody></table>'
>>> rating("good")
'<span class="rating good">good</span>'
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.offline

#: Text cells longer than this are cut (the full text stays in the cell's tooltip).
MAX_TEXT = 90
#: Text cells longer than this may wrap (shorter ones stay on one line).
WRAP_TEXT = 40
#: Rows a table shows unless told otherwise.
DEFAULT_ROWS = 50
_RATINGS = ("good", "needs-improvement", "poor")


def esc(value: object) -> str:
    """``value`` as escaped HTML text (quotes too)."""
    return html.escape(str(value), quote=True)


def number(value: float) -> str:
    """A readable number: thousands separated from 100 up, four significant digits below."""
    if not math.isfinite(value):
        return "—"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def rating(value: object) -> str:
    """A coloured rating badge (``good``, ``needs-improvement``, ``poor``), else a dash."""
    if isinstance(value, str) and value in _RATINGS:
        return f'<span class="rating {value}">{esc(value)}</span>'
    return '<span class="rating none">not measured</span>'


def cell(value: Any, column: str = "") -> str:
    """One ``<td>``: numbers right-aligned, ratings as badges, long text cut with a tooltip."""
    if column.endswith("rating"):
        return f"<td>{rating(value)}</td>"
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return '<td class="null">—</td>'
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int | float):
        return f'<td class="num">{number(float(value))}</td>'
    if isinstance(value, pd.Timestamp):
        return f"<td>{value:%H:%M:%S}.{value.microsecond // 1000:03d}</td>"
    text = str(value)
    wrap = ' class="long"' if len(text) > WRAP_TEXT else ""
    if len(text) <= MAX_TEXT:
        return f"<td{wrap}>{esc(text)}</td>"
    return f'<td{wrap} title="{esc(text)}">{esc(text[:MAX_TEXT - 1])}…</td>'


def table(frame: pd.DataFrame, *, limit: int = DEFAULT_ROWS,
          headers: Mapping[str, str] | None = None, what: str = "rows") -> str:
    """``frame`` as an HTML table of at most ``limit`` rows, saying so when rows are left out.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns in display order.
    limit : int
        Rows shown; the rest are counted in a note above the table.
    headers : mapping, optional
        Display names for some columns.
    what : str
        What a row is, for the note ("requests", "shifts").
    """
    if frame.empty:
        return f'<p class="empty">No {esc(what)}.</p>'
    names = headers or {}
    head = "".join(f"<th>{esc(names.get(c, c))}</th>" for c in frame.columns)
    shown = frame.head(limit)
    columns = [str(c) for c in frame.columns]
    body = "".join(
        "<tr>" + "".join(cell(v, c) for v, c in zip(row, columns, strict=True)) + "</tr>"
        for row in shown.astype(object).itertuples(index=False, name=None)
    )
    note = (f'<p class="note">showing {len(shown):,} of {len(frame):,} {esc(what)}</p>'
            if len(frame) > len(shown) else "")
    return f"{note}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def plotly_js() -> str:
    """The plotly.js bundle in one ``<script>`` element (about 4.5 MB; load it once per page)."""
    return f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>'


def figure(fig: go.Figure, div_id: str) -> str:
    """``fig`` as a ``<div>`` and the script that draws it (plotly.js must already be loaded)."""
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                           config={"displaylogo": False, "responsive": True}))
