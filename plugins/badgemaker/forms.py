"""The form a librarian makes a badge with (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import FieldList, FormField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from core.forms import Form

from .i18n import _l

NEEDS = 3
CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


class NeedForm(Form):
    """One requirement: what to count and how many; a row with nothing chosen is skipped."""

    class Meta:
        csrf = False  # a row of MakeBadgeForm, whose own token covers it

    what = SelectField(_l("What counts"), choices=[], validate_choice=False)
    goal = IntegerField(_l("How many"), validators=[Optional(), NumberRange(min=1, max=10_000_000)])


class MakeBadgeForm(Form):
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=80)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=80)])
    how_en = TextAreaField(_l("How to earn it (English)"), validators=[DataRequired(), Length(max=500)],
                           description=_l("Readers see this on the badge's page; verifiers read it in the Open Badge."))
    how_zh = TextAreaField(_l("How to earn it (Chinese)"), validators=[DataRequired(), Length(max=500)])
    needs = FieldList(FormField(NeedForm), min_entries=NEEDS, max_entries=NEEDS)
    term = SelectField(_l("Only during"), choices=[], validate_choice=False)
    hours_from = StringField(_l("Only from (hh:mm)"), validators=[Optional(), Regexp(CLOCK, message=_l("Write a time as hh:mm, such as 22:00."))],
                             description=_l("Library time. Leave both times empty for any time of day."))
    hours_to = StringField(_l("Until (hh:mm)"), validators=[Optional(), Regexp(CLOCK, message=_l("Write a time as hh:mm, such as 22:00."))])
    artwork = RadioField(_l("Artwork"), choices=[("emblem", _l("A generated emblem")), ("upload", _l("An image I upload"))],
                         default="emblem")
    image = FileField(_l("Image (PNG, JPEG, WebP or GIF, at most 1 MB)"))


class RetireForm(Form):
    """Retiring asks for nothing but the token: the page says what it does."""
