"""The librarians' forms: a rule, matching a number to a reader, uploading a CSV of events."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from core.forms import CheckboxesField, Form

from .i18n import _l

CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"
KIND = r"^[a-z0-9][a-z0-9_-]{0,59}$"
CAP = [Optional(), NumberRange(min=1, max=1_000_000)]


class RuleForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Readers see it in their points history, e.g. “Midnight owl”."))
    kind = StringField(_l("Event type"), validators=[
        DataRequired(), Regexp(KIND, message=_l("Lower-case letters, digits, - or _, such as gate-entry."))],
        description=_l("As the library's systems send it: loan, return, gate-entry, e-resource-session, "
                       "room-booking, workshop-attendance, or one of your own."))
    points = IntegerField(_l("Points per event"), validators=[DataRequired(), NumberRange(min=1, max=10_000)])
    day_points = IntegerField(_l("At most points per reader per day"), validators=CAP)
    day_count = IntegerField(_l("At most events per reader per day"), validators=CAP)
    week_points = IntegerField(_l("At most points per reader per week"), validators=CAP)
    week_count = IntegerField(_l("At most events per reader per week"), validators=CAP)
    window_from = StringField(_l("Only from (hh:mm)"), validators=[
        Optional(), Regexp(CLOCK, message=_l("Write a time as hh:mm, such as 22:00."))],
        description=_l("Library time. From 22:00 until 06:00 crosses midnight. Leave both empty for any time."))
    window_to = StringField(_l("Until (hh:mm)"), validators=[
        Optional(), Regexp(CLOCK, message=_l("Write a time as hh:mm, such as 22:00."))])
    weekdays = CheckboxesField(_l("Only on these days"), choices=[
        ("0", _l("Monday")), ("1", _l("Tuesday")), ("2", _l("Wednesday")), ("3", _l("Thursday")),
        ("4", _l("Friday")), ("5", _l("Saturday")), ("6", _l("Sunday"))],
        description=_l("None ticked: every day."))
    active = BooleanField(_l("Switched on (pays new events)"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if bool(self.window_from.data) != bool(self.window_to.data):
            self.window_to.errors = list(self.window_to.errors) + [_l("Give both times, or neither.")]
            ok = False
        return ok


class MatchForm(Form):
    number = StringField(_l("Number as sent"), validators=[DataRequired(), Length(max=64)])
    reader = StringField(_l("Reader's number"), validators=[DataRequired(), Length(max=32)],
                         description=_l("The number of the reader these events belong to."))


class UploadForm(Form):
    file = FileField(_l("CSV or Excel file"), description=_l(
        "Columns: source_id, type, reader, occurred_at (ISO 8601; library time without an offset)."))


class ConfirmForm(Form):
    """A button: its CSRF token is all it carries."""
