"""Service-level measures for librarians: median and p90 of first-response and resolution
time, reopen rate, breaches and CSAT (share of 4–5 ratings), by category and by librarian,
with server-side SVG charts (pygal; no JavaScript)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pygal
from markupsafe import Markup
from pygal.style import Style
from sqlalchemy import select
from sqlmodel import Session

from core.charts import chart_image
from core.i18n import pick
from core.models import User, utcnow

from . import service, workflow
from .i18n import _
from .models import FeedbackItem

CHART_STYLE = Style(background="transparent", plot_background="transparent", font_family="system-ui, sans-serif",
                    colors=("#2f6f8f", "#c0763a"), label_font_size=14, major_label_font_size=14,
                    legend_font_size=14, value_font_size=12, title_font_size=16)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0–1) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered, mid = sorted(values), len(values) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _late(done_at: datetime | None, item: FeedbackItem, target_hours: int, now: datetime) -> bool:
    """A target breached: met too late, or not met yet by an item still waiting for the library."""
    due = item.created_at + timedelta(hours=target_hours)
    if done_at is not None:
        return done_at > due
    return item.state in workflow.ACTIVE and now > due


@dataclass
class Measures:
    """The measures of one group of items (all, one category, one librarian)."""

    label: str
    items: int = 0
    first_response: list[float] = field(default_factory=list)   # hours
    resolution: list[float] = field(default_factory=list)       # hours
    answered: int = 0
    reopened: int = 0
    breaches: int = 0
    ratings: list[int] = field(default_factory=list)

    def add(self, item: FeedbackItem, category, now: datetime) -> None:
        self.items += 1
        hours = lambda end: (end - item.created_at).total_seconds() / 3600  # noqa: E731
        if item.first_response_at:
            self.first_response.append(hours(item.first_response_at))
        if item.responded_at:
            self.answered += 1
            self.resolution.append(hours(item.responded_at))
        self.reopened += item.reopen_count > 0
        self.breaches += _late(item.first_response_at, item, category.first_response_hours, now)
        self.breaches += _late(item.responded_at, item, category.resolution_hours, now)
        if item.rating:
            self.ratings.append(item.rating)

    @property
    def first_median(self): return median(self.first_response)

    @property
    def first_p90(self): return percentile(self.first_response, 0.9)

    @property
    def resolution_median(self): return median(self.resolution)

    @property
    def resolution_p90(self): return percentile(self.resolution, 0.9)

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.answered if self.answered else None

    @property
    def csat(self) -> float | None:
        return sum(r >= 4 for r in self.ratings) / len(self.ratings) if self.ratings else None


@dataclass
class Report:
    overall: Measures
    by_category: list[Measures]
    by_librarian: list[Measures]
    days: int


def report(session: Session, *, days: int = 90, now: datetime | None = None) -> Report:
    """Measures over the items submitted in the last ``days`` days (merged duplicates left out)."""
    now = now or utcnow()
    cats = {c.id: c for c in service.categories(session)}
    items = session.execute(select(FeedbackItem).where(FeedbackItem.created_at >= now - timedelta(days=days),
                                                       FeedbackItem.merged_into_id.is_(None))).scalars().all()
    names = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_({i.responder_id for i in items if i.responder_id}))).all())
    overall = Measures(_("All feedback"))
    by_cat: dict[int, Measures] = {}
    by_lib: dict[int, Measures] = {}
    for item in items:
        category = cats[item.category_id]
        overall.add(item, category, now)
        by_cat.setdefault(category.id, Measures(pick({"en": category.name_en, "zh_Hans": category.name_zh})
                                                )).add(item, category, now)
        if item.responder_id:
            by_lib.setdefault(item.responder_id, Measures(names.get(item.responder_id, "?"))).add(item, category, now)
    order = [c.id for c in cats.values()]
    return Report(overall, [by_cat[c] for c in order if c in by_cat],
                  sorted(by_lib.values(), key=lambda m: m.label), days)


def _render(chart, label: str) -> Markup:
    """The chart as an SVG image with ``label`` as its text (pages run no chart script)."""
    return chart_image(chart, label)


def hours_chart(groups: list[Measures], title: str) -> Markup:
    """Median first-response and resolution hours per group, as horizontal bars."""
    chart = pygal.HorizontalBar(style=CHART_STYLE, width=720, height=120 + 46 * max(len(groups), 1),
                                title=title, legend_at_bottom=True, print_values=False,
                                value_formatter=lambda v: f"{v:.0f} h" if v is not None else "–", truncate_label=-1,
                                disable_xml_declaration=True, explicit_size=False, js=[])
    chart.x_labels = [g.label for g in groups]
    chart.add(_("Median first response (hours)"), [round(g.first_median, 1) if g.first_median is not None else None
                                                   for g in groups])
    chart.add(_("Median resolution (hours)"), [round(g.resolution_median, 1) if g.resolution_median is not None
                                              else None for g in groups])
    return _render(chart, title)


def csat_chart(groups: list[Measures], title: str) -> Markup:
    """CSAT (share of 4–5 ratings) per group, in percent."""
    chart = pygal.HorizontalBar(style=CHART_STYLE, width=720, height=120 + 40 * max(len(groups), 1),
                                title=title, show_legend=False, range=(0, 100),
                                value_formatter=lambda v: f"{v:.0f} %" if v is not None else "–", truncate_label=-1,
                                disable_xml_declaration=True, explicit_size=False, js=[])
    chart.x_labels = [g.label for g in groups]
    chart.add(_("CSAT"), [round(100 * g.csat) if g.csat is not None else None for g in groups])
    return _render(chart, title)
