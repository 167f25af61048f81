"""The reader's points over time on "My points": a running total per week, drawn server-side.

Twelve weeks (or fewer, since the account began), weeks starting on Monday in the library's
time zone. One query for the total before the first week and one for the entries inside it,
so the cost is the reader's last twelve weeks, never their whole history.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pygal
from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup
from pygal.style import Style
from sqlalchemy import func, select
from sqlmodel import Session

from core.charts import chart_image
from core.localtime import to_local, to_utc
from core.models import PointEntry, utcnow

WEEKS = 12
STYLE = Style(background="transparent", plot_background="transparent", foreground="#1d2733",
              foreground_strong="#0b3d42", foreground_subtle="#56606b", colors=("#0e5a61",),
              font_family="system-ui, 'Noto Sans CJK SC', sans-serif", label_font_size=16,
              major_label_font_size=16, value_font_size=14, title_font_size=16)


def weekly_totals(session: Session, user_id: int, *, since: datetime, now: datetime | None = None,
                  weeks: int = WEEKS) -> list[tuple[date, int]]:
    """``(Monday, running total at the end of that week)`` for the last ``weeks`` weeks, oldest first,
    starting no earlier than the week of ``since`` (the account's creation)."""
    today = to_local(now or utcnow()).date()
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    joined = to_local(since).date()
    first = max(first, joined - timedelta(days=joined.weekday()))
    start = to_utc(datetime.combine(first, datetime.min.time()))
    before = session.execute(select(func.coalesce(func.sum(PointEntry.amount), 0)).where(
        PointEntry.user_id == user_id, PointEntry.created_at < start)).scalar_one()
    per_week: dict[date, int] = {}
    for at, amount in session.execute(select(PointEntry.created_at, PointEntry.amount).where(
            PointEntry.user_id == user_id, PointEntry.created_at >= start)):
        day = to_local(at).date()
        monday = day - timedelta(days=day.weekday())
        per_week[monday] = per_week.get(monday, 0) + amount
    running, result = int(before), []
    monday = first
    while monday <= this_monday:
        running += per_week.get(monday, 0)
        result.append((monday, running))
        monday += timedelta(weeks=1)
    return result


def points_chart(totals: list[tuple[date, int]]) -> Markup:
    """The running totals as an SVG line chart image (an ``<img>``, so the page's CSP stays strict)."""
    chart = pygal.Line(style=STYLE, width=480, height=260, show_dots=True, dots_size=4, fill=True,
                       show_legend=False, x_label_rotation=0, truncate_label=8, js=[],
                       disable_xml_declaration=True, show_y_guides=True, include_x_axis=True,
                       show_minor_x_labels=False, x_labels_major_every=max(1, len(totals) // 4))
    chart.x_labels = [format_date(monday, "MMM d") for monday, _total in totals]
    chart.add(_("All-time points"), [total for _monday, total in totals])
    return chart_image(chart, _("Your points week by week: %(start)d at the start, %(end)d now.",
                                start=totals[0][1], end=totals[-1][1]), css_class="chart points-chart")
