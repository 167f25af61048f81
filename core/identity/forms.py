"""The forms of the faculty and roster pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import Form


class FacultyForm(Form):
    """A faculty's code (fixed once saved), names, place in the list and state."""

    code = StringField(_l("Code"), description=_l("Short and fixed: it cannot be changed later."),
                       validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=120)])
    order = IntegerField(_l("Position in lists"), default=0,
                         validators=[Optional(), NumberRange(min=-100_000, max=100_000)])
    active = BooleanField(_l("Offered to readers"), default=True)


class ImportForm(Form):
    """A roster or faculties table to check."""

    kind = SelectField(_l("What the file lists"), choices=[("users", _l("Readers and staff")),
                                                           ("faculties", _l("Faculties and colleges"))])
    file = FileField(_l("CSV file or Excel workbook (.xlsx)"),
                     description=_l("The first row names the columns. Nothing changes until you apply the "
                                    "checked file."))
