"""Forms of the events plugin; labels are lazy so they follow the reader's language."""

from __future__ import annotations

from wtforms import IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import Form
from core.localtime import HasValue, LocalDateTimeField

from .i18n import _l

_REQUIRED = _l("This field is required.")
_WHEN = _l("Enter a date and time.")

OUTCOME_LABELS = {
    "attended": _l("Attended"),
    "expected": _l("Expected"),
    "no-show": _l("No-show"),
    "waitlisted": _l("On the waitlist"),
    "cancelled": _l("Cancelled"),
}
STATUS_LABELS = {"registered": _l("Registered"), "waitlisted": _l("On the waitlist"), "cancelled": _l("Cancelled")}
STATE_LABELS = {"upcoming": _l("Coming up"), "running": _l("Happening now"), "ended": _l("Over")}


class EventForm(Form):
    title_en = StringField(_l("Title in English"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    title_zh = StringField(_l("Title in Chinese"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    description_en = TextAreaField(_l("Description in English"), description=_l("Markdown is allowed."),
                                   validators=[Optional(), Length(max=4000)])
    description_zh = TextAreaField(_l("Description in Chinese"), validators=[Optional(), Length(max=4000)])
    place = StringField(_l("Place"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    starts_at = LocalDateTimeField(_l("Starts"), validators=[HasValue(_WHEN)])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[HasValue(_WHEN)])
    capacity = IntegerField(_l("Seats"), default=30, validators=[HasValue(_REQUIRED), NumberRange(min=1, max=10000)])
    points = IntegerField(_l("Points for attending"), default=10,
                          validators=[HasValue(_REQUIRED), NumberRange(min=0, max=1000)])
    # Choices: the library's managed faculties (set by the view); stored as their codes.
    faculties = SelectMultipleField(_l("Faculties"), description=_l("Choose none to open the event to all."),
                                    choices=[], validate_choice=True)


class ActionForm(Form):
    """A button that changes something (register, cancel, check in, tick a name): the CSRF token only."""
