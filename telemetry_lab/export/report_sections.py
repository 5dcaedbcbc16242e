"""The sections of the HTML report, in the order a Lighthouse / WebPageTest user reads them.

Each builder takes the :class:`Analysis` (every metric computed once) and returns a
:class:`Section`: its anchor, title, HTML body and sub-entries for the table of contents.
Navigations are named by their URL path everywhere (with the tab when a session has several).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from itertools import count

import numpy as np
import pandas as pd

from telemetry_lab.charts.console import plot_console
from telemetry_lab.charts.timeline import plot_timeline
from telemetry_lab.charts.vitals import plot_vitals
from telemetry_lab.charts.waterfall import plot_waterfall
from telemetry_lab.export.html import esc, figure, number, rating, table
from telemetry_lab.metrics.console import console, messages
from telemetry_lab.metrics.domains import url_parts
from telemetry_lab.metrics.effects import effects
from telemetry_lab.metrics.health import capture_health
from telemetry_lab.metrics.interactions import interactions
from telemetry_lab.metrics.navigations import navigations
from telemetry_lab.metrics.network import domain_summary, failures, requests, resource_summary
from telemetry_lab.metrics.screenshots import screenshots
from telemetry_lab.metrics.vitals import THRESHOLDS, layout_shifts, lcp_candidates, vitals
from telemetry_lab.session import Session

_KEY = ["target_id", "nav_seq"]
#: Navigations that get their own vitals, waterfall and filmstrip sections (in start order).
NAV_DETAIL = 20
#: Screenshots shown per navigation in the filmstrip (the rest are counted).
FILMSTRIP_FRAMES = 24
#: Short column headers that keep the wide tables on screen.
_SHORT = {"layout_shifts": "shifts", "console_errors": "errors", "first_visual": "first visual",
          "response_ms": "response ms", "input_latency_ms": "agent latency ms",
          "unreliable": "unreliable", "at_ms": "at ms", "input_seq": "input",
          "input_kind": "kind", "input_selector": "selector", "effect_seq": "seq",
          "delay_ms": "delay ms"}
#: Rows of the request-level tables (failures) and of the audit tables.
TABLE_ROWS = 50


@dataclass
class Section:
    """One report section: ``anchor`` id, ``title``, ``body`` HTML, table-of-contents children."""

    anchor: str
    title: str
    body: str
    children: list[tuple[str, str]] = field(default_factory=list)


def navigation_names(navs: pd.DataFrame) -> list[str]:
    """Each navigation's display name: its URL path (``?query`` kept), tab and ``#n`` if needed.

    Examples
    --------
    >>> import telemetry_lab
    >>> navigation_names(navigations(telemetry_lab.load_sample()))
    ['/shop/', '/shop/product/trail-runner-2', '/shop/cart']
    """
    urls = navs["url"].astype("string").fillna("")
    path = url_parts(navs["url"])["path"].astype("string")
    names = path.where(path.notna() & (path != ""), urls).fillna("(no URL)").tolist()
    if navs["target_id"].nunique() > 1:
        names = [f"{n} (tab {str(t)[:4]})" for n, t in zip(names, navs["target_id"], strict=True)]
    if len(set(names)) < len(names):
        names = [f"{n} #{s}" for n, s in zip(names, navs["nav_seq"], strict=True)]
    return names


class Analysis:
    """Every metric the report shows, computed once from ``session``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.navs = navigations(session)
        self.names = navigation_names(self.navs)
        self._ids = count(1)

    def figure_id(self) -> str:
        """A fresh, deterministic ``div`` id for the next figure."""
        return f"figure-{next(self._ids)}"

    @cached_property
    def vitals(self) -> pd.DataFrame:
        return vitals(self.session)

    @cached_property
    def inputs(self) -> pd.DataFrame:
        return interactions(self.session, navs=self.navs)

    @cached_property
    def effects(self) -> pd.DataFrame:
        return effects(self.session, navs=self.navs)

    @cached_property
    def requests(self) -> pd.DataFrame:
        return requests(self.session)

    @cached_property
    def shifts(self) -> pd.DataFrame:
        return layout_shifts(self.session, navs=self.navs)

    @cached_property
    def candidates(self) -> pd.DataFrame:
        return lcp_candidates(self.session, navs=self.navs)

    def of(self, frame: pd.DataFrame, i: int) -> pd.DataFrame:
        """Rows of ``frame`` that belong to navigation ``i`` (by ``target_id`` and ``nav_seq``)."""
        nav = self.navs.iloc[i]
        pick = (frame["target_id"] == nav["target_id"]) & (frame["nav_seq"] == nav["nav_seq"])
        return frame[pick.fillna(False).to_numpy(dtype=bool)]

    def page_of(self, frame: pd.DataFrame) -> np.ndarray:
        """The navigation name of each row of ``frame`` (by its navigation key; None if none)."""
        names = pd.Series(self.names,
                          index=pd.MultiIndex.from_frame(self.navs[_KEY].astype(object)))
        names = names[~names.index.duplicated()]  # a restarted nav_seq counter: the first
        return names.reindex(pd.MultiIndex.from_frame(frame[_KEY].astype(object))).to_numpy()

    def detailed(self) -> list[tuple[int, str]]:
        """The navigations that get a section of their own (the first :data:`NAV_DETAIL`)."""
        return list(enumerate(self.names[:NAV_DETAIL]))

    def detail_note(self) -> str:
        """Says so when only the first navigations get a section of their own."""
        if len(self.names) <= NAV_DETAIL:
            return ""
        return (f'<p class="note">showing the first {NAV_DETAIL} of {len(self.names):,} '
                "navigations in detail; the summary lists every one</p>")

    def anchor(self, prefix: str, i: int) -> str:
        """The anchor id of navigation ``i`` in the section ``prefix``."""
        return f"{prefix}-{i + 1}"


def _threshold_text(metric: str, unit: str) -> str:
    good, poor = THRESHOLDS[metric]
    return f"good ≤ {number(good)}{unit} · poor &gt; {number(poor)}{unit}"


def _card(label: str, value: str, rated: object, thresholds: str, detail: str) -> str:
    """A metric card; ``rated`` is a rating, or None for a value that is never rated."""
    kind = rated if isinstance(rated, str) else "none"
    badge = rating(rated) if rated is not None else '<span class="rating none">not rated</span>'
    return (f'<div class="card {esc(kind)}"><div class="metric">{esc(label)}</div>'
            f'<div class="value">{value}</div>{badge}'
            f'<div class="thresholds">{thresholds}</div><div class="detail">{detail}</div></div>')


def _ms(value: float) -> str:
    """Milliseconds as a card shows them: whole from 10 ms up, one decimal below."""
    if pd.isna(value):
        return "—"
    return f"{value:,.0f} ms" if abs(value) >= 10 else f"{value:.1f} ms"


def _input_cards(row: pd.Series, worst: pd.DataFrame) -> str:
    """The worst input response (never rated: not INP) and, with agent commands, its latency."""
    who = (f"{esc(worst['kind'].iloc[0])} on {esc(worst['selector'].iloc[0])}"
           if len(worst) else "no click or key press")
    cards = _card("Worst input response", _ms(row["response_ms"]), None,
                  "delay from a click or key press to its first visual effect; includes "
                  "deliberate delays (a fetch, a timer); not INP", who)
    if not pd.isna(row["input_latency_ms"]):
        cards += _card("Agent input latency", _ms(row["input_latency_ms"]), None,
                       "the agent's command to the input the page saw", "worst of the navigation")
    return cards


def summary(data: Analysis) -> Section:
    """Pages visited, their headline vitals, the capture's health and its event counts."""
    v = data.vitals
    pages = pd.DataFrame({
        "page": data.names,
        "url": v["url"],
        "start": v["start"],
        "LCP ms": v["lcp_ms"],
        "lcp_rating": v["lcp_rating"],
        "CLS": v["cls"],
        "cls_rating": v["cls_rating"],
        "worst input response ms (not INP)": v["response_ms"],
        "unreliable": v["unreliable_reason"],
    })
    health = capture_health(data.session, navs=data.navs)
    flagged = int((~health["ok"].to_numpy(dtype=bool)).sum())
    verdict = ('<p class="ok">Capture complete: nothing missing, nothing unreliable.</p>'
               if not flagged else
               f'<p class="warn">{flagged} capture-health check(s) need attention: '
               "metrics of the affected navigations may be missing events.</p>")
    counts = data.session.counts
    body = (
        f"<p>{esc(data.session.summary().splitlines()[0])}</p>"
        f'<h3>Pages</h3>{table(pages, what="navigations", headers={"lcp_rating": "LCP rating", "cls_rating": "CLS rating"})}'  # noqa: E501
        f"<h3>Capture health</h3>{verdict}"
        + table(health[["check", "count", "detail"]], what="checks")
        + f"<details><summary>Event counts ({len(data.session):,} events of "
        f"{len(counts)} types)</summary>{table(counts, limit=200, what='types')}</details>"
    )
    return Section("summary", "Summary", body)


def web_vitals(data: Analysis) -> Section:
    """Per navigation: LCP and CLS with ratings and thresholds, and both audit tables."""
    parts = [
        '<p class="note">Ratings and thresholds as web-vitals rates them (a value on a boundary '
        "gets the better rating). INP, FCP and TTFB are not in the telemetry stream: what "
        "stands near them here (an input's response, a TTFB upper bound) is named so and never "
        "rated.</p>",
        figure(plot_vitals(data.vitals), data.figure_id()) if len(data.vitals) else
        '<p class="empty">No top-level navigation in this session: no Core Web Vitals.</p>',
    ]
    children = []
    worst = data.inputs[data.inputs["worst"].fillna(False).to_numpy(bool)]
    parts.append(data.detail_note())
    for i, name in data.detailed():
        row = data.vitals.iloc[i]
        anchor = data.anchor("vitals", i)
        children.append((anchor, name))
        cards = (
            _card("Largest Contentful Paint",
                  _ms(row["lcp_ms"]), row["lcp_rating"],
                  _threshold_text("lcp", " ms"),
                  esc(row["lcp_element"]) if not pd.isna(row["lcp_element"]) else "no candidate")
            + _card("Cumulative Layout Shift", f"{float(row['cls']):.4f}", row["cls_rating"],
                    _threshold_text("cls", ""),
                    f"{int(row['cls_shifts'])} shift(s) in the worst session window")
            + _card("TTFB upper bound", _ms(row["ttfb_upper_ms"]), None,
                    "the document had its first bytes by the time it started its first "
                    "subresource request: an upper bound, not TTFB, never rated", "")
            + _input_cards(row, worst[worst["nav_seq"].eq(row["nav_seq"]).to_numpy(bool)
                                      & worst["target_id"].eq(row["target_id"]).to_numpy(bool)])
        )
        warn = (f'<p class="warn">Unreliable: {esc(row["unreliable_reason"])}.</p>'
                if bool(row["unreliable"]) else "")
        candidates = data.of(data.candidates, i)[
            ["seq", "at_ms", "size", "element", "time_source", "counted", "reason"]]
        shifts = data.of(data.shifts, i)[
            ["seq", "at_ms", "value", "had_recent_input", "window", "window_sum", "counted",
             "reason"]]
        parts.append(
            f'<h3 id="{anchor}">{esc(name)}</h3><p class="url">{esc(row["url"])} · navigation '
            f'{esc(row["nav_seq"])} · start from {esc(row["start_source"])}</p>{warn}'
            f'<div class="cards">{cards}</div>'
            f"<h4>LCP audit: every candidate</h4>"
            f"{table(candidates, limit=TABLE_ROWS, what='LCP candidates')}"
            f"<h4>CLS audit: every layout shift</h4>"
            f"{table(shifts, limit=TABLE_ROWS, what='layout shifts')}"
        )
    return Section("vitals", "Core Web Vitals", "".join(parts), children)


def waterfalls(data: Analysis) -> Section:
    """One network waterfall per navigation, with its milestones, LCP and shifts marked."""
    parts, children = [data.detail_note()], []
    for i, name in data.detailed():
        anchor = data.anchor("waterfall", i)
        children.append((anchor, name))
        reqs = data.of(data.requests, i)
        if reqs.empty:
            chart = '<p class="empty">No requests in this navigation.</p>'
        else:
            chart = figure(plot_waterfall(reqs, navigations=data.navs.iloc[[i]],
                                          vitals=data.vitals.iloc[[i]],
                                          layout_shifts=data.of(data.shifts, i),
                                          title=f"Network waterfall: {name}"),
                           data.figure_id())
        parts.append(f'<h3 id="{anchor}">{esc(name)}</h3>'
                     f'<p class="url">{len(reqs):,} request hops</p>{chart}')
    return Section("waterfall", "Waterfall", "".join(parts), children)


def interaction_timeline(data: Analysis) -> Section:
    """Every input with what it caused, then the effects table (one row per input and effect)."""
    inputs = data.inputs
    shown = inputs.assign(page=data.page_of(inputs))[
        ["page", "seq", "kind", "selector", "key", "at_ms", "effects", "requests",
         "layout_shifts", "console_errors", "first_visual", "response_ms", "input_latency_ms",
         "unreliable"]]
    unused = [c for c in ("key", "input_latency_ms") if shown[c].isna().all()]  # no keys, no agent
    shown = shown.drop(columns=unused)
    effects = data.effects.assign(page=data.page_of(data.effects))[
        ["page", "input_seq", "input_kind", "input_selector", "effect", "effect_seq",
         "delay_ms", "detail", "url"]]
    body = (
        '<p class="note">An effect belongs to the latest input before it on the same tab if it '
        "comes within 1,000 ms and before the next input; a navigation the input caused closes "
        "its window. <code>response_ms</code> is the delay to the first visual effect: not "
        "INP, never rated.</p>"
        + (figure(plot_timeline(data.session, navs=data.navs), data.figure_id())
           if len(data.navs) or len(inputs) else
           '<p class="empty">No navigation and no input: nothing to draw on a timeline.</p>')
        + f"<h3>Inputs</h3>{table(shown, limit=TABLE_ROWS, what='inputs', headers=_SHORT)}"
        f"<h3>Effects</h3>{table(effects, limit=TABLE_ROWS, what='effects', headers=_SHORT)}"
    )
    return Section("interactions", "Interaction timeline", body)


def console_summary(data: Analysis) -> Section:
    """Console messages grouped by template and source location, exceptions and errors first."""
    groups = console(data.session, navs=data.navs)
    each = messages(data.session, navs=data.navs)
    chart = figure(plot_console(each), data.figure_id()) if len(each) else ""
    order = groups["kind"].map({"exception": 0, "error": 1}).fillna(2).to_numpy()
    groups = groups.iloc[np.argsort(order, kind="stable")]
    shown = groups.assign(page=data.page_of(groups))[
        ["page", "kind", "level", "count", "first_ms", "template", "location"]]
    body = (
        '<p class="note">Repeated messages are grouped: numbers, ids and quoted strings in the '
        "text are replaced by placeholders, and the source location is part of the key.</p>"
        + chart + table(shown, limit=TABLE_ROWS, what="message groups",
                headers={"first_ms": "first at ms"})
    )
    return Section("console", "Console", body)


def filmstrip(data: Analysis) -> Section:
    """Screenshots per navigation as images, labelled with their time after navigation start."""
    shots = screenshots(data.session, navs=data.navs)
    raw = data.session.frame("monitor_screenshot", allow_missing=True)
    png = dict(zip(raw["seq"].tolist(), raw["png"].tolist(), strict=True))
    parts = []
    for i, name in data.detailed():
        mine = data.of(shots, i)
        images = mine[mine["width"].notna().to_numpy(bool)]
        shown = images.head(FILMSTRIP_FRAMES)
        frames = "".join(
            f'<figure><img alt="screenshot at {number(at)} ms" '
            f'src="data:image/png;base64,{esc(png[seq])}">'
            f"<figcaption>{number(at)} ms · {esc(trigger)}</figcaption></figure>"
            for seq, at, trigger in zip(shown["seq"], shown["at_ms"],
                                        shown["trigger"].fillna(""), strict=True)
        )
        notes = [f"showing {len(shown)} of {len(images)} screenshots"] if len(images) > len(
            shown) else []
        if len(mine) > len(images):
            notes.append(f"{len(mine) - len(images)} screenshot(s) are not PNG images "
                         "(empty or truncated data)")
        if len(mine):
            note = "".join(f'<p class="note">{esc(n)}</p>' for n in notes)
            parts.append(f"<h3>{esc(name)}</h3>{note}<div class='filmstrip'>{frames}</div>")
    body = data.detail_note() + (
        "".join(parts) or '<p class="empty">No screenshots in this session.</p>')
    return Section("filmstrip", "Filmstrip", body)


def resources(data: Analysis) -> Section:
    """Requests, bytes and durations per resource type and per host."""
    body = (f"<h3>By resource type</h3>{table(resource_summary(data.requests), what='types')}"
            f"<h3>By host</h3>{table(domain_summary(data.requests), what='hosts')}")
    return Section("resources", "Resources and domains", body)


def failed(data: Analysis) -> Section:
    """Requests that failed, were canceled or got an HTTP error."""
    rows = failures(data.requests)
    shown = rows.assign(page=data.page_of(rows))[
        ["page", "url", "resource_type", "status", "outcome", "reason", "start_ms"]]
    return Section("failures", "Failures", table(shown, limit=TABLE_ROWS, what="failures"))


#: Section builders in report order.
SECTIONS = (summary, web_vitals, waterfalls, interaction_timeline, console_summary, filmstrip,
            resources, failed)
