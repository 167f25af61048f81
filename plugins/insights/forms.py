"""The dashboard's filters and the segment builder: GET forms (no state changes) and the send form."""

from __future__ import annotations

from datetime import date, timedelta

from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import Form

from .i18n import _l

LONGEST = {"day": 92, "week": 2 * 366, "month": 5 * 366, "term": 10 * 366}  # days a range may cover


class RangeForm(Form):
    """Which periods the dashboard shows: the grain, the dates and, optionally, one plugin."""

    class Meta:
        csrf = False

    period = SelectField(_l("Count readers per"), default="week", choices=[
        ("day", _l("day")), ("week", _l("week")), ("month", _l("month")), ("term", _l("term"))])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    plugin = SelectField(_l("Activity"), default="", validate_choice=True)

    def validate_end(self, field) -> None:
        """A reversed or absurdly long range is refused with a message, never run."""
        from wtforms import ValidationError

        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError(_l("The last day comes before the first; swap them."))
            longest = LONGEST.get(self.period.data, 366)
            if (field.data - self.start.data).days > longest:
                raise ValidationError(_l("That range is too long for this grain: at most %(days)d days.",
                                         days=longest))

    def span(self, today: date) -> tuple[date, date]:
        """The chosen range, or the grain's default ending today."""
        default_days = {"day": 27, "week": 7 * 11, "month": 365, "term": 3 * 365}[self.period.data or "week"]
        end = self.end.data or today
        start = self.start.data or end - timedelta(days=default_days)
        return start, end


class SegmentForm(Form):
    """Who a message goes to: every filter is optional (none: every active reader)."""

    class Meta:
        csrf = False

    faculty = SelectField(_l("Faculty"), default="", validate_choice=True)
    min_level = IntegerField(_l("Level at least"), validators=[Optional(), NumberRange(min=0, max=100)])
    plugin = SelectField(_l("Took part in"), default="", validate_choice=True)
    activity = SelectField(_l("Activity"), default="any", choices=[
        ("any", _l("Anyone")), ("active", _l("Active this term")), ("lapsed", _l("Lapsed: active last term, not this one")),
        ("never", _l("Never active"))])
    seen_within = IntegerField(_l("Last seen within (days)"), validators=[Optional(), NumberRange(min=1, max=3650)])
    not_seen_for = IntegerField(_l("Not seen for (days)"), validators=[Optional(), NumberRange(min=1, max=3650)])
    email = SelectField(_l("Email"), default="", choices=[
        ("", _l("Everyone (in-app only for those who do not want email)")), ("yes", _l("Only readers who take email"))])


class MessageForm(Form):
    """The message itself (sent with the segment's filters as hidden query values)."""

    text = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=500)])
    link = StringField(_l("Link on this site (optional)"), validators=[Optional(), Length(max=300)])
