"""The OpenAPI document is valid OpenAPI 3.1, and Schemathesis finds the API keeps to it: every
operation, with generated (and malformed) input, answers without a 5xx and with the documented shape.

One app and one key for the module (Hypothesis runs each operation many times); a handful of
readers, points and a manual badge so that the generated calls meet real data now and then.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error, response_schema_conformance
from sqlmodel import SQLModel

from core.api.keys import create_key
from core.models import Role
from core.points import award
from core.testing import create_test_user, make_app

SCOPES = ["readers:read", "readers:write", "points:award", "badges:award", "boards:read"]
SCOPES += ["inbound:write"]  # the inbound plugin's events


@pytest.fixture(scope="module")
def api_app(tmp_path_factory, pg_schema_url):
    tmp_path = tmp_path_factory.mktemp("api_schema")
    app = make_app(pg_schema_url or f"sqlite:///{tmp_path / 'engage.sqlite'}", tmp_path)
    engine = app.extensions["engage.db"].engine
    if pg_schema_url:  # start from empty tables, as the per-test database fixture does
        SQLModel.metadata.drop_all(engine)
        SQLModel.metadata.create_all(engine)
    admin = create_test_user(app, Role.admin)
    readers = [create_test_user(app, member_number=f"S{n}", cohort="History") for n in range(3)]
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        for n, reader in enumerate(readers):
            award(session, user_id=reader.id, amount=10 * (n + 1), rule="seed", plugin="core", idempotency_key=f"seed{n}")
        app.api_token = create_key(session, name="Schemathesis", scopes=SCOPES, actor_id=admin.id).token
    yield app
    if pg_schema_url:
        SQLModel.metadata.drop_all(engine)
    app.extensions["engage.db"].dispose()


@pytest.fixture(scope="module")
def api_schema(api_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)


def test_the_document_is_valid_openapi_3_1(api_app):
    document = api_app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_the_api_keeps_to_its_document(api_app, api_schema):
    """Each operation in turn, with Hypothesis' examples (positive and negative): no 5xx, and every
    answer as documented. (Run in one test: schemathesis' pytest fixture loader needs a newer pytest.)"""
    headers = {"Authorization": f"Bearer {api_app.api_token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def conforms(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        conforms()


REAL_CALLS = [  # (method, path, path parameters, query, body): calls that meet real data
    ("GET", "/api/v1/readers", {}, {"limit": 2}, None),
    ("GET", "/api/v1/readers/{number}", {"number": "S1"}, {}, None),
    ("GET", "/api/v1/readers/{number}/points", {"number": "S1"}, {}, None),
    ("GET", "/api/v1/readers/{number}/points/history", {"number": "S2"}, {"limit": 1}, None),
    ("GET", "/api/v1/readers/{number}/badges", {"number": "S1"}, {}, None),
    ("PUT", "/api/v1/readers/{number}", {"number": "S9"}, {}, {"email": "s9@uni.example", "display_name": "Nine"}),
    ("POST", "/api/v1/awards", {}, {}, {"reader": "S0", "amount": 3, "idempotency_key": "real-1"}),
    ("POST", "/api/v1/awards", {}, {}, {"reader": "S0", "amount": 3, "idempotency_key": "real-1"}),
    ("POST", "/api/v1/awards/batch", {}, {}, {"awards": [{"reader": "S1", "amount": 1, "idempotency_key": "real-2"}]}),
    ("GET", "/api/v1/badges", {}, {}, None),
    ("GET", "/api/v1/boards/{period}", {"period": "all"}, {"faculty": "History"}, None),
    ("GET", "/api/v1/boards/{period}/around/{number}", {"period": "week"}, {}, None),
    ("GET", "/api/v1/faculties", {}, {}, None),
    ("GET", "/api/v1/activities", {}, {}, None),
]
_NOW = "2026-01-01T00:00:00+00:00"  # replaced per call: events must be recent
REAL_CALLS += [  # the inbound plugin: stored, then a duplicate, an unmatched and a rejected one
    ("POST", "/api/v1/inbound/events", {}, {}, {"events": [
        {"source_id": "real-e1", "type": "loan", "reader": "S1", "occurred_at": _NOW},
        {"source_id": "real-e1", "type": "loan", "reader": "S1", "occurred_at": _NOW},
        {"source_id": "real-e2", "type": "loan", "reader": "NOBODY", "occurred_at": _NOW},
        {"source_id": "real-e3", "type": "Not a type", "reader": "S1", "occurred_at": _NOW}]}),
]


@pytest.mark.parametrize("method, path, path_parameters, query, body", REAL_CALLS,
                         ids=[f"{c[0]} {c[1]}" for c in REAL_CALLS])
def test_real_answers_match_the_document(api_app, api_schema, method, path, path_parameters, query, body):
    path_parameters = {"number": "S2", **path_parameters} if "{number}" in path else path_parameters
    operation = api_schema[path][method]
    kwargs = {"path_parameters": path_parameters, "query": query}
    if body is not None:
        if "events" in body:
            from datetime import datetime, timedelta, timezone

            recent = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
            body = {"events": [{**e, "occurred_at": recent} for e in body["events"]]}
        kwargs |= {"body": body, "media_type": "application/json"}
    response = operation.Case(**kwargs).call_and_validate(
        headers={"Authorization": f"Bearer {api_app.api_token}"}, checks=[not_a_server_error, response_schema_conformance])
    assert response.status_code in (200, 201), response.text
