"""What plugins put on pages (menu items, panels) and the one helper that renders pages.

Hook results may be a single object, a list, or None; ``collect`` normalises them, then
sorts by ``order`` so the layout never depends on pluggy's registration order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import current_app, has_request_context, make_response, render_template, request, url_for
from jinja2_fragments.flask import render_block
from markupsafe import Markup


@dataclass(frozen=True)
class MenuItem:
    """A link in the main menu."""

    label: str
    url: str
    order: int = 100
    key: str = ""
    also: tuple[str, ...] = ()  # other path prefixes whose pages belong to this item

    def match(self, path: str, root: str = "/") -> int:
        """How closely ``path`` belongs to this item: the length of the longest of its addresses
        that is ``path`` or a folder above it; 0 when none is. The site's ``root`` matches only
        itself, or every page would be home."""
        best = 0
        for url in (self.url, *self.also):
            url = url.split("?", 1)[0]
            folder = url if url.endswith("/") else url + "/"
            if path in (url, folder, folder.rstrip("/")) or (url != root and path.startswith(folder)):
                best = max(best, len(folder))
        return best


def current_item(items: list[MenuItem], path: str, root: str = "/") -> MenuItem | None:
    """The one menu item to mark as the current page at ``path`` (both with the site's script
    root): the closest match, the first of equals; None when the page belongs to no item."""
    best, found = 0, None
    for item in items:
        score = item.match(path, root)
        if score > best:
            best, found = score, item
    return found


@dataclass(frozen=True)
class Panel:
    """A block of HTML a plugin puts on the home, profile or admin page."""

    title: str
    html: Markup
    order: int = 100
    key: str = ""


def collect(results, kind: type) -> list:
    """Flatten hook results into one list of ``kind`` objects, sorted by their ``order``."""
    items = []
    for result in results:
        if result is None:
            continue
        for item in result if isinstance(result, (list, tuple)) else [result]:
            if not isinstance(item, kind):
                raise TypeError(f"expected {kind.__name__}, a plugin returned {item!r}")
            items.append(item)
    return sorted(items, key=lambda i: (i.order, str(i.label if kind is MenuItem else i.title)))


def path_for(endpoint: str, **values) -> str:
    """The site path of ``endpoint``, inside a request or not (a notification made from the
    command line still links to the right page, under the app's root path)."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config["APPLICATION_ROOT"])
    return adapter.build(endpoint, values)


def is_fragment_request() -> bool:
    """An htmx request that wants a piece of the page rather than a whole page."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def render(template: str, *, block: str = "content", status: int = 200, trigger=None, **context):
    """Render the full page, or only ``block`` of it for an htmx request; always ``Vary: HX-Request``.

    ``trigger`` names htmx events (a string or a dict) for other widgets to react to.
    """
    if is_fragment_request():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    if trigger:
        response.headers["HX-Trigger"] = trigger if isinstance(trigger, str) else json.dumps(trigger)
    return response


@dataclass(frozen=True)
class Slide:
    """A slide a plugin offers to library screens (hook ``engage_screen_slides``).

    ``key`` names the slide within its plugin (core stores it as ``plugin:<plugin>:<key>``);
    ``html`` is the slide's body as ``Markup``, legible from three metres (big type, few words);
    ``url`` is where the QR code on the slide takes a passer-by's phone (absolute, or a path on
    this site).
    """

    key: str
    title: str
    html: Markup
    url: str
    order: int = 100
