"""The managed list of faculties: resolving what campus systems say, the administration page,
the registration and profile selects, and boards that name faculties in the page's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.identity.faculties import Faculty, adopt_cohorts, resolve_faculty, save_faculty
from core.models import AuditEntry, Role, User


@pytest.fixture
def faculties(app, db):
    with app.test_request_context(), db.write_session() as session:
        save_faculty(session, code="CS", name_en="Computer Science", name_zh="计算机学院", order=1)
        save_faculty(session, code="LAW", name_en="Law", name_zh="法学院", order=2)
        save_faculty(session, code="OLD", name_en="Closed School", name_zh="旧学院", active=False, order=3)


@pytest.fixture
def admin(client, auth, make_user):
    user = make_user(Role.admin)
    auth.login(user.email)
    return user


@pytest.mark.parametrize("value, code", [
    ("CS", "CS"), (" cs ", "CS"), ("computer   SCIENCE", "CS"), ("计算机学院", "CS"), ("ＣＳ", "CS"),
    ("Closed School", "OLD"), ("Physics", None), ("", None), (None, None),
])
def test_resolve_faculty_matches_a_code_or_either_name(app, db, faculties, value, code):
    with app.test_request_context(), db.session() as session:
        found = resolve_faculty(session, value)
        assert (found.code if found else None) == code
        assert resolve_faculty(session, "Closed School", active_only=True) is None


def test_an_ambiguous_name_is_refused(app, db, faculties):
    from core.identity.faculties import FacultyError

    with app.test_request_context(), db.write_session() as session, pytest.raises(FacultyError) as refused:
        save_faculty(session, code="LAW2", name_en="law", name_zh="法律")
    assert refused.value.field == "name_en"


def test_administrators_add_change_and_delete_faculties(client, app, db, admin):
    response = client.post("/admin/faculties", data={"code": "MED", "name_en": "Medicine", "name_zh": "医学院",
                                                     "order": "4", "active": "y"})
    assert response.status_code == 302
    with app.app_context(), db.session() as session:
        med = session.execute(select(Faculty).where(Faculty.code == "MED")).scalar_one()
    response = client.post(f"/admin/faculties?faculty={med.id}", data={"code": "HACKED", "name_en": "Medicine",
                                                                       "name_zh": "医学部", "order": "4"})
    assert response.status_code == 302
    with app.app_context(), db.session() as session:
        med = session.get(Faculty, med.id)
        assert (med.code, med.name_zh, med.active) == ("MED", "医学部", False)  # the code stays
    page = client.get("/admin/faculties").get_data(as_text=True)
    assert "Medicine" in page and "(off)" in page
    assert client.post(f"/admin/faculties/{med.id}/delete").status_code == 302
    with app.app_context(), db.session() as session:
        assert session.get(Faculty, med.id) is None
        actions = session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert actions == ["faculty.save", "faculty.save", "faculty.delete"]


def test_a_clash_is_told_in_the_readers_language_and_saves_nothing(client, app, db, admin, faculties):
    response = client.post("/admin/faculties", data={"code": "NEW", "name_en": "New", "name_zh": "法学院"},
                           headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 400
    assert "“法学院”已经是法学院的代码或名称。" in response.get_data(as_text=True)
    with app.app_context(), db.session() as session:
        assert session.execute(select(Faculty).where(Faculty.code == "NEW")).first() is None


def test_a_faculty_with_members_is_switched_off_not_deleted(client, app, db, admin, faculties, make_user):
    make_user(cohort="LAW")
    with app.app_context(), db.session() as session:
        law = session.execute(select(Faculty).where(Faculty.code == "LAW")).scalar_one()
    response = client.post(f"/admin/faculties/{law.id}/delete", follow_redirects=True)
    assert "switch it off instead" in response.get_data(as_text=True)
    with app.app_context(), db.session() as session:
        assert session.get(Faculty, law.id) is not None


def test_registration_offers_the_active_faculties_only(client, app, db, faculties):
    page = client.get("/auth/register").get_data(as_text=True)
    assert '<option value="CS">Computer Science</option>' in page and "Closed School" not in page
    page = client.get("/auth/register", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<option value="CS">计算机学院</option>' in page
    form = {"email": "new@uni.edu", "display_name": "New Reader", "locale": "en", "password": "a long password",
            "confirm": "a long password"}
    assert client.post("/auth/register", data=form | {"cohort": "OLD"}).status_code == 400
    assert client.post("/auth/register", data=form | {"cohort": "Free text"}).status_code == 400
    with app.app_context(), db.session() as session:
        assert session.execute(select(User)).first() is None
    assert client.post("/auth/register", data=form | {"cohort": "CS"}).status_code == 302
    with app.app_context(), db.session() as session:
        assert session.execute(select(User.cohort)).scalar_one() == "CS"


def test_a_reader_keeps_a_faculty_that_was_switched_off(client, auth, app, db, faculties, make_user):
    reader = make_user(cohort="OLD")
    auth.login(reader.email)
    page = client.get("/me").get_data(as_text=True)
    assert '<option selected value="OLD">Closed School</option>' in page
    assert client.post("/me", data={"display_name": "Still Here", "cohort": "OLD", "locale": "en"}).status_code == 302
    assert client.post("/me", data={"display_name": "Still Here", "cohort": "NOPE", "locale": "en"}).status_code == 400


def test_boards_name_the_faculty_in_the_pages_language(client, app, db, faculties, make_user):
    from core.points import award

    reader = make_user(cohort="CS", display_name="Ada")
    with app.test_request_context(), db.write_session() as session:
        award(session, user_id=reader.id, amount=10, rule="test", plugin="core", source_ref="r1",
              idempotency_key="faculty-board-1")
    english = client.get("/boards/all/cohort/CS").get_data(as_text=True)
    chinese = client.get("/boards/all/cohort/CS", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Computer Science" in english and "计算机学院" in chinese
    assert '<option value="CS" selected>Computer Science</option>' in english


def test_free_text_faculties_are_adopted_so_nothing_is_lost(app, db, make_user, faculties):
    make_user(cohort="History 历史")
    make_user(cohort="CS")
    with app.test_request_context(), db.write_session() as session:
        assert adopt_cohorts(session) == 1
        assert adopt_cohorts(session) == 0
        history = resolve_faculty(session, "history 历史")
    assert (history.code, history.name_en, history.name_zh) == ("History 历史",) * 3


def test_an_adopted_faculty_with_any_characters_can_be_renamed(app, db, make_user):
    make_user(cohort="Arts/Humanities 文科")
    with app.test_request_context(), db.write_session() as session:
        adopt_cohorts(session)
        adopted = resolve_faculty(session, "Arts/Humanities 文科")
        save_faculty(session, code="ignored", name_en="Arts and Humanities", name_zh="人文学院", faculty_id=adopted.id)
        assert resolve_faculty(session, "人文学院").code == "Arts/Humanities 文科"


def test_the_audit_trail_names_faculty_changes(client, app, db, admin, faculties):
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Faculty saved" in page and "Computer Science" in page
    chinese = client.get("/admin/audit", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "学院已保存" in chinese and "计算机学院" in chinese


def test_the_board_offers_faculties_in_the_lists_order(client, app, db, faculties, make_user):
    for cohort in ("LAW", "Zoology (free text)", "CS"):
        make_user(cohort=cohort)
    page = client.get("/boards/").get_data(as_text=True)
    page = page[page.index('id="board-cohort"'):]
    assert page.index(">Computer Science<") < page.index(">Law<") < page.index(">Zoology (free text)<")
