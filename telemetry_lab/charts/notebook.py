"""Figures that keep their charts when a notebook is exported: an offline Plotly renderer.

Jupyter's default Plotly renderer (``plotly_mimetype``) stores a figure only as Plotly JSON,
which JupyterLab draws but ``jupyter nbconvert --to html``, GitHub and most viewers do not; Plotly's
own ``notebook`` renderer adds HTML but makes every figure load MathJax from a CDN. The
``telemetry_lab`` renderer adds ``text/html`` to every figure output, with no CDN: the first figure
shown in a kernel also embeds plotly.js itself, once per notebook. Importing telemetry_lab's
charts switches a Jupyter kernel to ``plotly_mimetype+telemetry_lab`` (JupyterLab keeps drawing
from the JSON; exported HTML draws from the HTML), unless the renderer was chosen otherwise
(``PLOTLY_RENDERER`` or ``plotly.io.renderers.default``). Outside a kernel nothing changes.

Examples
--------
>>> import plotly.io as pio
>>> from telemetry_lab.charts.notebook import RENDERER
>>> RENDERER in pio.renderers
True
>>> bundle = pio.renderers[RENDERER].to_mimebundle({"data": [{"type": "bar", "y": [1]}]})
>>> "Plotly.newPlot" in bundle["text/html"], "cdn" in bundle["text/html"]
(True, False)
"""

from __future__ import annotations

from typing import Any

import plotly.io as pio
from plotly.io.base_renderers import NotebookRenderer

#: The renderer's name in :data:`plotly.io.renderers`.
RENDERER = "telemetry_lab"


class OfflineNotebookRenderer(NotebookRenderer):
    """Plotly's ``notebook`` renderer (plotly.js embedded once per kernel) without MathJax."""

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        html = pio.to_html(fig_dict, config=self.config, include_plotlyjs=False,
                           include_mathjax=False, full_html=False, default_width="100%",
                           default_height=525, validate=False)
        return {"text/html": html}


pio.renderers[RENDERER] = OfflineNotebookRenderer(config={"displaylogo": False})


def keep_charts_in_notebooks() -> bool:
    """Switch a Jupyter kernel on Plotly's default to ``plotly_mimetype+telemetry_lab``.

    Returns whether the renderer changed (false outside a Jupyter kernel, or when someone chose
    a renderer already). Call it again after changing ``plotly.io.renderers.default`` back.

    Examples
    --------
    >>> keep_charts_in_notebooks()  # not in a Jupyter kernel here
    False
    """
    if pio.renderers.default != "plotly_mimetype":
        return False
    pio.renderers.default = f"plotly_mimetype+{RENDERER}"
    return True


keep_charts_in_notebooks()
