"""The API's request and response shapes (marshmallow), from which the OpenAPI document is made."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

NUMBER = validate.Length(min=1, max=32)


class Strict(Schema):
    class Meta:
        ordered = True


class Loose(Schema):
    """Query strings: unknown parameters are ignored, as most APIs do."""

    class Meta:
        ordered = True
        unknown = EXCLUDE


class ProblemSchema(Strict):
    """An RFC 9457 problem: what went wrong, in the caller's language."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())
    scope = fields.String()
    cap = fields.Integer()


class PageArgs(Loose):
    cursor = fields.String(load_default=None, validate=validate.Length(max=400),
                           metadata={"description": "The `next_cursor` of the previous page."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ReaderArgs(PageArgs):
    faculty = fields.String(load_default=None, validate=validate.Length(max=80))


class ReaderSchema(Strict):
    id = fields.Integer(required=True)
    number = fields.String(required=True, allow_none=True, metadata={"description": "Student number"})
    email = fields.String(required=True)
    display_name = fields.String(required=True)
    faculty = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class ReaderPageSchema(Strict):
    items = fields.List(fields.Nested(ReaderSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class ReaderUpsertSchema(Strict):
    """A reader as the library's roster has them; ``email`` and ``display_name`` are needed to create one."""

    email = fields.Email(validate=validate.Length(max=254))
    display_name = fields.String(validate=validate.Length(min=1, max=60))
    faculty = fields.String(allow_none=True, validate=validate.Length(max=80))
    active = fields.Boolean()


class PointsSchema(Strict):
    number = fields.String(required=True)
    total = fields.Integer(required=True)
    week = fields.Integer(required=True)
    month = fields.Integer(required=True)
    term = fields.Integer(required=True)


class EntrySchema(Strict):
    id = fields.Integer(required=True)
    amount = fields.Integer(required=True)
    rule = fields.String(required=True)
    plugin = fields.String(required=True)
    reason = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class EntryPageSchema(Strict):
    items = fields.List(fields.Nested(EntrySchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class AwardSchema(Strict):
    reader = fields.String(required=True, validate=NUMBER, metadata={"description": "The reader's student number"})
    amount = fields.Integer(required=True, validate=validate.Range(min=1, max=100_000))
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=120),
                                    metadata={"description": "Repeating a key answers what the first call did"})
    rule = fields.String(load_default="api", validate=validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{0,59}$"))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class BatchSchema(Strict):
    awards = fields.List(fields.Nested(AwardSchema), required=True, validate=validate.Length(min=1),
                         metadata={"description": "At most 1,000 awards"})


class AwardResultSchema(Strict):
    idempotency_key = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["awarded", "capped"]))
    replayed = fields.Boolean(required=True)
    reader = fields.String(required=True)
    amount = fields.Integer(required=True)
    entry_id = fields.Integer(required=True, allow_none=True)
    total = fields.Integer(required=True)


class BatchResultSchema(Strict):
    results = fields.List(fields.Nested(AwardResultSchema), required=True)
    points = fields.Integer(required=True, metadata={"description": "Points paid by this call"})


class BadgeSchema(Strict):
    key = fields.String(required=True)
    name = fields.String(required=True)
    how_to_earn = fields.String(required=True)
    kind = fields.String(required=True)
    plugin = fields.String(required=True)
    holders = fields.Integer(required=True)


class BadgeListSchema(Strict):
    items = fields.List(fields.Nested(BadgeSchema), required=True)


class HeldBadgeSchema(Strict):
    key = fields.String(required=True)
    name = fields.String(required=True)
    granted_at = fields.DateTime(required=True)
    reason = fields.String(required=True, allow_none=True)


class HeldBadgeListSchema(Strict):
    items = fields.List(fields.Nested(HeldBadgeSchema), required=True)


class BadgeAwardSchema(Strict):
    badge = fields.String(required=True, validate=validate.Length(min=1, max=80))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class BoardArgs(Loose):
    faculty = fields.String(load_default=None, validate=validate.Length(min=1, max=80))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class AroundArgs(Loose):
    faculty = fields.String(load_default=None, validate=validate.Length(min=1, max=80))
    around = fields.Integer(load_default=5, validate=validate.Range(min=0, max=50))


class BoardRowSchema(Strict):
    rank = fields.Integer(required=True)
    reader = fields.String(required=True, allow_none=True)
    display_name = fields.String(required=True)
    faculty = fields.String(required=True, allow_none=True)
    total = fields.Integer(required=True)


class BoardSchema(Strict):
    period = fields.String(required=True)
    faculty = fields.String(required=True, allow_none=True)
    rows = fields.List(fields.Nested(BoardRowSchema), required=True)


class FacultySchema(Strict):
    code = fields.String(required=True)
    name_en = fields.String(required=True)
    name_zh = fields.String(required=True)
    active = fields.Boolean(required=True)


class FacultyListSchema(Strict):
    items = fields.List(fields.Nested(FacultySchema), required=True)


class ActivitySchema(Strict):
    plugin = fields.String(required=True)
    key = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)


class ActivityListSchema(Strict):
    items = fields.List(fields.Nested(ActivitySchema), required=True)
