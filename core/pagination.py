"""One way to page every list that grows: ``?page=N`` links, and a "Show more" button that htmx
turns into an in-place append.

A view asks ``paginate(fetch, per_page=…)``, where ``fetch(offset, limit)`` returns rows (a
query with ``.offset().limit()``, or a slice of a list already at hand); one row more than the
page is fetched to know whether there is a next page, so no count is needed. Templates call
``show_more(page)`` from ``_pagination.html`` as the list's last child (an ``<li>``, or a
``<tr>`` in a table): without JavaScript it is a plain link to the next page; with htmx it
fetches that page and swaps in the list's children (``hx-select``), including the next
"Show more". ``?page`` is bounded: rubbish or a number out of range reads as the first page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import request, url_for

MAX_PAGE = 10_000


def page_number(arg: str = "page", max_page: int = MAX_PAGE) -> int:
    """The page asked for in the query string, 1 … ``max_page``; anything else is page 1."""
    raw = request.args.get(arg, "")
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= max_page else 1


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, its number, and whether another follows."""

    items: list
    number: int
    per_page: int
    has_more: bool
    arg: str = "page"
    extra: dict = field(default_factory=dict)

    @property
    def offset(self) -> int:
        """How many rows come before this page (a ranked list numbers its rows from here)."""
        return (self.number - 1) * self.per_page

    def url(self, number: int) -> str:
        """This view's address for page ``number``, keeping the other query arguments (filters)."""
        args = {**request.args.to_dict(), **(request.view_args or {}), **self.extra, self.arg: number}
        return url_for(request.endpoint, **args)

    max_page: int = MAX_PAGE

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.has_more and self.number < self.max_page else None

    @property
    def previous_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None


def paginate(fetch: Callable[[int, int], Sequence], *, per_page: int, arg: str = "page", number: int | None = None,
             max_page: int = MAX_PAGE, **extra) -> Page:
    """Page ``number`` (default: the request's ``?page``, at most ``max_page``) of the rows
    ``fetch(offset, limit)`` returns; ``extra`` query arguments go into the pages' links."""
    number = number or page_number(arg, max_page)
    rows = list(fetch((number - 1) * per_page, per_page + 1))
    return Page(rows[:per_page], number, per_page, len(rows) > per_page, arg, extra, max_page)


def paginate_list(items: Sequence, *, per_page: int, **options) -> Page:
    """The same, for rows already in memory."""
    return paginate(lambda offset, limit: items[offset:offset + limit], per_page=per_page, **options)
