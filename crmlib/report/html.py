"""Export an executed notebook to a management page: outputs only, no code, no warnings, no JavaScript.

The page uses nbconvert's `lab` template without its CDN scripts (require.js, MathJax, Mermaid), so it reads the
same offline; charts are embedded as images. LaTeX in markdown therefore shows as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import jinja2
import nbformat
from nbconvert import HTMLExporter

HIDDEN_TAGS = {"parameters", "injected-parameters"}

_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style>
  body.jp-Notebook { max-width: 1100px; margin: 0 auto; padding: 0 1.5rem 3rem; }
  .crm-nav { display: flex; gap: 1.5rem; padding: 0.9rem 0; margin-bottom: 1rem;
             border-bottom: 1px solid #d0d7de; font: 14px/1.4 system-ui, sans-serif; }
  .crm-nav a { color: #0b5cad; text-decoration: none; }
  .crm-nav a:hover { text-decoration: underline; }
  .jp-OutputArea-output img { max-width: 100%; height: auto; }
</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
{%- if resources.crm_links %}
<nav class="crm-nav">{% for href, text in resources.crm_links %}<a href="{{ href }}">{{ text }}</a>{% endfor %}</nav>
{%- endif %}
{%- endblock body_header -%}
"""


def export_html(
    executed_notebook_path: str | Path,
    html_path: str | Path,
    title: str,
    language: str = "id",
    links: Iterable[tuple[str, str]] = (),
) -> Path:
    """Write the outputs of an executed notebook as an HTML page titled `title` in `language`.

    Cells tagged `parameters`/`injected-parameters`, stderr streams (warnings, logs) and code cells left without
    output are dropped; `links` are (href, text) pairs shown in a bar at the top, e.g. back to the index.
    """
    nb = nbformat.read(str(executed_notebook_path), as_version=4)
    nb.cells = [_without_stderr(cell) for cell in nb.cells if not HIDDEN_TAGS & set(cell.metadata.get("tags", []))]
    nb.cells = [cell for cell in nb.cells if cell.cell_type != "code" or cell.outputs]
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        template_file="crm_page.html.j2",
        extra_loaders=[jinja2.DictLoader({"crm_page.html.j2": _TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code=language,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"crm_links": list(links)})
    out = Path(html_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


def _without_stderr(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    if cell.cell_type == "code":
        cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.get("name") == "stderr")]
    return cell
