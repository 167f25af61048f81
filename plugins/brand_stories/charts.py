"""Server-side pictures: result bar charts (pygal SVG images, no JavaScript) and QR codes (segno)."""

from __future__ import annotations

import pygal
import segno
from markupsafe import Markup
from pygal.style import Style

from core.charts import chart_image

STYLE = Style(background="transparent", plot_background="transparent", foreground="#1f2933",
              foreground_strong="#1f2933", foreground_subtle="#cbd2d9", colors=("#9b2226",),
              font_family="'Noto Sans CJK SC', 'Noto Sans SC', sans-serif",
              label_font_size=14, major_label_font_size=14, value_font_size=15, title_font_size=16)


def bar_chart(rows: list[tuple[str, int]], title: str) -> Markup:
    """A horizontal bar chart of ``(label, count)``, best first, drawn at about the width of a
    phone's card (300 units) so its 14 px labels stay 14 px at 360 px.

    Drawn as an image (``core.charts.chart_image``), so the page's strict policy holds;
    ``js=[]`` keeps pygal from linking its tooltip script from a CDN.
    """
    chart = pygal.HorizontalBar(style=STYLE, show_legend=False, js=[], disable_xml_declaration=True,
                                explicit_size=False, width=300, height=max(150, 44 * len(rows) + 60),
                                print_values=True, truncate_label=14, margin=8, title=title,
                                show_y_guides=False, min_scale=1, max_scale=5)
    ordered = list(reversed(rows))  # pygal draws the first row at the bottom
    chart.x_labels = [label for label, _n in ordered]
    chart.add(title, [n for _label, n in ordered])
    return chart_image(chart, title)


def qr_svg(url: str, label: str) -> Markup:
    """A QR code for ``url`` as inline SVG (no request to any other site)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title=label, dark="#1f2933", light="#ffffff"))
