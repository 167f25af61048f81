"""``POST /api/v1/inbound/events``: a batch of up to 1,000 events from one of the library's systems.

The body is checked as a whole first (JSON, an ``events`` list, at most 1,000: otherwise a problem
and nothing written); then each event on its own: a bad one is answered ``rejected`` with the
reason while the others are stored. One transaction per batch.
"""

from __future__ import annotations

from flask import jsonify
from marshmallow import fields, validate

from core.api.auth import audit, current_key, needs
from core.api.blueprint import documented
from core.api.problems import Problem
from core.api.schemas import Strict
from core.db import get_session

from .blueprint import api
from .events import BATCH_MAX, ingest
from .i18n import _, ngettext

SCOPE = "inbound:write"


class EventBatchSchema(Strict):
    events = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1), metadata={
        "description": "At most 1,000 events, each {source_id, type, reader, occurred_at (ISO 8601; "
                       "library time without an offset)}"})


class EventResultSchema(Strict):
    source_id = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, validate=validate.OneOf(["stored", "duplicate", "unmatched", "rejected"]))
    reason = fields.String(metadata={"description": "Why the event was rejected, in the caller's language"})
    event_id = fields.Integer()
    points = fields.Integer(required=True, metadata={"description": "Points this event paid now"})
    total = fields.Integer(metadata={"description": "The reader's all-time total after this batch"})


class EventBatchResultSchema(Strict):
    results = fields.List(fields.Nested(EventResultSchema), required=True)
    stored = fields.Integer(required=True)
    duplicate = fields.Integer(required=True)
    unmatched = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    points = fields.Integer(required=True, metadata={"description": "Points paid by this call"})


@api.route("/events", methods=["POST"])
@needs(SCOPE)
@api.arguments(EventBatchSchema)
@api.response(200, EventBatchResultSchema)
@documented
def post_events(batch):
    """Send events (loans, gate entries, e-resource sessions… or any type the library names). Each is
    stored once per source_id; a reader's number no reader has is kept for a librarian to match."""
    events = batch["events"]
    if len(events) > BATCH_MAX:
        raise Problem(413, _("The batch is too large"),
                      _("A batch holds at most %(max)d events; this one has %(count)d. Nothing was changed.",
                        max=BATCH_MAX, count=len(events)))
    session = get_session()
    key = current_key()
    answer = ingest(session, events, origin=f"apikey:{key.id}")
    if answer["stored"] or answer["unmatched"]:
        audit("inbound.events", f"apikey:{key.id}",
              ngettext("%(num)d event stored, %(points)d points", "%(num)d events stored, %(points)d points",
                       answer["stored"] + answer["unmatched"], points=answer["points"]))
    session.commit()
    # The answer is built in the schema's shape already; sent as it is, since marshmallow would
    # take about 6 ms of the worker's time to copy a batch's 500 results field by field.
    return jsonify(answer)
