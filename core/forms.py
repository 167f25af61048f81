"""Core's forms. Labels and messages are lazy so they follow the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FieldList, FormField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp

LANGUAGE_CHOICES = [("en", "English"), ("zh_Hans", "简体中文")]
PASSWORD_HINT = _l("At least 8 characters. Three or four words that do not belong together are easy to remember "
                   "and hard to guess.")

class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])

class ProfileFields:
    """Fields a user sets at registration and can change later."""

    display_name = StringField(_l("Display name"), description=_l("Shown on boards; a pseudonym is fine."),
                               validators=[DataRequired(), Length(min=2, max=60)])
    cohort = StringField(_l("Faculty or college"), validators=[Optional(), Length(max=80)])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")
    hide_from_boards = BooleanField(_l("Keep me off public leaderboards"),
                                    description=_l("You will still see your own rank."))

class RegisterForm(ProfileFields, FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    member_number = StringField(_l("Student or staff number"),
                                validators=[Optional(), Length(max=32),
                                            Regexp(r"^[A-Za-z0-9-]+$", message=_l("Use letters, digits and hyphens only."))])
    password = PasswordField(_l("Password"), description=PASSWORD_HINT,
                             validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("Repeat password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])

class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("New password"), description=PASSWORD_HINT,
                             validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])

class DeactivateForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("A reason is required.")), Length(min=3, max=500)])

class ProfileForm(ProfileFields, FlaskForm):
    public_profile = BooleanField(_l("Show my public profile page"),
                                  description=_l("Only your display name, level and badges, at a link you can share."))

class AdjustForm(FlaskForm):
    amount = IntegerField(_l("Points (negative to deduct)"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("A reason is required.")), Length(min=3, max=500)])
    # Sent back unchanged, so a double-submitted form cannot pay twice.
    nonce = HiddenField(validators=[DataRequired(), Length(max=64)])

class ApprovalForm(FlaskForm):
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])

class RejectionForm(FlaskForm):
    note = StringField(_l("Why not?"), validators=[DataRequired(message=_l("Give a reason for turning the adjustment down.")),
                                                 Length(min=3, max=500)])

class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[("student", _l("Student")), ("librarian", _l("Librarian")),
                                            ("admin", _l("Administrator"))])
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("A reason is required.")), Length(min=3, max=500)])

class TermForm(FlaskForm):
    """A term's names and dates; its key is derived from them (core.terms.derive_key)."""

    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=80)])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=80)])
    starts_on = DateField(_l("First day"), validators=[DataRequired(message=_l("Enter a date as YYYY-MM-DD."))])
    ends_on = DateField(_l("Last day"), validators=[DataRequired(message=_l("Enter a date as YYYY-MM-DD."))])

class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""

class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name, email or number"), validators=[Optional(), Length(max=100)])


class LevelRow(FlaskForm):
    """One level: leave a row empty to drop it."""

    class Meta:
        csrf = False

    threshold = IntegerField(_l("From points"), validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=60)])
    name_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=60)])


class LevelsForm(FlaskForm):
    rows = FieldList(FormField(LevelRow), min_entries=10, max_entries=10)
