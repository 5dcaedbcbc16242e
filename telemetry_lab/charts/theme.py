"""One place for the charts' look: the Plotly template, rating colours and font.

Every chart module takes its colours from here so that a report reads as one piece.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

#: web-vitals / Lighthouse rating colours.
RATING_COLORS: dict[str, str] = {
    "good": "#0cce6b",
    "needs-improvement": "#ffa400",
    "poor": "#ff4e42",
}
#: Colour for values that could not be measured or rated.
MUTED = "#9aa0a6"
#: Colour for values that are measured but deliberately never rated (the input response).
UNRATED = "#c6dafc"
#: Qualitative sequence for categorical series (windows, hosts, tabs).
SEQUENCE: tuple[str, ...] = (
    "#1a73e8", "#e8710a", "#12b5cb", "#9334e6", "#e52592", "#188038", "#f9ab00", "#5f6368",
)

#: Chrome DevTools' network-waterfall colours, keyed by CDP resource type; any other type
#: (Ping, Preflight, Manifest, …) takes ``Other``. The fills are pale: draw them with
#: :data:`RESOURCE_TYPE_BORDER`.
RESOURCE_TYPE_COLORS: dict[str, str] = {
    "Document": "hsl(215, 100%, 80%)",
    "Stylesheet": "hsl(272, 64%, 80%)",
    "Script": "hsl(31, 100%, 80%)",
    "Font": "hsl(8, 100%, 80%)",
    "TextTrack": "hsl(8, 100%, 80%)",
    "Image": "hsl(90, 50%, 80%)",
    "Media": "hsl(90, 50%, 80%)",
    "XHR": "hsl(53, 100%, 80%)",
    "Fetch": "hsl(53, 100%, 80%)",
    "EventSource": "hsl(53, 100%, 80%)",
    "WebSocket": "hsl(0, 0%, 95%)",
    "Other": "hsl(0, 0%, 95%)",
}
RESOURCE_TYPE_BORDER = "rgba(60, 64, 67, 0.45)"
#: Failed, canceled and HTTP-error requests.
FAILURE_COLOR = RATING_COLORS["poor"]
#: Timeline markers (DevTools draws DOMContentLoaded blue and load red).
MARKER_COLORS: dict[str, str] = {
    "navigation start": "#5f6368",
    "DOMContentLoaded": "#1a73e8",
    "load": "#d93025",
    "LCP": "#188038",
    "layout shift": "#9334e6",
    "click": "#e8710a",
    "key": "#12b5cb",
}
#: Line styles of the timeline markers: load and LCP differ in colour, dash and label, so they
#: stay apart when they nearly coincide.
MARKER_DASH: dict[str, str] = {"navigation start": "solid", "DOMContentLoaded": "solid",
                               "load": "solid", "LCP": "dash", "layout shift": "dot",
                               "click": "dashdot", "key": "dashdot"}
#: Fill of every other navigation band in multi-navigation charts.
BAND_COLOR = "rgba(26, 115, 232, 0.05)"

TEMPLATE_NAME = "telemetry_lab"


def register_template() -> str:
    """Register the telemetry_lab Plotly template (once, when the first chart is built, so
    importing telemetry_lab leaves ``plotly.io.templates`` alone); returns its name.

    Examples
    --------
    >>> import plotly.io as pio
    >>> pio.templates[register_template()].layout.paper_bgcolor
    'white'
    """
    if TEMPLATE_NAME in pio.templates:
        return TEMPLATE_NAME
    template = go.layout.Template(
        layout=go.Layout(
            font={"family": "Inter, Roboto, 'Helvetica Neue', Arial, sans-serif", "size": 13},
            colorway=list(SEQUENCE),
            paper_bgcolor="white",
            plot_bgcolor="white",
            margin={"l": 60, "r": 30, "t": 110, "b": 50},
            hoverlabel={"font": {"size": 12}},
            xaxis={"gridcolor": "#eceff1", "zeroline": False, "linecolor": "#cfd8dc",
                   "automargin": True},
            yaxis={"gridcolor": "#eceff1", "zeroline": False, "linecolor": "#cfd8dc",
                   "automargin": True},
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        )
    )
    pio.templates[TEMPLATE_NAME] = template
    return TEMPLATE_NAME


def apply(fig: go.Figure, *, title: str | None = None) -> go.Figure:
    """Give ``fig`` the telemetry_lab template (and a title); returns the same figure."""
    fig.update_layout(template=register_template())
    if title is not None:
        fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.99,
                                 "yanchor": "top", "font": {"size": 18}})
    return fig


def empty_figure(message: str, *, title: str | None = None) -> go.Figure:
    """A figure that says ``message`` (e.g. "no requests") instead of drawing blank axes.

    Examples
    --------
    >>> empty_figure("no requests").layout.annotations[0].text
    'no requests'
    """
    fig = go.Figure(layout={
        "xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 300,
        "annotations": [{"text": message, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                         "showarrow": False, "font": {"size": 16, "color": MUTED}}],
    })
    return apply(fig, title=title)
