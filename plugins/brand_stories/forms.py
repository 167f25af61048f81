"""Forms: librarians' editing forms and readers' design entries (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core.forms import Form
from core.localtime import HasValue, LocalDateTimeField

from .i18n import _l

MAX_IMAGE_BYTES = 3 * 1024 * 1024
REQUIRED = _l("This field is required.")


def _text(label, max_length, required=True, area=False, **kw):
    field = TextAreaField if area else StringField
    checks = [DataRequired(message=REQUIRED)] if required else [Optional()]
    return field(label, validators=[*checks, Length(max=max_length)], **kw)


def _when(label):
    return LocalDateTimeField(label, validators=[HasValue(REQUIRED)], description=_l("Library time."))


IMAGE_HELP = _l("PNG, JPEG or WebP, at most 3 MB. It is checked, re-encoded and stripped of metadata.")


class CharacterForm(Form):
    name_en = _text(_l("Name (English)"), 80)
    name_zh = _text(_l("Name (Chinese)"), 80)
    bio_en = _text(_l("Biography (English)"), 4000, required=False, area=True)
    bio_zh = _text(_l("Biography (Chinese)"), 4000, required=False, area=True)
    position = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(0, 999)])
    image = FileField(_l("Portrait"), description=IMAGE_HELP)


class SeriesForm(Form):
    title_en = _text(_l("Title (English)"), 120)
    title_zh = _text(_l("Title (Chinese)"), 120)
    summary_en = _text(_l("Summary (English)"), 2000, required=False, area=True)
    summary_zh = _text(_l("Summary (Chinese)"), 2000, required=False, area=True)


class EpisodeForm(Form):
    series_id = SelectField(_l("Series"), coerce=int)
    number = IntegerField(_l("Episode number"), default=1, validators=[DataRequired(message=REQUIRED),
                                                                       NumberRange(1, 9999)])
    title_en = _text(_l("Title (English)"), 120)
    title_zh = _text(_l("Title (Chinese)"), 120)
    body_en = _text(_l("Story (English, Markdown)"), 20000, area=True)
    body_zh = _text(_l("Story (Chinese, Markdown)"), 20000, area=True)
    publish_at = _when(_l("Publish at"))
    image = FileField(_l("Picture"), description=IMAGE_HELP)


class PollForm(Form):
    question_en = _text(_l("Question (English)"), 200)
    question_zh = _text(_l("Question (Chinese)"), 200)
    options = _text(_l("Options"), 4000, area=True,
                    description=_l("One option a line, English and Chinese separated by “|”: "
                                   "Mei finds the key | 小梅找到了钥匙. Two to eight options."))
    opens_at = _when(_l("Opens at"))
    closes_at = _when(_l("Closes at"))
    live_counts = BooleanField(_l("Show counts while the poll is open"),
                               description=_l("Off by default: early counts sway later voters."))

    def validate_options(self, field):
        lines = [line for line in (field.data or "").splitlines() if line.strip()]
        pairs = [tuple(part.strip() for part in line.split("|", 1)) for line in lines]
        if not 2 <= len(pairs) <= 8:
            raise ValidationError(_l("Give two to eight options."))
        if any(len(p) != 2 or not p[0] or not p[1] or max(len(p[0]), len(p[1])) > 200 for p in pairs):
            raise ValidationError(_l("Each line needs an English and a Chinese text (at most 200 characters), "
                                     "separated by “|”."))
        self.option_pairs = pairs

    def validate_closes_at(self, field):
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The poll must close after it opens."))


class ContestForm(Form):
    title_en = _text(_l("Title (English)"), 120)
    title_zh = _text(_l("Title (Chinese)"), 120)
    brief_en = _text(_l("Brief (English, Markdown)"), 4000, area=True)
    brief_zh = _text(_l("Brief (Chinese, Markdown)"), 4000, area=True)
    subject = SelectField(_l("Designs for"), choices=[("character", _l("A character")), ("episode", _l("An episode")),
                                                      ("merchandise", _l("Merchandise"))])
    submissions_close_at = _when(_l("Submissions close at"))
    voting_opens_at = _when(_l("Voting opens at"))
    voting_closes_at = _when(_l("Voting closes at"))

    def validate_voting_opens_at(self, field):
        if self.submissions_close_at.data and field.data and field.data < self.submissions_close_at.data:
            raise ValidationError(_l("Voting cannot open before submissions close."))

    def validate_voting_closes_at(self, field):
        if self.voting_opens_at.data and field.data and field.data <= self.voting_opens_at.data:
            raise ValidationError(_l("Voting must close after it opens."))


class DesignForm(Form):
    title = _text(_l("Title"), 120)
    description = _text(_l("Description (Markdown)"), 4000, area=True)
    image = FileField(_l("Your design"), description=IMAGE_HELP)


class OptionImageForm(Form):
    image = FileField(_l("Picture for this option"), description=IMAGE_HELP)
