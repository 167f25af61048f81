"""The trend chart of the personal report: server-side SVG (pygal) drawn as an image, no JavaScript."""

from __future__ import annotations

import pygal
from markupsafe import Markup
from pygal.style import Style

from core.charts import chart_image
from core.i18n import pick

from .i18n import _

STYLE = Style(background="transparent", plot_background="transparent", foreground="#1d2733",
              foreground_strong="#0b3d42", foreground_subtle="#56606b", colors=("#0e5a61", "#a4481c"),
              font_family="system-ui, 'Noto Sans CJK SC', sans-serif", label_font_size=14,
              major_label_font_size=14, legend_font_size=14, value_font_size=12, title_font_size=16)


def trend(published, user_id: int) -> Markup:
    """My final score per published round against the team mean, as an SVG line chart image."""
    chart = pygal.Line(style=STYLE, width=640, height=320, range=(1, 5), show_dots=True, dots_size=4,
                       legend_at_bottom=True, x_label_rotation=0, truncate_label=14, js=[],
                       disable_xml_declaration=True, show_y_guides=True, allow_interruptions=True)
    chart.x_labels = [pick({"en": r.title_en, "zh_Hans": r.title_zh}) for r, _result in published]
    mine = [result.scores[user_id].final if user_id in result.scores else None for _r, result in published]
    chart.add(_("My score"), [round(v, 2) if v is not None else None for v in mine])
    chart.add(_("Team mean"), [round(result.team_mean, 2) for _r, result in published])
    return chart_image(chart, _("My score across rounds"))
