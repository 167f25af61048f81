"""Forms of the rewards pages (CSRF on every POST); labels are lazy so they follow the reader's language."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import Form
from core.localtime import HasValue, LocalDateTimeField
from core.models import utcnow

from .i18n import _l

_REQUIRED = _l("This field is required.")
_WHEN = _l("Enter a date and time.")


class PerkForm(Form):
    name_en = StringField(_l("Name in English"), validators=[DataRequired(_REQUIRED), Length(max=80)])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(_REQUIRED), Length(max=80)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=2000)])
    description_zh = TextAreaField(_l("Description in Chinese"), validators=[Optional(), Length(max=2000)])
    cost = IntegerField(_l("Cost in points"), default=50, validators=[HasValue(_REQUIRED), NumberRange(min=1, max=100000)])
    stock = IntegerField(_l("Stock"), description=_l("Leave empty for no limit."),
                         validators=[Optional(), NumberRange(min=0, max=100000)])
    per_reader = IntegerField(_l("Most per reader"), description=_l("Leave empty for no limit."),
                              validators=[Optional(), NumberRange(min=1, max=1000)])
    audience = SelectField(_l("Offered to"), choices=[], validate_choice=True)
    position = IntegerField(_l("Position in the catalogue"), default=0, validators=[Optional(), NumberRange(min=0, max=1000)])
    active = BooleanField(_l("Offered now"), default=True)
    image = FileField(_l("Picture (optional)"), description=_l("A JPEG or PNG up to 2 MB."))
    remove_image = BooleanField(_l("Remove the picture"))


class DrawForm(Form):
    title_en = StringField(_l("Title in English"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    title_zh = StringField(_l("Title in Chinese"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    prize_en = StringField(_l("Prize in English"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    prize_zh = StringField(_l("Prize in Chinese"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    winners = IntegerField(_l("Number of winners"), default=1, validators=[HasValue(_REQUIRED), NumberRange(min=1, max=100)])
    ticket_cost = IntegerField(_l("Ticket price in points"), default=20, description=_l("0: tickets cannot be bought."),
                               validators=[HasValue(_REQUIRED), NumberRange(min=0, max=100000)])
    max_bought = IntegerField(_l("Most tickets a reader may buy"), default=5,
                              validators=[HasValue(_REQUIRED), NumberRange(min=0, max=1000)])
    earn_per_activity = BooleanField(_l("A ticket for each activity while the draw is open"))
    max_earned = IntegerField(_l("Most tickets a reader may earn"), default=5,
                              validators=[HasValue(_REQUIRED), NumberRange(min=0, max=1000)])
    opens_at = LocalDateTimeField(_l("Tickets from"), validators=[HasValue(_WHEN)], description=_l("Library time."))
    draw_at = LocalDateTimeField(_l("Drawn at"), validators=[HasValue(_WHEN)], description=_l("Library time."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.draw_at.data <= self.opens_at.data:
            self.draw_at.errors.append(_l("The draw must come after tickets open."))
            ok = False
        if ok and self.draw_at.data <= utcnow():
            self.draw_at.errors.append(_l("The draw must be in the future."))
            ok = False
        if ok and not ((self.ticket_cost.data > 0 and self.max_bought.data > 0)
                       or (self.earn_per_activity.data and self.max_earned.data > 0)):
            self.ticket_cost.errors.append(_l("Readers need a way to get tickets: a price and a number they may buy, "
                                              "or tickets earned by activity."))
            ok = False
        return ok


class TokenForm(Form):
    """A form whose hidden token makes a double click or a resent request act once."""

    token = HiddenField(validators=[DataRequired(), Length(min=8, max=64)])


class ActionForm(Form):
    """A button: fulfil or cancel a voucher (the CSRF token is all it carries)."""
