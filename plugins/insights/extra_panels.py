"""The panels read through other parts: campaign reach (this plugin's own counts of tagged
links) and readers' satisfaction (whatever plugins answer ``engage_satisfaction``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from core.hookspecs import Satisfaction
from core.plugins import current_hooks, get_host
from core.i18n import pick

from . import campaigns, charts
from .cache import kept
from .i18n import _
from .panels import Panel, percent, plugin_title
from .queries import terms_between


def campaign_label(tag: str) -> str:
    """``brand_stories:poll:12`` as "Brand stories · poll 12"."""
    plugin, _sep, rest = tag.partition(":")
    return f"{plugin_title(plugin)} · {rest.replace(':', ' ')}" if rest else plugin_title(plugin)


def campaigns_panel(session, *, start: date, end: date) -> Panel:
    rows = campaigns.reach(session, start=start, end=end)
    panel = Panel("campaigns", _("Campaign reach"),
                  [_("Campaign"), _("Views"), _("Scans"), _("Unique visitors (per day)"), _("Led to activities")],
                  [[campaign_label(r.tag), r.views, r.scans, r.visitors, r.conversions] for r in rows])
    if not rows:
        panel.empty = _("No visits through shared links, QR codes or screens in these dates yet.")
    else:
        panel.chart = charts.bars([(row[0], row[3]) for row in panel.rows[:10]], title=_("Unique visitors per campaign"))
    return panel


def span_instants(calendar, first: date, last: date) -> tuple[datetime, datetime]:
    """Library days ``first``–``last`` as instants: from the first's midnight to the day after the last."""
    return (datetime.combine(first, time.min, tzinfo=calendar.tz),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=calendar.tz))


def satisfaction(session, calendar, *, start: date, end: date) -> list[Satisfaction]:
    """Every plugin's satisfaction in library days ``start``–``end``."""
    begin, finish = span_instants(calendar, start, end)

    def ask() -> list[Satisfaction]:
        found = []
        for result in current_hooks().engage_satisfaction(session=session, start=begin, end=finish):
            found.extend(result if isinstance(result, (list, tuple)) else [result] if result is not None else [])
        return [m for m in found if isinstance(m, Satisfaction)]
    # Kept for a minute per set of plugins switched on (their answers are other plugins' queries).
    return kept(("satisfaction", begin, finish, get_host().generation), ask)


def combined(measures: list[Satisfaction]) -> Satisfaction:
    ratings: dict[int, int] = {}
    for m in measures:
        for score, n in m.ratings.items():
            ratings[score] = ratings.get(score, 0) + n
    return Satisfaction("", ratings, sum(m.changes for m in measures), sum(m.answered for m in measures))


def satisfaction_panel(session, calendar, *, today: date, terms: int = 4) -> Panel:
    """CSAT, ratings, answers and "you said, we did" changes for the last few terms."""
    spans = terms_between(calendar, today - timedelta(days=365 * 2), today)[-terms:]
    rows = []
    for term in spans:
        total = combined(satisfaction(session, calendar, start=term.starts_on, end=min(term.ends_on, today)))
        rows.append([pick({"en": term.name_en, "zh_Hans": term.name_zh}), percent(total.csat),
                     sum(total.ratings.values()), total.answered, total.changes, total.csat])
    panel = Panel("satisfaction", _("Satisfaction per term"),
                  [_("Term"), _("CSAT (share of 4–5 ratings)"), _("Ratings"), _("Answers"), _("You said, we did")],
                  [row[:5] for row in rows])
    if not any(row[2] or row[3] or row[4] for row in rows):
        panel.empty = _("No ratings, answers or changes from readers' feedback yet.")
        return panel
    current = rows[-1]
    panel.summary = [(_("CSAT this term"), current[1]), (_("You said, we did"), str(current[4]))]
    panel.chart = charts.line([row[0] for row in rows], {_("CSAT"): [round(100 * r[5]) if r[5] is not None else None
                                                                     for r in rows]},
                              title=_("CSAT per term"), percent=True)
    return panel


def build(session, calendar, *, start, end, today) -> dict:
    """The campaign and satisfaction panels for the dashboard's range."""
    return {"campaigns": campaigns_panel(session, start=start, end=end),
            "satisfaction": satisfaction_panel(session, calendar, today=today)}
