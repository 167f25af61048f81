"""Forms of the staff-scores pages (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from wtforms import (BooleanField, FieldList, FloatField, FormField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import Form
from core.localtime import HasValue, LocalDateTimeField

from .i18n import _l

MARKS = [(str(n), str(n)) for n in range(1, 6)]


def anchor_lines(text: str) -> list[str]:
    """The non-empty lines of an anchors box: one per mark, 1 first."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class CriterionForm(Form):
    """One criterion of a rubric; a row left wholly empty is skipped."""

    class Meta:
        csrf = False  # a row of RubricForm, whose own token covers it

    name_en = StringField(_l("Name (English)"), validators=[Length(max=80)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Length(max=80)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=500)])
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Length(max=500)])
    anchors_en = TextAreaField(_l("Anchors (English)"), validators=[Length(max=2000)],
                               description=_l("Five lines: what a 1, 2, 3, 4 and 5 look like."))
    anchors_zh = TextAreaField(_l("Anchors (Chinese)"), validators=[Length(max=2000)],
                               description=_l("Five lines: what a 1, 2, 3, 4 and 5 look like."))

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in self)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.is_blank():
            return ok
        for f in (self.name_en, self.name_zh):
            if not (f.data or "").strip():
                f.errors.append(_l("Give the criterion a name in both languages."))
                ok = False
        for f in (self.anchors_en, self.anchors_zh):
            if len(anchor_lines(f.data)) != 5:
                f.errors.append(_l("Write exactly five lines, one for each mark from 1 to 5."))
                ok = False
        return ok

    def values(self) -> dict:
        return {name: "\n".join(anchor_lines(f.data)) if name.startswith("anchors") else (f.data or "").strip()
                for name, f in self._fields.items()}


class RubricForm(Form):
    criteria = FieldList(FormField(CriterionForm), min_entries=4, max_entries=6)

    def filled(self) -> list[dict]:
        return [entry.form.values() for entry in self.criteria if not entry.form.is_blank()]


class RoundForm(Form):
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=120)])
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=120)])
    opens_at = LocalDateTimeField(_l("Opens"), validators=[HasValue(_l("Give a date and time."))],
                                  invalid_message=_l("Give a date and time."))
    closes_at = LocalDateTimeField(_l("Closes"), validators=[HasValue(_l("Give a date and time."))],
                                   invalid_message=_l("Give a date and time."))
    prior_weight = FloatField(_l("Prior weight (m)"), default=10.0, validators=[
        InputRequired(), NumberRange(min=0, max=100)],
        description=_l("How many ratings' worth of the team mean each score starts with (0–100)."))
    blend_weight = FloatField(_l("Readers' weight (w)"), default=0.2, validators=[
        InputRequired(), NumberRange(min=0, max=1)],
        description=_l("Share of the final score that comes from readers' ratings of answers (0–1)."))


def one_to_five(form, field):
    """Marks go from 1 to 5; anything else is refused with the reader's-language message."""
    if field.data not in {value for value, _label in MARKS}:
        raise ValidationError(_l("Choose a mark from 1 to 5."))


def review_form(criteria, data=None):
    """A rating form with one 1–5 choice per criterion of the round's rubric."""

    class ReviewForm(Form):
        comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=1000)],
                                description=_l("Your colleague sees it without your name."))

    for criterion in criteria:
        setattr(ReviewForm, f"c{criterion.id}", RadioField(
            criterion.name_en, choices=MARKS, validate_choice=False, validators=[one_to_five]))
    return ReviewForm(data=data)


class KudosForm(Form):
    receiver = SelectField(_l("Colleague"), coerce=int, validate_choice=False)
    message = TextAreaField(_l("Message"), validators=[
        DataRequired(message=_l("Write a short message.")),
        Length(max=280, message=_l("A kudos message can have at most %(max)d characters."))],
        description=_l("At most 280 characters, shown on the staff board."))

    def validate_receiver(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose a colleague to thank."))


class PreferenceForm(Form):
    show_publicly = BooleanField(_l("Show me on public boards and library screens"))


class ActionForm(Form):
    """A button with nothing but its CSRF token (publish, remind)."""
