"""The account pages' forms (every one a core.forms.Form, CSRF on)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange

from core.forms import PASSWORD_HINT, Form


class ResetRequestForm(Form):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(Form):
    password = PasswordField(_l("New password"), description=PASSWORD_HINT,
                             validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])


class EmailChangeForm(Form):
    email = StringField(_l("New email address"), validators=[DataRequired(), Email(), Length(max=254)])
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


class DeleteAccountForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    confirm_email = StringField(_l("Type your email address to confirm"), validators=[DataRequired(), Length(max=254)])


class AccountSettingsForm(Form):
    verification = BooleanField(_l("Readers must confirm their email address before they take part"))
    retention_years = IntegerField(_l("Anonymise readers' accounts after this many years without a sign-in (0: never)"),
                                   validators=[InputRequired(), NumberRange(min=0, max=50)])
