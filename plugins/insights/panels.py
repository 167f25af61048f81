"""Each dashboard panel as one object: its title, a table (what screen readers and the CSV get),
a chart, and a kind message when there is nothing to show yet. The page, the CSV downloads and
the term report all build their panels here, so they always agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup
from sqlmodel import Session

from core.i18n import pick
from core.identity.faculties import names_by_code
from core.periods import Calendar
from core.plugins import get_host
from core.views import activity_label

from . import charts, queries
from .i18n import _
from .rollups import ANY, week_key


@dataclass
class Panel:
    """A panel's figures: ``header`` and ``rows`` are the table and the CSV; ``chart`` draws them."""

    key: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    chart: Markup | None = None
    empty: str | None = None  # shown instead of the table when there are no rows worth showing
    summary: list[tuple[str, str]] = field(default_factory=list)  # headline figures (label, value)


def plugin_title(name: str) -> str:
    """A plugin's title in the reader's language (its name when it is not installed any more)."""
    info = get_host().infos.get(name)
    return pick(info.title) if info else name


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(100 * share)} %"


def reach(session: Session, calendar: Calendar, *, period: str, start: date, end: date, plugin: str = ANY) -> Panel:
    """Active readers per period, new and returning."""
    keys = queries.period_keys_between(calendar, period, start, end)
    series = queries.active_series(session, period=period, keys=keys, plugin=plugin)
    title = _("Active readers") if not plugin else _("Active readers in %(plugin)s", plugin=plugin_title(plugin))
    panel = Panel("active", title, [_("Period"), _("Active readers"), _("New"), _("Returning")],
                  [[p.key, p.readers, p.new, p.returning] for p in series])
    if not any(p.readers for p in series):
        panel.empty = _("No reader took part in these dates yet. Figures appear here as soon as readers "
                        "earn points or join an activity.")
        return panel
    panel.summary = [(_("Busiest period"), str(max(p.readers for p in series))),
                     (_("New readers"), str(sum(p.new for p in series)))]
    panel.chart = charts.stacked_readers([p.key for p in series], [p.new for p in series],
                                         [p.returning for p in series], title=title, new_label=_("New"),
                                         returning_label=_("Returning"))
    return panel


def plugins(session: Session, *, term: str) -> Panel:
    rows = queries.plugin_participation(session, period="term", key=term)
    panel = Panel("plugins", _("Readers per activity plugin this term"), [_("Plugin"), _("Readers")],
                  [[plugin_title(name), readers] for name, readers in rows])
    if not rows:
        panel.empty = _("No activity in any plugin this term yet.")
    else:
        panel.chart = charts.bars([(r[0], r[1]) for r in panel.rows], title=panel.title)
    return panel


def activities(session: Session, *, term: str) -> Panel:
    rows = queries.activity_participation(session, term=term)
    panel = Panel("activities", _("Participation per activity this term"),
                  [_("Plugin"), _("Activity"), _("Readers"), _("Times")],
                  [[plugin_title(r.plugin), activity_label(r.plugin, r.kind), r.readers, r.events]
                   for r in rows])
    if not rows:
        panel.empty = _("No activity recorded this term yet.")
    return panel


def funnel(session: Session) -> Panel:
    f = queries.funnel(session)
    rows = [[_("Registered readers"), f.registered, percent(1 if f.registered else None)],
            [_("Took part once"), f.activated, percent(f.activated / f.registered if f.registered else None)],
            [_("Came back in another week"), f.returned, percent(f.returned / f.registered if f.registered else None)]]
    panel = Panel("funnel", _("From sign-up to coming back"), [_("Step"), _("Readers"), _("Share")], rows)
    if not f.registered:
        panel.empty = _("No reader has registered yet.")
    else:
        panel.chart = charts.bars([(r[0], r[1]) for r in rows], title=panel.title)
    return panel


def faculties(session: Session, *, term: str) -> Panel:
    rows = queries.faculty_uptake(session, term=term)
    names = names_by_code(session)  # readers' faculties are the managed list's codes
    panel = Panel("faculties", _("Faculty uptake this term"), [_("Faculty"), _("Readers on the roster"),
                                                              _("Took part"), _("Share")],
                  [[names.get(u.faculty, u.faculty), u.roster, u.active, percent(u.share)] for u in rows])
    if not rows:
        panel.empty = _("No faculty on the roster yet: readers choose theirs on their profile.")
    else:
        panel.chart = charts.bars([(names.get(u.faculty, u.faculty), round(100 * u.share) if u.share is not None else 0) for u in rows[:12]],
                                  title=panel.title, percent=True)
    return panel


def cohorts(session: Session, *, today: date, weeks: int = 8) -> Panel:
    rows = queries.cohorts(session, last_week=week_key(today), weeks=weeks)
    header = [_("First week"), _("Readers")] + [_("+%(n)d wk", n=n) for n in range(1, weeks)]
    panel = Panel("cohorts", _("Retention by week of first activity"), header,
                  [[c.week, c.size] + [percent(c.share(i)) if c.later[i] is not None else ""
                                       for i in range(weeks - 1)] for c in rows])
    if not any(c.size for c in rows):
        panel.empty = _("No reader has started in these weeks yet; the triangle fills in week by week.")
    return panel


def term_retention(session: Session, calendar: Calendar, *, term: str) -> Panel:
    r = queries.term_retention(session, calendar, term=term)
    names = names_by_code(session)
    panel = Panel("lapsed", _("Lapsed readers by faculty (active last term, not this one)"),
                  [_("Faculty"), _("Active last term"), _("Lapsed")],
                  [[names.get(faculty, faculty), *rest] for faculty, *rest in r.lapsed_by_faculty])
    panel.summary = [(_("Active last term"), str(r.previous_readers)), (_("Back this term"), str(r.retained)),
                     (_("Term-on-term retention"), percent(r.share))]
    if not r.previous_readers:
        panel.empty = _("Nobody was active last term, so there is no one to retain yet.")
    return panel
