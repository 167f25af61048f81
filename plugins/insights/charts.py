"""The dashboard's charts: pygal SVG drawn as images (``core.charts.chart_image``), readable at
360 px and on a desktop; every chart's page also has its table and a CSV of the same figures."""

from __future__ import annotations

from functools import lru_cache

import pygal
from markupsafe import Markup
from pygal.style import Style

from core.charts import chart_image

STYLE = Style(background="transparent", plot_background="transparent", foreground="#1f2933",
              foreground_strong="#1f2933", foreground_subtle="#cbd2d9", colors=("#2f6f8f", "#c0763a", "#6b8e23"),
              font_family="'Noto Sans CJK SC', 'Noto Sans SC', system-ui, sans-serif",
              label_font_size=14, major_label_font_size=14, legend_font_size=14, value_font_size=13,
              title_font_size=16)

# Charts are cached by their figures and words: the dashboard's figures change slowly, and drawing
# a chart (twice: phone and desktop) costs far more than reading its figures.
_cached = lru_cache(maxsize=64)

_COMMON = dict(style=STYLE, js=[], disable_xml_declaration=True, explicit_size=False, legend_at_bottom=True,
               truncate_label=-1, margin=10)


def stacked_readers(labels: list[str], new: list[int], returning: list[int], *, title: str, new_label: str,
                    returning_label: str) -> Markup:
    """Active readers per period, split into new and returning (stacked bars)."""
    return _stacked(tuple(labels), tuple(new), tuple(returning), str(title), str(new_label), str(returning_label))


@_cached
def _stacked(labels, new, returning, title, new_label, returning_label) -> Markup:
    labels, new, returning = list(labels), list(new), list(returning)
    chart = pygal.StackedBar(width=520, height=360, title=title, x_label_rotation=0 if len(labels) <= 8 else 40,
                             show_minor_x_labels=len(labels) <= 16, min_scale=1, **_COMMON)
    chart.x_labels = labels
    if len(labels) > 16:
        chart.x_labels_major = labels[::max(1, len(labels) // 8)]
    chart.add(returning_label, returning)
    chart.add(new_label, new)
    return chart_image(chart, title)


def bars(rows: list[tuple[str, float]], *, title: str, percent: bool = False) -> Markup:
    """Horizontal bars of ``(label, value)``, first row on top."""
    return _bars(tuple((str(label), value) for label, value in rows), str(title), percent)


@_cached
def _bars(rows, title, percent) -> Markup:
    formatter = (lambda v: f"{v:.0f} %" if v is not None else "–") if percent else (lambda v: f"{v:g}")
    top = max((value or 0 for _label, value in rows), default=0)
    step = max(1, -(-int(top) // 5))  # whole numbers on the axis: nobody is 0.6 of a visitor
    chart = pygal.HorizontalBar(width=520, height=max(160, 44 * len(rows) + 90), title=title, show_legend=False,
                                print_values=True, value_formatter=formatter, min_scale=1, max_scale=5,
                                range=(0, 100) if percent else (0, step * 5), **_COMMON)
    if not percent:
        chart.y_labels = list(range(0, step * 5 + 1, step))
    ordered = list(reversed(rows))
    chart.x_labels = [label for label, _value in ordered]
    chart.add(title, [value for _label, value in ordered])
    return chart_image(chart, title)


def line(labels: list[str], series: dict[str, list[float | None]], *, title: str, percent: bool = False) -> Markup:
    """Lines over periods (the satisfaction trend, a cohort's share active)."""
    return _line(tuple(map(str, labels)), tuple((str(k), tuple(v)) for k, v in series.items()), str(title), percent)


@_cached
def _line(labels, series, title, percent) -> Markup:
    labels, series = list(labels), {name: list(values) for name, values in series}
    chart = pygal.Line(width=520, height=340, title=title, range=(0, 100) if percent else None,
                       value_formatter=(lambda v: f"{v:.0f} %") if percent else (lambda v: f"{v:g}"),
                       allow_interruptions=True, **_COMMON)
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return chart_image(chart, title)
