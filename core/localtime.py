"""Library time on forms, UTC in the tables: the one place a typed date and time becomes an instant.

Librarians type dates and times as the library's clock shows them (``TIMEZONE``); the tables
hold timezone-aware UTC instants. ``to_utc`` and ``to_local`` convert between the two, and
``LocalDateTimeField`` is the form field every plugin uses for a stored instant: its ``data``
is always an aware UTC datetime (or None), it shows the stored instant in library time, and a
form that does not send it, or sends back exactly what it showed, keeps the stored instant to
the microsecond — a partial save never moves a date.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField
from wtforms.validators import StopValidation

FORMAT = "%Y-%m-%dT%H:%M"
# What browsers send for a datetime-local input (with seconds when its step asks for them).
FORMATS = [FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def library_zone() -> ZoneInfo:
    """The library's time zone (the ``TIMEZONE`` setting)."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_utc(local: datetime) -> datetime:
    """A wall-clock time in the library's zone (naive) as an aware UTC instant.

    An aware value is already an instant and is only converted to UTC, never re-read as local
    time (re-reading a stored UTC value as local time is what shifted dates by hours).
    """
    if local.tzinfo is not None:
        return local.astimezone(timezone.utc)
    return local.replace(tzinfo=library_zone()).astimezone(timezone.utc)


def to_local(instant: datetime) -> datetime:
    """An instant as the library's wall clock shows it (naive), for a form's input."""
    if instant.tzinfo is None:  # naive instants in the tables are UTC (see core.models.UTCDateTime)
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(library_zone()).replace(tzinfo=None)


class LocalDateTimeField(DateTimeLocalField):
    """A ``<input type="datetime-local">`` in library time whose ``data`` is an aware UTC instant.

    Filled from a stored row (``Form(obj=row)``) it shows the row's instant in library time. On
    a POST it keeps that instant exactly when the field is missing from the request or comes
    back as it was shown (minutes only, so seconds would otherwise be lost); a changed value is
    read in library time. A value that is sent but is not a date and time is an error
    (``invalid_message``, else "Enter a date and time.").
    """

    def __init__(self, label=None, validators=None, *, invalid_message=None, **kwargs):
        kwargs.setdefault("format", list(FORMATS))
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message

    def process_data(self, value):
        self.data = None if value is None else to_utc(value)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return to_local(self.data).strftime(self.format[0]) if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return  # not sent: keep what the form was filled with
        shown = to_local(self.object_data).strftime(self.format[0]) if self.object_data else None
        if shown is not None and valuelist[0].strip() == shown:
            self.data = to_utc(self.object_data)  # sent back unchanged: the stored instant, exactly
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message or _l("Enter a date and time.")) from None
        if self.data is not None:
            self.data = to_utc(self.data)


class HasValue:
    """A value is required: sent now, or kept from the row the form edits (unlike WTForms'
    ``InputRequired``, which refuses a field a partial form leaves out even when it keeps a value)."""

    def __init__(self, message=None) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None or (isinstance(value, str) and not value.strip()):
            if field.process_errors:  # sent but unreadable: that message says more
                raise StopValidation()
            raise StopValidation(self.message or _l("This field is required."))
