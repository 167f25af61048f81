"""Charts for pages under a strict Content-Security-Policy (for plugins).

pygal draws SVG with an inline ``<style>`` (and a configuration ``<script>``), which the
policy refuses inside a page. Drawn as an image instead (an SVG ``data:`` URL in an
``<img>``), the chart keeps its own styles, runs no script, and the page stays strict.

Each chart is drawn twice: at its own size for wide screens and 360 units wide for phones
(a ``<picture>`` picks one), so its labels keep their size instead of shrinking with the image;
both with margins that hold Chinese labels and with few enough axis ticks not to overlap.
"""

from __future__ import annotations

import base64
import unicodedata

import pygal
from markupsafe import Markup, escape

PHONE_WIDTH = 360
PHONE_MEDIA = "(max-width: 40rem)"


def _text_width(text: str, size: float) -> float:
    """The width of ``text`` at ``size``: CJK characters are a full em wide (pygal counts every
    character as 0.6 em, which clips Chinese labels)."""
    return size * sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in str(text))


def _settings(chart, *, phone: bool) -> dict:
    """Render settings that keep ``chart``'s labels whole and apart."""
    style = chart.config.style
    labels = [str(label) for label in (chart.x_labels or [])]
    settings = {"max_scale": 4 if phone else 7, "truncate_legend": -1}
    if phone:
        settings.update(width=PHONE_WIDTH, legend_at_bottom_columns=1)
    if labels and isinstance(chart, pygal.HorizontalBar):
        # Category names on the left: add what pygal's estimate misses for wide characters.
        missing = max(_text_width(label, style.label_font_size) - 0.6 * style.label_font_size * len(label)
                      for label in labels)
        settings["margin_left"] = chart.config.margin + missing
        if phone and chart.config.show_legend and chart.config.legend_at_bottom:
            # The legend starts where the plot does: shorten its entries (with "…") to what is left.
            plot_left = (settings["margin_left"] + chart.config.spacing
                         + 0.6 * style.label_font_size * max(len(label) for label in labels))
            room = PHONE_WIDTH - plot_left - chart.config.margin - 2 * style.legend_font_size
            settings["truncate_legend"] = max(8, int(room / (0.56 * style.legend_font_size)))
    elif labels:
        # Labels are centred under the first and last points; half of each hangs outside the plot.
        shown = [label if chart.config.truncate_label in (None, -1) or len(label) <= (chart.config.truncate_label or 25)
                 else label[:chart.config.truncate_label] + "…" for label in (labels[0], labels[-1])]
        settings["margin_right"] = max(chart.config.margin, _text_width(shown[1], style.label_font_size) / 2 + 4)
        # On the left the y axis' labels (about three characters) already make some room.
        beside_axis = chart.config.spacing + 0.6 * style.label_font_size * 3
        settings["margin_left"] = max(chart.config.margin,
                                      _text_width(shown[0], style.label_font_size) / 2 + 4 - beside_axis)
    return settings


def _data_url(chart, **settings) -> str:
    svg = chart.render(is_unicode=True, **settings)  # pygal's render_data_uri fails on charts without an XML declaration
    return "data:image/svg+xml;charset=utf-8;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def chart_image(chart, label: str, css_class: str = "chart") -> Markup:
    """``chart`` (a pygal chart) as ``<picture>`` of SVG ``data:`` images (a phone's and a wide
    screen's) around ``<img class=… alt=label>``."""
    wide = _data_url(chart, **_settings(chart, phone=False))
    narrow = _data_url(chart, **_settings(chart, phone=True))
    return Markup('<picture><source media="{media}" srcset="{narrow}">'
                  '<img class="{cls}" src="{wide}" alt="{alt}"></picture>').format(
        media=PHONE_MEDIA, narrow=narrow, cls=css_class, wide=wide, alt=escape(label))
