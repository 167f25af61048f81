"""Core's forms. Labels and messages are lazy so they follow the reader's language."""

from __future__ import annotations

import math
import re

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeField, DecimalField, FieldList, FloatField, FormField, HiddenField,
                     IntegerField, PasswordField, SelectField, SelectMultipleField, StringField)
from wtforms.validators import (DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp, StopValidation,
                                ValidationError)
from wtforms.widgets import CheckboxInput, ListWidget

from core.security.inputs import INT_MAX, INT_MIN

# Dates a library can mean: outside them date arithmetic (time zones, the day after) overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2999
# C0 control characters but tab, line feed and carriage return; DEL; the C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def refuse_control_characters(_form, field) -> None:
    """A validator: text may hold tabs and line breaks, but no other control characters."""
    data = field.data
    if isinstance(data, str) and CONTROL_CHARACTERS.search(data):
        raise ValidationError(_l("Remove the invisible control characters from this text."))


def _guard_processing(field, check) -> None:
    """Wrap ``field.process_formdata`` so that a value ``check`` refuses, or one that overflows
    while being read, is a field error (``check.message``) instead of a crash later on. The
    field's data is then None and its validators do not run (they might compare the value, or
    replace the message with "required")."""
    original, pre_validate = field.process_formdata, field.pre_validate

    def process_formdata(valuelist):
        try:
            original(valuelist)
        except OverflowError:
            refused = True
        else:
            refused = field.data is not None and not check(field.data)
        if refused:
            field.data, field.refused = None, True
            raise ValueError(check.message)

    def guarded_pre_validate(form):
        if getattr(field, "refused", False):
            raise StopValidation()  # keeps the message process_formdata gave
        pre_validate(form)

    field.process_formdata, field.pre_validate = process_formdata, guarded_pre_validate


def _date_in_range(value) -> bool:
    return FIRST_YEAR <= getattr(value, "year", FIRST_YEAR) <= LAST_YEAR  # a TimeField's time has no year


def _int_in_range(value) -> bool:
    return INT_MIN <= value <= INT_MAX


def _finite(value) -> bool:
    finite = value.is_finite() if hasattr(value, "is_finite") else math.isfinite(value)
    return finite and INT_MIN <= value <= INT_MAX


_date_in_range.message = _l("Enter a date between the years %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
_int_in_range.message = _finite.message = _l("Enter a number between %(low)d and %(high)d.", low=INT_MIN, high=INT_MAX)


class Form(FlaskForm):
    """The base of every form in core and the plugins (``core.forms.Form``, never FlaskForm or
    wtforms.Form directly; a sub-form for ``FormField`` sets ``class Meta: csrf = False``).

    Every field it binds refuses hostile values with a message on that field, whatever the
    form's own validators say: text with control characters (tabs and line breaks are fine),
    dates outside the years FIRST_YEAR..LAST_YEAR, whole numbers beyond the database's
    INTEGER range and numbers that are not finite. A JSON body is not form data: the form
    reads it as an empty submission.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField):  # TextAreaField, PasswordField, HiddenField, EmailField…
                field.validators = [refuse_control_characters, *field.validators]
            elif isinstance(field, DateTimeField):  # DateField, DateTimeLocalField, core.localtime's field
                _guard_processing(field, _date_in_range)
            elif isinstance(field, IntegerField):
                _guard_processing(field, _int_in_range)
            elif isinstance(field, (FloatField, DecimalField)):
                _guard_processing(field, _finite)
            return field

        def wrap_formdata(self, form, formdata):
            data = super().wrap_formdata(form, formdata)
            if data is not None and has_request_context() and request.is_json and data is not request.form:
                return None  # the app's forms are HTML forms; a JSON body's values may be of any type
            return data


class _OptionalBox(CheckboxInput):
    """A checkbox of a group: never ``required`` on its own (WTForms gives every option the
    field's flag, and a browser would then refuse the form until each box was ticked). A group
    that needs one ticked says so through its validators, checked on the server."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("required", False)
        return super().__call__(field, **kwargs)


class CheckboxesField(SelectMultipleField):
    """Choose any of ``choices``: a list of checkboxes (render each option, or the field whole)."""

    widget = ListWidget(prefix_label=False)
    option_widget = _OptionalBox()


LANGUAGE_CHOICES = [("en", "English"), ("zh_Hans", "简体中文")]
PASSWORD_HINT = _l("At least 8 characters. Three or four words that do not belong together are easy to remember "
                   "and hard to guess.")

class LoginForm(Form):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])

class ProfileFields:
    """Fields a user sets at registration and can change later."""

    display_name = StringField(_l("Display name"), description=_l("Shown on boards; a pseudonym is fine."),
                               validators=[DataRequired(), Length(min=2, max=60)])
    # Choices: the managed list (core.identity.faculties.faculty_choices), set by the view.
    cohort = SelectField(_l("Faculty or college"), choices=[("", "")], default="")
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")
    hide_from_boards = BooleanField(_l("Keep me off public leaderboards"),
                                    description=_l("You will still see your own rank."))

class RegisterForm(ProfileFields, Form):
    email = StringField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    member_number = StringField(_l("Student or staff number"),
                                validators=[Optional(), Length(max=32),
                                            Regexp(r"^[A-Za-z0-9-]+$", message=_l("Use letters, digits and hyphens only."))])
    password = PasswordField(_l("Password"), description=PASSWORD_HINT,
                             validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("Repeat password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])

class PasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("New password"), description=PASSWORD_HINT,
                             validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])

class DeactivateForm(Form):
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("A reason is required.")), Length(min=3, max=500)])

class ProfileForm(ProfileFields, Form):
    public_profile = BooleanField(_l("Show my public profile page"),
                                  description=_l("Only your display name, level and badges, at a link you can share."))

class AdjustForm(Form):
    amount = IntegerField(_l("Points (negative to deduct)"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("A reason is required.")), Length(min=3, max=500)])
    # Sent back unchanged, so a double-submitted form cannot pay twice.
    nonce = HiddenField(validators=[DataRequired(), Length(max=64)])

class ApprovalForm(Form):
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])

class RejectionForm(Form):
    note = StringField(_l("Why not?"), validators=[DataRequired(message=_l("Give a reason for turning the adjustment down.")),
                                                 Length(min=3, max=500)])

class RoleForm(Form):
    role = SelectField(_l("Role"), choices=[("student", _l("Student")), ("librarian", _l("Librarian")),
                                            ("admin", _l("Administrator"))])
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("A reason is required.")), Length(min=3, max=500)])

class TermForm(Form):
    """A term's names and dates; its key is derived from them (core.terms.derive_key)."""

    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=80)])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=80)])
    starts_on = DateField(_l("First day"), validators=[DataRequired(message=_l("Enter a date as YYYY-MM-DD."))])
    ends_on = DateField(_l("Last day"), validators=[DataRequired(message=_l("Enter a date as YYYY-MM-DD."))])

class ConfirmForm(Form):
    """A form with only the CSRF token, for buttons that change state."""

class UserSearchForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name, email or number"), validators=[Optional(), Length(max=100)])


class LevelRow(Form):
    """One level: leave a row empty to drop it."""

    class Meta:
        csrf = False

    threshold = IntegerField(_l("From points"), validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=60)])
    name_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=60)])


class LevelsForm(Form):
    rows = FieldList(FormField(LevelRow), min_entries=10, max_entries=10)
