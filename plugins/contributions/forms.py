"""Forms of the contributions plugin; labels are lazy so they follow the reader's language."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import Form
from core.localtime import HasValue, LocalDateTimeField

from .i18n import _l

KIND_LABELS = {
    "review": _l("Book review or reading note"),
    "photo": _l("Photo of library life"),
    "story": _l("A story for the library's voices series"),
    "local": _l("Local or old-book knowledge"),
    "answer": _l("Answers to a question"),
}
STATUS_LABELS = {
    "pending": _l("Waiting for review"),
    "changes": _l("Changes requested"),
    "approved": _l("Approved"),
    "rejected": _l("Not accepted"),
    "withdrawn": _l("Withdrawn"),
}
FLAG_LABELS = {
    "text-own": _l("Same text as an earlier submission of this reader"),
    "text-other": _l("Same text as someone else's submission"),
    "image-own": _l("Same picture as an earlier submission of this reader"),
    "image-other": _l("Same picture as someone else's submission"),
}
_REQUIRED = _l("This field is required.")
_WHEN = _l("Enter a date and time.")


class ChallengeForm(Form):
    title_en = StringField(_l("Title in English"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    title_zh = StringField(_l("Title in Chinese"), validators=[DataRequired(_REQUIRED), Length(max=120)])
    description_en = TextAreaField(_l("Description in English"), description=_l("Markdown is allowed."),
                                   validators=[Optional(), Length(max=4000)])
    description_zh = TextAreaField(_l("Description in Chinese"), validators=[Optional(), Length(max=4000)])
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))
    # HasValue, not InputRequired: editing a challenge, a field the form leaves out keeps its value.
    opens_at = LocalDateTimeField(_l("Opens"), validators=[HasValue(_WHEN)])
    closes_at = LocalDateTimeField(_l("Closes"), validators=[HasValue(_WHEN)])
    points = IntegerField(_l("Points on approval"), default=10,
                          validators=[HasValue(_REQUIRED), NumberRange(min=1, max=1000)])
    feature_points = IntegerField(_l("Bonus points when featured"), default=20,
                                  validators=[HasValue(_REQUIRED), NumberRange(min=0, max=1000)])
    max_per_user = IntegerField(_l("Most submissions per reader"), default=1,
                                validators=[HasValue(_REQUIRED), NumberRange(min=1, max=50)])
    require_text = BooleanField(_l("Text is required"), default=True)
    require_link = BooleanField(_l("A link is required"))
    allow_image = BooleanField(_l("Images are allowed"), default=True)
    require_image = BooleanField(_l("An image is required"))


class SubmissionForm(Form):
    text = TextAreaField(_l("Your contribution"), description=_l("Markdown is allowed: **bold**, *italic*, lists, links."),
                         validators=[Optional(), Length(max=10000)])
    link = StringField(_l("Link (optional)"), description=_l("A web address starting with https://"),
                       validators=[Optional(), Length(max=500)])
    image = FileField(_l("Image"))  # labels and the size limit are set per challenge by the view


class ModerationForm(Form):
    decision = SelectField(_l("Decision"), choices=[("approve", _l("Approve")), ("reject", _l("Reject")),
                                                    ("changes", _l("Ask for changes"))])
    reason = StringField(_l("Reason for the author"), description=_l("Needed to reject or ask for changes."),
                         validators=[Optional(), Length(max=500)])
