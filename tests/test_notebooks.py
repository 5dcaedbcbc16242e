"""Notebooks are documentation that runs: each one executes top to bottom on bundled data, and
keeps its charts when exported to HTML (every figure drawn offline, in real headless Chromium)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from chromium import open_page
from nbclient import NotebookClient
from nbconvert import HTMLExporter

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
PLOTLY_JSON = "application/vnd.plotly.v1+json"
#: What nbconvert's own template loads from cdnjs (require.js, MathJax): not ours, and not needed
#: to draw a figure; README shows how to point them elsewhere for a page that fetches nothing.
TEMPLATE_CDN = "https://cdnjs.cloudflare.com/ajax/libs/"
OFFLINE = {"require_js_url": "data:text/javascript,", "mathjax_url": "data:text/javascript,"}


def _run(path: Path, folder: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "commit notebooks with outputs stripped")
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def executed(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, nbformat.NotebookNode]:
    path: Path = request.param
    return path, _run(path, tmp_path_factory.mktemp(path.stem))


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS][:1] == ["01_quickstart.ipynb"]


def test_notebook_runs_top_to_bottom(executed: tuple[Path, nbformat.NotebookNode]) -> None:
    _, notebook = executed
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum(bool(cell.get("outputs")) for cell in notebook.cells) >= 3


def test_every_figure_carries_html_and_plotly_js_comes_once(
        executed: tuple[Path, nbformat.NotebookNode]) -> None:
    _, notebook = executed
    data = [o["data"] for cell in notebook.cells for o in cell.get("outputs", []) if "data" in o]
    figures = [d for d in data if PLOTLY_JSON in d]
    assert all("Plotly.newPlot" in d.get("text/html", "") for d in figures)
    bundles = [d for d in data if "text/html" in d and len(d["text/html"]) > 1_000_000]
    assert len(bundles) == (1 if figures else 0)
    assert not any("cdn.plot.ly" in d["text/html"] for d in figures)


def test_an_exported_notebook_draws_every_chart_offline(tmp_path: Path) -> None:
    path = next(p for p in NOTEBOOKS if p.stem == "02_web_vitals")
    notebook = _run(path, tmp_path)
    page = tmp_path / "as_exported.html"
    page.write_text(HTMLExporter().from_notebook_node(notebook)[0])
    seen = open_page(page)
    assert seen.plots == seen.drawn >= 3 and seen.empty == 0
    assert seen.requests and all(url.startswith(TEMPLATE_CDN) for url in seen.requests)
    offline = tmp_path / "offline.html"
    offline.write_text(HTMLExporter(**OFFLINE).from_notebook_node(notebook)[0])
    seen = open_page(offline, screenshot=tmp_path / "notebook.png")
    assert seen.plots == seen.drawn >= 3 and seen.empty == 0
    assert seen.requests == [] and seen.console_errors == []
