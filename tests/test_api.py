"""The JSON API: keys and scopes, readers, points, awards (idempotent, capped, batched), badges,
boards, faculties, activities, problem details in the caller's language, cursors, no cookies."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.api.keys import create_key, revoke_key
from core.api.models import ApiKey
from core.identity.faculties import Faculty
from core.models import AuditEntry, PointEntry, Role, User
from core.points import award

ALL_SCOPES = ["readers:read", "readers:write", "points:award", "badges:award", "boards:read"]


@pytest.fixture
def admin(make_user):
    return make_user(Role.admin)


@pytest.fixture
def key_for(app, db, admin):
    """Make a key with these scopes; returns its bearer headers."""
    def make(scopes=ALL_SCOPES, **kw):
        with app.test_request_context(), db.write_session() as session:
            token = create_key(session, name=kw.pop("name", "Library system"), scopes=scopes,
                               actor_id=admin.id, **kw).token
        return {"Authorization": f"Bearer {token}"}
    return make


@pytest.fixture
def headers(key_for):
    return key_for()


@pytest.fixture
def reader(make_user):
    return make_user(member_number="S1001", cohort="History", display_name="Ada")


def test_every_call_needs_a_key(client, reader):
    response = client.get("/api/v1/readers/S1001")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 401 and problem["instance"] == "/api/v1/readers/S1001"
    assert client.get("/api/v1/readers", headers={"Authorization": "Bearer le_nothere_xyz"}).status_code == 401


def test_problems_speak_the_callers_language(client):
    en = client.get("/api/v1/readers", headers={"Accept-Language": "en"}).get_json()
    zh = client.get("/api/v1/readers", headers={"Accept-Language": "zh-CN"}).get_json()
    assert en["title"] != zh["title"]


def test_a_revoked_key_is_refused(app, db, client, key_for, reader):
    headers = key_for()
    assert client.get("/api/v1/readers/S1001", headers=headers).status_code == 200
    with app.test_request_context(), db.write_session() as session:
        key = session.execute(select(ApiKey)).scalar()
        revoke_key(session, key_id=key.id, actor_id=None)
    response = client.get("/api/v1/readers/S1001", headers=headers)
    assert response.status_code == 401 and "revoked" in response.get_json()["title"]


def test_a_key_without_the_scope_gets_403(client, key_for, reader):
    headers = key_for(["boards:read"])
    response = client.get("/api/v1/readers/S1001", headers=headers)
    assert response.status_code == 403
    assert response.get_json()["scope"] == "readers:read"
    response = client.post("/api/v1/awards", headers=headers,
                           json={"reader": "S1001", "amount": 5, "idempotency_key": "a"})
    assert response.status_code == 403


def test_a_key_stores_only_its_hash_and_notes_its_last_use(app, db, client, headers, reader):
    token = headers["Authorization"].split()[1]
    with db.session() as session:
        key = session.execute(select(ApiKey)).scalar()
        assert token not in (key.token_hash, key.prefix) and key.last_used_at is None
    client.get("/api/v1/readers/S1001", headers=headers)
    with db.session() as session:
        assert session.execute(select(ApiKey)).scalar().last_used_at is not None


def test_read_a_reader_and_unknown_reader(client, headers, reader):
    body = client.get("/api/v1/readers/S1001", headers=headers).get_json()
    assert body["display_name"] == "Ada" and body["faculty"] == "History" and body["number"] == "S1001"
    response = client.get("/api/v1/readers/NOPE", headers=headers)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_readers_come_a_page_at_a_time_with_signed_cursors(client, headers, make_user):
    for n in range(5):
        make_user(member_number=f"P{n}")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/readers", headers=headers, query_string=query).get_json()
        seen += [r["number"] for r in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"P{n}" for n in range(5)]
    forged = client.get("/api/v1/readers", headers=headers, query_string={"cursor": "WzVd.forged"})
    assert forged.status_code == 400


def test_upsert_a_reader_by_number_for_roster_sync(app, db, client, headers):
    with db.write_session() as session:
        session.add_all([Faculty(code="MATH", name_en="Mathematics", name_zh="数学学院"),
                         Faculty(code="PHYS", name_en="Physics", name_zh="物理学院")])
    new = client.put("/api/v1/readers/S2002", headers=headers,
                     json={"email": "grace@uni.example", "display_name": "Grace", "faculty": "数学学院"})
    assert new.status_code == 201 and new.get_json()["faculty"] == "MATH"
    again = client.put("/api/v1/readers/S2002", headers=headers, json={"faculty": "physics", "active": False})
    assert again.status_code == 200
    assert again.get_json()["faculty"] == "PHYS" and again.get_json()["active"] is False
    unknown = client.put("/api/v1/readers/S2002", headers=headers, json={"faculty": "Magic"})
    assert unknown.status_code == 422 and "Magic" in unknown.get_json()["detail"]
    missing = client.put("/api/v1/readers/S3003", headers=headers, json={"faculty": "Maths"})
    assert missing.status_code == 422
    with db.session() as session:
        audits = session.execute(select(AuditEntry).where(AuditEntry.action.like("api.reader.%"))).scalars().all()
        assert len(audits) == 2 and all("Library system" in a.detail for a in audits)
        assert session.execute(select(func.count()).select_from(User).where(User.member_number == "S3003")).scalar() == 0


def test_upsert_refuses_an_email_of_another_account(client, headers, reader, make_user):
    other = make_user(email="taken@uni.example")
    response = client.put("/api/v1/readers/S1001", headers=headers, json={"email": other.email})
    assert response.status_code == 409


def test_award_once_per_idempotency_key(app, db, client, headers, reader):
    body = {"reader": "S1001", "amount": 7, "idempotency_key": "loan-1", "reason": "Borrowed a book"}
    first = client.post("/api/v1/awards", headers=headers, json=body)
    assert first.status_code == 200, first.get_json()
    answer = first.get_json()
    assert answer["status"] == "awarded" and answer["total"] == 7 and not answer["replayed"]
    repeat = client.post("/api/v1/awards", headers=headers, json=body).get_json()
    assert repeat["replayed"] and repeat["entry_id"] == answer["entry_id"] and repeat["amount"] == 7
    assert repeat["total"] == 7
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(PointEntry)).scalar() == 1
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "api.award")).scalars().all()
        assert len(audit) == 1 and "Library system" in audit[0].detail


def test_a_batch_pays_every_award_or_none(db, client, headers, reader, make_user):
    make_user(member_number="S1002")
    awards = [{"reader": "S1001" if n % 2 else "S1002", "amount": 1, "idempotency_key": f"gate-{n}"}
              for n in range(10)]
    answer = client.post("/api/v1/awards/batch", headers=headers, json={"awards": awards}).get_json()
    assert answer["points"] == 10 and len(answer["results"]) == 10
    bad = client.post("/api/v1/awards/batch", headers=headers,
                      json={"awards": [{"reader": "S1001", "amount": 1, "idempotency_key": "x1"},
                                       {"reader": "GHOST", "amount": 1, "idempotency_key": "x2"}]})
    assert bad.status_code == 404 and "GHOST" in bad.get_json()["detail"]
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(PointEntry)).scalar() == 10


def test_an_oversize_batch_is_refused(db, client, headers, reader):
    awards = [{"reader": "S1001", "amount": 1, "idempotency_key": f"k{n}"} for n in range(1001)]
    response = client.post("/api/v1/awards/batch", headers=headers, json={"awards": awards})
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(PointEntry)).scalar() == 0


def test_a_nul_byte_in_a_json_body_is_a_problem_and_changes_nothing(db, client, headers, reader):
    """PostgreSQL cannot store a NUL byte in text: refused before any query, on both databases."""
    for body in ({"awards": [{"reader": "S1001\x00", "amount": 1, "idempotency_key": "n1"}]},
                 {"awards": [{"reader": "S1001", "amount": 1, "idempotency_key": "n2", "x\x00": 1}]}):
        response = client.post("/api/v1/awards/batch", headers=headers, json=body)
        assert response.status_code == 400 and response.mimetype == "application/problem+json"
    # An escaped backslash before "u0000" is text, not a NUL byte.
    fine = client.post("/api/v1/awards/batch", headers=headers,
                       json={"awards": [{"reader": "S1001", "amount": 1, "idempotency_key": "a\\u0000"}]})
    assert fine.status_code == 200
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(PointEntry)).scalar() == 1


def test_malformed_json_and_invalid_fields_are_problems(client, headers, reader):
    broken = client.post("/api/v1/awards", headers={**headers, "Content-Type": "application/json"}, data="{nope")
    assert broken.status_code == 400 and broken.mimetype == "application/problem+json"
    invalid = client.post("/api/v1/awards", headers=headers, json={"reader": "S1001", "amount": -3})
    assert invalid.status_code == 422
    assert {"amount", "idempotency_key"} <= set(invalid.get_json()["errors"])
    assert invalid.get_json()["errors"]["idempotency_key"] == ["This field is required."]
    # Each field's message in the caller's language too, not only the title.
    zh = client.post("/api/v1/awards", headers={**headers, "Accept-Language": "zh-CN"},
                     json={"reader": "S1001", "amount": 5, "idempotency_key": ""}).get_json()
    assert zh["errors"]["idempotency_key"] == ["请输入 1 到 120 个字符（或项）。"]


def test_the_cap_per_day_refuses_what_goes_beyond_it(db, client, key_for, reader):
    headers = key_for(["points:award"], daily_points_cap=10)
    ok = client.post("/api/v1/awards", headers=headers, json={"reader": "S1001", "amount": 8, "idempotency_key": "c1"})
    assert ok.status_code == 200
    over = client.post("/api/v1/awards", headers=headers, json={"reader": "S1001", "amount": 3, "idempotency_key": "c2"})
    assert over.status_code == 429 and over.get_json()["cap"] == 10
    replay = client.post("/api/v1/awards", headers=headers, json={"reader": "S1001", "amount": 8, "idempotency_key": "c1"})
    assert replay.status_code == 200 and replay.get_json()["replayed"]  # a repeat costs nothing
    fits = client.post("/api/v1/awards", headers=headers, json={"reader": "S1001", "amount": 2, "idempotency_key": "c3"})
    assert fits.status_code == 200
    with db.session() as session:
        assert session.execute(select(func.sum(PointEntry.amount))).scalar() == 10


def test_points_and_history(app, db, client, headers, reader):
    with app.test_request_context(), db.write_session() as session:
        for n in range(3):
            award(session, user_id=reader.id, amount=n + 1, rule="test", plugin="core", idempotency_key=f"h{n}")
    points = client.get("/api/v1/readers/S1001/points", headers=headers).get_json()
    assert points["total"] == 6 and points["week"] == 6
    page = client.get("/api/v1/readers/S1001/points/history", headers=headers, query_string={"limit": 2}).get_json()
    assert [e["amount"] for e in page["items"]] == [3, 2] and page["next_cursor"]
    rest = client.get("/api/v1/readers/S1001/points/history", headers=headers,
                      query_string={"limit": 2, "cursor": page["next_cursor"]}).get_json()
    assert [e["amount"] for e in rest["items"]] == [1] and rest["next_cursor"] is None


def test_badges_catalogue_and_a_manual_award(app, db, client, headers, reader):
    catalogue = client.get("/api/v1/badges", headers=headers).get_json()["items"]
    manual = [b for b in catalogue if b["kind"] == "manual"]
    assert catalogue and manual
    key = manual[0]["key"]
    given = client.post("/api/v1/readers/S1001/badges", headers=headers, json={"badge": key, "reason": "Helped at the fair"})
    assert given.status_code == 201, given.get_json()
    assert client.post("/api/v1/readers/S1001/badges", headers=headers,
                       json={"badge": key, "reason": "Again"}).status_code == 409
    held = client.get("/api/v1/readers/S1001/badges", headers=headers).get_json()["items"]
    assert [b["key"] for b in held] == [key]
    with db.session() as session:
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "api.badge.award")).scalar()


def test_boards_around_a_reader_and_faculties(app, db, client, headers, reader, make_user):
    other = make_user(member_number="S1002", cohort="Law")
    with app.test_request_context(), db.write_session() as session:
        award(session, user_id=reader.id, amount=10, rule="t", plugin="core", idempotency_key="b1")
        award(session, user_id=other.id, amount=20, rule="t", plugin="core", idempotency_key="b2")
    top = client.get("/api/v1/boards/all", headers=headers).get_json()
    assert [(r["rank"], r["reader"]) for r in top["rows"]] == [(1, "S1002"), (2, "S1001")]
    history = client.get("/api/v1/boards/week", headers=headers, query_string={"faculty": "History"}).get_json()
    assert [r["reader"] for r in history["rows"]] == ["S1001"]
    around = client.get("/api/v1/boards/all/around/S1001", headers=headers).get_json()
    assert [r["rank"] for r in around["rows"]] == [1, 2]
    assert client.get("/api/v1/boards/decade", headers=headers).status_code == 404
    with db.write_session() as session:
        session.add(Faculty(code="LAW", name_en="Law School", name_zh="法学院"))
    faculties = client.get("/api/v1/faculties", headers=headers).get_json()["items"]
    assert faculties == [{"code": "LAW", "name_en": "Law School", "name_zh": "法学院", "active": True}]


def test_activities_come_from_the_plugins(client, headers):
    items = client.get("/api/v1/activities", headers=headers).get_json()["items"]
    assert isinstance(items, list)


def test_api_answers_set_no_cookies(client, headers, reader):
    response = client.get("/api/v1/readers/S1001", headers=headers)
    assert "Set-Cookie" not in response.headers
    response = client.post("/api/v1/awards", headers=headers, json={"reader": "S1001", "amount": 1, "idempotency_key": "n"})
    assert "Set-Cookie" not in response.headers


def test_unknown_api_path_and_method_are_problems(client, headers):
    assert client.get("/api/v1/nothing", headers=headers).mimetype == "application/problem+json"
    response = client.delete("/api/v1/awards", headers=headers)
    assert response.status_code == 405 and response.mimetype == "application/problem+json"


def test_the_reference_page_and_document(client):
    assert client.get("/developers/api").status_code == 200
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["paths"]["/api/v1/awards"]["post"]["x-scope"] == "points:award"


def test_the_reference_page_speaks_the_readers_language(client):
    """The document stays English; the page shows each part's title, description and operations,
    the scopes and the errors in the reader's language (docstrings are in the catalogue)."""
    document = client.get("/api/v1/openapi.json", headers={"Accept-Language": "zh-CN"}).get_json()
    assert document["paths"]["/api/v1/readers/{number}"]["get"]["summary"] == "One reader by student number."
    en = client.get("/developers/api", headers={"Accept-Language": "en"}).get_data(as_text=True)
    zh = client.get("/developers/api", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "One reader by student number." in en and "One reader by student number." not in zh
    for words in ("按学号查询一位读者。", '<h2>读者</h2>', "读取读者及其积分和徽章", "没有有效的 API 密钥",
                  "读者及其积分和徽章；按学号创建或更新，用于名册同步。"):
        assert words in zh
    # A docstring's code spans are code on the page, in either language.
    assert "<code>?faculty=&lt;code&gt;</code>" in en and "<code>?faculty=&lt;code&gt;</code>" in zh
    assert "``" not in en and "``" not in zh
    # Each error an operation lists links to its line in the table of errors.
    assert 'href="#error-429"' in en and 'id="error-429"' in en


def test_each_key_has_its_own_rate_limit(app_factory, make_user):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    admin = make_user(Role.admin)
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        slow = create_key(session, name="Slow", scopes=["boards:read"], actor_id=admin.id, rate_limit="2 per minute").token
        other = create_key(session, name="Other", scopes=["boards:read"], actor_id=admin.id).token
    client = app.test_client()
    codes = [client.get("/api/v1/faculties", headers={"Authorization": f"Bearer {slow}"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = client.get("/api/v1/faculties", headers={"Authorization": f"Bearer {slow}"})
    assert limited.mimetype == "application/problem+json"
    assert client.get("/api/v1/faculties", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(app, db, client, auth, admin):
    auth.login(admin.email)
    page = client.post("/admin/api-keys", data={"name": "Gate system", "scopes": ["points:award", "boards:read"],
                                                "daily_points_cap": "500", "rate_limit": "60 per minute"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    token = html.split('<code class="token">')[1].split("</code>")[0]
    assert token.startswith("le_")
    assert token not in client.get("/admin/api-keys").get_data(as_text=True)  # shown once
    assert client.get("/api/v1/faculties", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with db.session() as session:
        key = session.execute(select(ApiKey)).scalar()
        assert key.daily_points_cap == 500 and key.scope_set == {"points:award", "boards:read"}
    client.post(f"/admin/api-keys/{key.id}/revoke")
    assert client.get("/api/v1/faculties", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    refused = client.post("/admin/api-keys", data={"name": "", "scopes": ["nonsense"]})
    assert refused.status_code == 400


def test_the_key_pages_speak_chinese(client, auth, admin):
    auth.login(admin.email)
    client.post("/language", data={"locale": "zh_Hans"})
    assert "API 密钥" in client.get("/admin/api-keys").get_data(as_text=True)


def test_the_audit_trail_names_the_key(client, auth, headers, admin, reader):
    client.post("/api/v1/awards", headers=headers, json={"reader": "S1001", "amount": 3, "idempotency_key": "au"})
    auth.login(admin.email)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Points awarded through the API" in page and "API key Library system" in page


def test_a_key_refuses_a_senseless_rate_limit(app, db, admin):
    from core.api.keys import ApiKeyError

    with app.test_request_context(), db.write_session() as session:
        for limit in ("x", "0 per minute", "99999999999 per second"):
            with pytest.raises(ApiKeyError):
                create_key(session, name="Bad", scopes=["boards:read"], actor_id=admin.id, rate_limit=limit)


def test_deactivating_a_reader_through_the_api_is_audited(db, client, headers, reader):
    assert client.put("/api/v1/readers/S1001", headers=headers, json={"active": False}).get_json()["active"] is False
    with db.session() as session:
        row = session.execute(select(AuditEntry).where(AuditEntry.action == "user.deactivate")).scalar()
        assert row is not None and "Library system" in row.reason


def test_api_writes_need_no_csrf_token_but_the_key_pages_do(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    admin = make_user(Role.admin)
    make_user(member_number="S7")
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        token = create_key(session, name="Gate", scopes=["points:award"], actor_id=admin.id).token
    client = app.test_client()
    response = client.post("/api/v1/awards", headers={"Authorization": f"Bearer {token}"},
                           json={"reader": "S7", "amount": 2, "idempotency_key": "csrf"})
    assert response.status_code == 200
    client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery"})
    assert client.post("/admin/api-keys", data={"name": "No token", "scopes": ["boards:read"]}).status_code == 400
