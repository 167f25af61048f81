"""The forms of the sign-in settings: a provider's own settings (declared by its plugin) with its
attribute mapping, and the switch for local passwords."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from core.forms import Form
from core.i18n import pick


def label_text(label) -> str:
    """A provider's label, lazy text or ``{"en": …, "zh_Hans": …}``, in the reader's language."""
    return pick(label) if isinstance(label, dict) else str(label)


class PasswordSwitchForm(Form):
    """Local passwords on (``"1"``) or off."""

    enabled = HiddenField()


class TestBindForm(Form):
    """A directory test: sign in as this person without starting a session."""

    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=255)])


class MappingFields:
    """Which released attribute fills which account field, and the rules."""

    display_name = StringField(_l("Attribute with the display name"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("Attribute with the email address"), validators=[Optional(), Length(max=100)])
    member_number = StringField(_l("Attribute with the student or staff number"), validators=[Optional(), Length(max=100)])
    faculty = StringField(_l("Attribute with the faculty or college"), validators=[Optional(), Length(max=100)])
    role_rules = TextAreaField(_l("Role rules"), validators=[Optional(), Length(max=4000)],
                               description=_l("One a line, e.g. “eduPersonAffiliation=staff -> librarian” or "
                                              "“groups=library-admins -> admin”. The highest matching role wins; "
                                              "with none matching, a new account is a student and an existing one "
                                              "keeps its role."))
    allow = TextAreaField(_l("Who may sign in"), validators=[Optional(), Length(max=4000)],
                          description=_l("One condition a line, e.g. “eduPersonAffiliation=student” (“*” for any "
                                         "value). Anyone meeting one condition may sign in; leave empty to let "
                                         "everyone the server vouches for in."))


def settings_form(provider, *, formdata=None, data: dict | None = None) -> Form:
    """A form with ``provider``'s own settings and the mapping fields, filled with ``data``."""
    fields = {}
    for spec in provider.settings:
        label = label_text(spec.label)
        description = label_text(spec.help) if spec.help else ""
        required = [DataRequired()] if spec.required and spec.kind != "secret" else [Optional()]
        if spec.choices:
            fields[spec.name] = SelectField(label, choices=[(value, label_text(text)) for value, text in spec.choices],
                                            validators=[Optional()], description=description)
        elif spec.kind == "number":
            fields[spec.name] = IntegerField(label, validators=[*required, NumberRange(1, 120)], description=description)
        elif spec.kind == "secret":
            fields[spec.name] = PasswordField(label, validators=[Optional(), Length(max=500)], description=description)
        elif spec.kind == "url":
            fields[spec.name] = StringField(label, validators=[*required, Length(max=500), URL(require_tld=False)],
                                            description=description)
        else:
            fields[spec.name] = StringField(label, validators=[*required, Length(max=500)], description=description)
    form_class = type("ProviderSettingsForm", (MappingFields, Form), fields)
    return form_class(formdata=formdata, data=data) if formdata is not None else form_class(data=data)
