"""Charts for pages under a strict Content-Security-Policy (for plugins).

pygal draws SVG with an inline ``<style>`` (and a configuration ``<script>``), which the
policy refuses inside a page. Drawn as an image instead (an SVG ``data:`` URL in an
``<img>``), the chart keeps its own styles, runs no script, and the page stays strict.
"""

from __future__ import annotations

import base64

from markupsafe import Markup, escape


def chart_image(chart, label: str, css_class: str = "chart") -> Markup:
    """``chart`` (a pygal chart) as ``<img class=… src="data:image/svg+xml;…" alt=label>``."""
    svg = chart.render(is_unicode=True)  # pygal's render_data_uri fails on charts without an XML declaration
    src = "data:image/svg+xml;charset=utf-8;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img class="{cls}" src="{src}" alt="{alt}">').format(cls=css_class, src=src, alt=escape(label))
