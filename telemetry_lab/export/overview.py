"""What a Session shows in a notebook: its pages and their vitals first, then capture health.

Like skrub's ``TableReport``, the summary is computed once and cached by the Session. It
shows each navigation's LCP and CLS with ratings and its worst input response (the delay to
the first visual effect of a click or key press: not INP, never rated), the capture-health
checks that need attention (or that there are none), the event counts folded below, and the
one call that writes the full HTML report.

Examples
--------
>>> import telemetry_lab
>>> html = overview_html(telemetry_lab.load_sample())
>>> "/shop/product/trail-runner-2" in html, "telemetry_lab.report(session" in html
(True, True)
"""

from __future__ import annotations

import pandas as pd

from telemetry_lab.errors import TelemetryLabError
from telemetry_lab.export.html import esc, table
from telemetry_lab.export.report_sections import navigation_names
from telemetry_lab.metrics.health import capture_health
from telemetry_lab.metrics.navigations import navigations
from telemetry_lab.metrics.vitals import vitals
from telemetry_lab.session import Session

#: Navigations listed before "showing N of M".
PAGES = 20

_STYLE = (
    "<style>.tl-overview{font-family:system-ui,sans-serif;font-size:13px}"
    ".tl-overview table{border-collapse:collapse;margin:4px 0}"
    ".tl-overview th,.tl-overview td{padding:2px 10px 2px 0;text-align:left;"
    "border-bottom:1px solid #eceff1;white-space:nowrap}"
    ".tl-overview td.num{text-align:right}.tl-overview td.null{color:#9aa0a6}"
    ".tl-overview .rating{border-radius:9px;padding:0 7px;font-size:12px;color:#202124}"
    ".tl-overview .good{background:#0cce6b}.tl-overview .needs-improvement{background:#ffa400}"
    ".tl-overview .poor{background:#ff4e42;color:#fff}.tl-overview .none{background:#e8eaed}"
    ".tl-overview .warn{color:#b3261e}.tl-overview .ok{color:#188038}"
    ".tl-overview .note{color:#5f6368;font-size:12px;margin:2px 0}"
    ".tl-overview code{background:#f1f3f4;padding:1px 4px}</style>"
)


def _pages(session: Session) -> str:
    v = vitals(session)
    pages = pd.DataFrame({
        "page": navigation_names(v), "LCP ms": v["lcp_ms"], "lcp_rating": v["lcp_rating"],
        "CLS": v["cls"], "cls_rating": v["cls_rating"],
        "worst input response ms (not INP)": v["response_ms"],
        "unreliable": v["unreliable_reason"],
    })
    return table(pages, limit=PAGES, what="navigations",
                 headers={"lcp_rating": "LCP rating", "cls_rating": "CLS rating"})


def _health(session: Session) -> str:
    health = capture_health(session, navs=navigations(session))
    flagged = health[~health["ok"].to_numpy(dtype=bool)]
    if flagged.empty:
        return '<p class="ok">Capture health: nothing missing, nothing unreliable.</p>'
    return ('<p class="warn">Capture health: metrics may be missing events.</p>'
            + table(flagged[["check", "count", "detail"]], what="checks"))


def overview_html(session: Session) -> str:
    """The notebook display of ``session`` (HTML; see the module docstring)."""
    try:
        body = _pages(session) + _health(session)
    except TelemetryLabError as exc:  # the display never raises: it says what went wrong
        body = f'<p class="warn">Vitals could not be computed: {esc(exc)}</p>'
    counts = session.counts
    return (
        f'{_STYLE}<div class="tl-overview"><b>telemetry_lab Session</b> · '
        f"{esc(session.summary().splitlines()[0])}{body}"
        f"<details><summary>Event counts ({len(counts)} types)</summary>"
        f"{table(counts, limit=200, what='types')}</details>"
        '<p class="note">The full report (waterfalls, audits, filmstrip, failures) in one '
        "HTML file: <code>telemetry_lab.report(session, \"report.html\")</code></p></div>"
    )
