"""The administrators' webhook form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, URLField
from wtforms.validators import DataRequired, Length

from core.forms import CheckboxesField, Form


class EndpointForm(Form):
    """A URL, what it is for, and the event types it receives."""

    url = URLField(_l("Address (URL)"), validators=[DataRequired(message=_l("Enter the address to send events to.")),
                                                    Length(max=2000)],
                   description=_l("Where the events are sent, e.g. https://library.example.edu/hooks/engage."))
    description = StringField(_l("What it is for"), validators=[Length(max=200)])
    event_types = CheckboxesField(_l("Events"), choices=[], validate_choice=False)
