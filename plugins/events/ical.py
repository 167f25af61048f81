"""iCalendar feeds (RFC 5545, written with the ``icalendar`` library): every event, or a reader's own.

A calendar app polls the address; each event keeps a stable UID so an edited event updates in
place, and a cancelled seat drops out of the reader's feed at the next poll.
"""

from __future__ import annotations

from flask import Response, request, url_for
from icalendar import Calendar, Event as VEvent

from core.models import utcnow

from .models import Event


def calendar(events: list[Event], *, name: str, locale: str) -> bytes:
    """A VCALENDAR with one VEVENT per event, titles and descriptions in ``locale``."""
    cal = Calendar()
    cal.add("prodid", "-//Library Engage//events//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    host = request.host.split(":")[0] if request else "library"
    stamp = utcnow()
    for event in events:
        chinese = locale.startswith("zh")
        item = VEvent()
        item.add("uid", f"event-{event.id}@{host}")
        item.add("dtstamp", stamp)
        item.add("dtstart", event.starts_at)
        item.add("dtend", event.ends_at)
        item.add("summary", event.title_zh if chinese else event.title_en)
        description = event.description_zh if chinese else event.description_en
        if description:
            item.add("description", description)
        item.add("location", event.place)
        item.add("url", url_for("events.event", event_id=event.id, _external=True))
        cal.add_component(item)
    return cal.to_ical()


def response(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, max-age=300"})
