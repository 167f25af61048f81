"""Which week, month and academic term a moment falls in, in the library's local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

PERIODS = ("week", "month", "term")


@dataclass(frozen=True)
class TermSpan:
    """An academic term as the period logic sees it."""

    key: str
    name_en: str
    name_zh: str
    starts_on: date
    ends_on: date

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def default_term(day: date) -> TermSpan:
    """The term of ``day`` when the library has configured none: autumn from 1 September
    to the end of January, spring from 1 February to 31 August."""
    if day.month >= 9:
        return TermSpan(f"{day.year}-autumn", f"Autumn {day.year}", f"{day.year}年秋季学期",
                        date(day.year, 9, 1), date(day.year + 1, 1, 31))
    if day.month == 1:
        return TermSpan(f"{day.year - 1}-autumn", f"Autumn {day.year - 1}", f"{day.year - 1}年秋季学期",
                        date(day.year - 1, 9, 1), date(day.year, 1, 31))
    return TermSpan(f"{day.year}-spring", f"Spring {day.year}", f"{day.year}年春季学期",
                    date(day.year, 2, 1), date(day.year, 8, 31))


class Calendar:
    """Maps instants to period keys; configured terms win over the default rule."""

    def __init__(self, tz: str, terms: list[TermSpan] | None = None) -> None:
        self.tz = ZoneInfo(tz)
        self.terms = sorted(terms or [], key=lambda t: t.starts_on)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def term_of(self, day: date) -> TermSpan | None:
        """The term containing ``day``: a configured one, or by default rule when none are set.
        Between configured terms (a break) there is none."""
        if not self.terms:
            return default_term(day)
        return next((t for t in self.terms if t.contains(day)), None)

    def keys(self, moment: datetime) -> dict[str, str]:
        """The period keys of ``moment``: ISO week, month and term (when in one)."""
        day = self.local_date(moment)
        iso = day.isocalendar()
        keys = {"week": f"{iso.year}-W{iso.week:02d}", "month": f"{day.year}-{day.month:02d}"}
        term = self.term_of(day)
        if term is not None:
            keys["term"] = term.key
        return keys
