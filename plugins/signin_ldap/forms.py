"""The directory sign-in form."""

from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core.forms import Form

from .i18n import _l


class DirectoryLoginForm(Form):
    """A directory user name and password."""

    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=128)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()
