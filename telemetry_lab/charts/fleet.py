"""Fleet charts: distributions per URL with p75 and the rating thresholds, and A/B changes.

:func:`plot_fleet` takes per-navigation vitals of many sessions (``vitals_dataset``);
:func:`plot_compare` takes the output of ``compare``. The input response time is labelled
"input response (not INP)" and drawn without thresholds: it is never rated.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.fleet.batch import sessions_vitals
>>> s = telemetry_lab.load_sample()
>>> fig = plot_fleet(sessions_vitals({"a": s, "b": s}))
>>> [trace.name for trace in fig.data][:2]
['LCP', 'LCP p75']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from telemetry_lab.charts.theme import MUTED, RATING_COLORS, SEQUENCE, apply
from telemetry_lab.errors import TelemetryLabError
from telemetry_lab.metrics.vitals import THRESHOLDS, rate

#: Per vitals column: (label, unit, thresholds key or None when never rated, number format).
METRICS: dict[str, tuple[str, str, str | None, str]] = {
    "lcp_ms": ("LCP", "ms", "lcp", "{:,.0f} ms"),
    "cls": ("CLS", "", "cls", "{:.3f}"),
    "response_ms": ("Input response (not INP)", "ms", None, "{:,.0f} ms"),
}
_BAND_OPACITY = 0.10


def _paths(urls: pd.Series) -> pd.Series:
    """URLs without scheme, and without host when every URL has the same one."""
    text = urls.astype("string").fillna("(no url)")
    hosts = text.str.extract(r"^[a-z]+://([^/]+)", expand=False)
    if hosts.nunique(dropna=True) <= 1:
        return text.str.replace(r"^[a-z]+://[^/]+", "", regex=True).replace("", "/")
    return text.str.replace(r"^[a-z]+://", "", regex=True)


def group_labels(frame: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """One text label per row from its ``by`` values (URLs shortened)."""
    if not by:
        return pd.Series(["all"] * len(frame), index=frame.index, dtype=object)
    parts = [(_paths(frame[c]) if c == "url" else frame[c].astype("string").fillna("null"))
             for c in by]
    label = parts[0].astype(object)
    for part in parts[1:]:
        label = label + " · " + part.astype(object)
    return label


def _bands(fig: go.Figure, key: str, col: int, upper: float) -> None:
    good, poor = THRESHOLDS[key]
    edges = [(0.0, good, "good"), (good, poor, "needs-improvement"), (poor, upper, "poor")]
    for low, high, rating in edges:
        if low < upper:
            fig.add_vrect(x0=low, x1=min(high, upper), fillcolor=RATING_COLORS[rating],
                          opacity=_BAND_OPACITY, line_width=0, layer="below", row=1, col=col)
    for edge in (good, poor):
        if edge < upper:
            fig.add_vline(x=edge, line={"color": MUTED, "dash": "dot", "width": 1},
                          row=1, col=col)


def plot_fleet(vitals: pd.DataFrame, *, by: str | Sequence[str] = "url",
               metrics: Sequence[str] = ("lcp_ms", "cls")) -> go.Figure:
    """Distributions per group: a box per group and metric, its p75, the rating bands.

    Parameters
    ----------
    vitals : pandas.DataFrame
        Per-navigation vitals of a fleet (``vitals_dataset`` / ``sessions_vitals``).
    by : str or list of str
        Grouping columns (default ``url``; URLs are shown as paths).
    metrics : list of str
        Vitals columns, one panel each: ``lcp_ms``, ``cls``, ``response_ms``.

    Returns
    -------
    plotly.graph_objects.Figure
        Per metric a horizontal ``Box`` trace (one box per group, y = group label with its
        navigation count) and a ``<label> p75`` marker trace coloured by the p75's rating;
        rated metrics get good / needs-improvement / poor bands and threshold lines. A group
        without a measured value gets a "none measured" label at 0 and no marker.
    """
    columns = [by] if isinstance(by, str) else list(by)
    unknown = [m for m in metrics if m not in METRICS]
    missing = [c for c in [*columns, *metrics] if c not in vitals.columns and c not in unknown]
    if unknown or missing:
        raise TelemetryLabError(
            f"plot_fleet draws {list(METRICS)} grouped by vitals columns; unknown metric(s) "
            f"{unknown}, missing column(s) {missing}"
        )
    labels = group_labels(vitals, columns)
    counts = labels.value_counts()
    order = sorted(counts.index)
    shown = labels.map(lambda g: f"{g}  (n={counts[g]})")
    categories = [f"{g}  (n={counts[g]})" for g in order]
    titles = [f"{METRICS[m][0]}" + (f" ({METRICS[m][1]})" if METRICS[m][1] else "")
              for m in metrics]
    fig = make_subplots(rows=1, cols=len(metrics), shared_yaxes=True, subplot_titles=titles,
                        horizontal_spacing=0.06)
    for col, metric in enumerate(metrics, 1):
        name, _, key, fmt = METRICS[metric]
        values = pd.Series(vitals[metric].to_numpy("float64", na_value=np.nan),
                           index=vitals.index)
        keep = values.notna().to_numpy()
        fig.add_trace(go.Box(x=values[keep], y=shown[keep], orientation="h", name=name,
                             marker={"color": SEQUENCE[0], "size": 3}, line={"width": 1.5},
                             boxpoints="outliers", fillcolor="rgba(26,115,232,0.15)",
                             showlegend=False, hoverinfo="x"), row=1, col=col)
        p75 = [float(np.percentile(values[keep & (labels == g).to_numpy()], 75))
               if (keep & (labels == g).to_numpy()).any() else np.nan for g in order]
        ratings = (rate(np.array(p75), key).to_numpy(object) if key
                   else np.full(len(p75), None, dtype=object))
        colors = [RATING_COLORS.get(r, MUTED) if isinstance(r, str) else MUTED for r in ratings]
        finite = values[keep]
        top = float(max(finite.max() if len(finite) else 0.0, np.nanmax([*p75, 0.0])))
        upper = (max(top, THRESHOLDS[key][1]) if key is not None else max(top, 1.0)) * 1.1
        unmeasured = np.isnan(np.array(p75, dtype=float))
        fig.add_trace(go.Scatter(
            x=np.where(unmeasured, 0.0, p75), y=categories, mode="markers+text",
            name=f"{name} p75",
            marker={"symbol": "diamond", "size": np.where(unmeasured, 0, 13).tolist(),
                    "color": colors, "line": {"color": "#202124", "width": 1}},
            text=["none measured" if np.isnan(v) else "p75 " + fmt.format(v) for v in p75],
            textposition=["top right" if not v > 0.6 * upper else "top left" for v in p75],
            textfont={"size": 11}, showlegend=False,
            hovertemplate="%{y}<br>p75 %{x}<extra></extra>",
        ), row=1, col=col)
        if key is not None:
            _bands(fig, key, col, upper)
        fig.update_xaxes(range=[-0.015 * upper, upper], row=1, col=col)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=categories[::-1])
    fig.update_layout(height=250 + 70 * len(order), showlegend=False, margin={"b": 80})
    n_sessions = vitals["session"].nunique() if "session" in vitals.columns else None
    count = f"{len(vitals):,} navigations" + (f", {n_sessions:,} sessions" if n_sessions else "")
    fig.add_annotation(text="◆ p75, coloured by its rating · bands: good, needs improvement, "
                            "poor · box: quartiles, whiskers 1.5 IQR",
                       xref="paper", yref="paper", x=0, y=-0.1, yanchor="top", showarrow=False,
                       font={"size": 12, "color": "#5f6368"})
    return apply(fig, title=f"Fleet distributions per {' · '.join(columns) or 'fleet'} "
                            f"({count})")


def plot_compare(comparison: pd.DataFrame) -> go.Figure:
    """The p75 change B − A per group with its bootstrap interval (a forest plot).

    Parameters
    ----------
    comparison : pandas.DataFrame
        The output of ``compare`` (one or several metrics concatenated).

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Scatter`` trace per metric: x = ``p75_delta`` with the interval as error bars,
        y = group; red when the whole interval is above 0 (B worse), green when below (B
        better), grey otherwise; the text gives the p-value and Cliff's delta.
    """
    needed = ["metric", "p75_delta", "p75_delta_ci_low", "p75_delta_ci_high", "p_value",
              "cliffs_delta", "n_a", "n_b"]
    missing = [c for c in needed if c not in comparison.columns]
    if missing:
        raise TelemetryLabError(f"plot_compare needs the output of compare(); missing {missing}")
    metrics = list(dict.fromkeys(comparison["metric"].tolist()))
    by = [c for c in comparison.columns[: list(comparison.columns).index("metric")]]
    fig = make_subplots(rows=1, cols=len(metrics), shared_yaxes=True,
                        subplot_titles=[_delta_title(m) for m in metrics],
                        horizontal_spacing=0.08)
    for col, metric in enumerate(metrics, 1):
        part = comparison[comparison["metric"] == metric]
        labels = group_labels(part, by).tolist()
        delta = part["p75_delta"].to_numpy("float64", na_value=np.nan)
        low = part["p75_delta_ci_low"].to_numpy("float64", na_value=np.nan)
        high = part["p75_delta_ci_high"].to_numpy("float64", na_value=np.nan)
        worse, better = low > 0, high < 0
        colors = np.where(worse, RATING_COLORS["poor"],
                          np.where(better, RATING_COLORS["good"], MUTED)).tolist()
        fmt = METRICS.get(metric, (metric, "", None, "{:,.3g}"))[3]
        text = [
            ("n/a" if np.isnan(d) else f"{'+' if d > 0 else ''}{fmt.format(d)}  "
             f"p={p:.2g}  δ={c:+.2f}")
            for d, p, c in zip(delta, part["p_value"].to_numpy("float64", na_value=np.nan),
                               part["cliffs_delta"].to_numpy("float64", na_value=np.nan),
                               strict=True)
        ]
        fig.add_trace(go.Scatter(
            x=delta, y=labels, mode="markers+text", name=metric, text=text,
            textposition="top center", textfont={"size": 11},
            marker={"size": 12, "color": colors, "line": {"color": "#202124", "width": 1}},
            error_x={"type": "data", "symmetric": False, "array": high - delta,
                     "arrayminus": delta - low, "color": "#5f6368", "thickness": 1.5},
            customdata=np.stack([part["n_a"].to_numpy("float64", na_value=np.nan),
                                 part["n_b"].to_numpy("float64", na_value=np.nan), low, high],
                                axis=-1),
            hovertemplate="%{y}<br>p75 change %{x}<br>95% CI %{customdata[2]:.4g} … "
                          "%{customdata[3]:.4g}<br>n A %{customdata[0]}, n B %{customdata[1]}"
                          "<extra></extra>",
        ), row=1, col=col)
        fig.add_vline(x=0, line={"color": "#202124", "width": 1}, row=1, col=col)
        span = np.nanmax(np.abs(np.concatenate([low, high, delta, [0.0]])))
        pad = span * 1.35 if span > 0 else 1.0
        fig.update_xaxes(range=[-pad, pad], zeroline=False, row=1, col=col)
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_layout(height=240 + 70 * len(comparison) // max(len(metrics), 1),
                      showlegend=False)
    return apply(fig, title="p75 change B − A with bootstrap interval "
                            "(red: B worse, green: B better, grey: not distinguishable)")


def _delta_title(metric: str) -> str:
    name, unit, _, _ = METRICS.get(metric, (metric, "", None, ""))
    return f"{name} p75 change" + (f" ({unit})" if unit else "")
