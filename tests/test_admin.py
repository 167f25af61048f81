"""Administration pages: manual points, roles, terms and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.testing import PASSWORD
from core.models import AuditEntry, PointEntry, Role, Term, User


@pytest.fixture
def librarian_client(client, make_user):
    librarian = make_user(Role.librarian)
    client.post("/auth/login", data={"email": librarian.email, "password": PASSWORD})
    client.user = librarian
    return client


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user(Role.admin)
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD})
    client.user = admin
    return client


def ledger(app):
    with app.extensions["engage.db"].session() as session:
        return [(e.amount, e.reason, e.actor_id) for e in session.execute(select(PointEntry)).scalars()]


def test_librarian_adjusts_points_with_a_reason_once_per_form(librarian_client, make_user, app):
    student = make_user()
    form = {"amount": "30", "reason": "Volunteered at the book fair", "nonce": "n-1"}
    response = librarian_client.post(f"/admin/users/{student.id}/adjust", data=form)
    assert response.status_code == 302
    librarian_client.post(f"/admin/users/{student.id}/adjust", data=form)  # double submit
    assert ledger(app) == [(30, "Volunteered at the book fair", librarian_client.user.id)]
    page = librarian_client.get(f"/admin/users/{student.id}").data
    assert b"Volunteered at the book fair" in page
    audit = librarian_client.get("/admin/audit").data
    assert b"Points adjusted" in audit and b"+30" in audit


@pytest.mark.parametrize("amount, reason, message", [
    ("", "why", b"This field is required"),
    ("abc", "why", b"Not a valid integer value"),
    ("0", "a reason", b"between -10000 and 10000"),
    ("99999999", "a reason", b"between -10000 and 10000"),
    ("5", "", b"A reason is required"),
])
def test_bad_adjustments_are_refused_with_a_message(librarian_client, make_user, app, amount, reason, message):
    student = make_user()
    response = librarian_client.post(f"/admin/users/{student.id}/adjust", data={"amount": amount, "reason": reason, "nonce": "n"})
    assert response.status_code == 400 and message in response.data
    assert ledger(app) == []


def test_adjusting_an_unknown_user_is_404(librarian_client):
    assert librarian_client.post("/admin/users/999/adjust", data={"amount": "5", "reason": "why", "nonce": "n"}).status_code == 404


def test_students_cannot_adjust_points(client, make_user, app):
    student = make_user()
    client.post("/auth/login", data={"email": student.email, "password": PASSWORD})
    assert client.post(f"/admin/users/{student.id}/adjust", data={"amount": "500", "reason": "me", "nonce": "n"}).status_code == 403
    assert ledger(app) == []


def test_admin_changes_a_role_with_reason_and_audit(admin_client, make_user, app):
    student = make_user()
    assert admin_client.post(f"/admin/users/{student.id}/role", data={"role": "librarian", "reason": ""}).status_code == 400
    assert admin_client.post(f"/admin/users/{student.id}/role", data={"role": "librarian", "reason": "new hire"}).status_code == 302
    with app.extensions["engage.db"].session() as session:
        assert session.get(User, student.id).role == "librarian"
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "role.change")).scalar_one()
    assert (audit.detail, audit.reason, audit.actor_id) == ("student → librarian", "new hire", admin_client.user.id)
    # The trail names the account and links to it, and says the roles' names, not their keys.
    page = admin_client.get("/admin/audit", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert f'<a href="/admin/users/{student.id}">{student.display_name}</a>' in page
    assert f"user:{student.id}" not in page and "学生 → 馆员" in page and "student → librarian" not in page


def test_admin_cannot_demote_themselves(admin_client, app):
    response = admin_client.post(f"/admin/users/{admin_client.user.id}/role", data={"role": "student", "reason": "oops"})
    assert response.status_code == 400 and b"your own administrator role" in response.data


def test_librarians_cannot_change_roles(librarian_client, make_user):
    student = make_user()
    assert librarian_client.post(f"/admin/users/{student.id}/role", data={"role": "admin", "reason": "x"}).status_code == 403


def test_user_search(librarian_client, make_user):
    make_user(display_name="Zhang Wei", member_number="S-777")
    make_user(display_name="Someone Else")
    page = librarian_client.get("/admin/users?q=s-777").data
    assert b"Zhang Wei" in page and b"Someone Else" not in page
    fragment = librarian_client.get("/admin/users?q=zhang", headers={"HX-Request": "true"})
    assert b'id="results"' in fragment.data and b"<html" not in fragment.data


TERM = {"key": "2026-autumn", "name_en": "Autumn 2026", "name_zh": "2026年秋季学期",
        "starts_on": "2026-09-07", "ends_on": "2027-01-17"}


def test_admin_saves_terms_and_they_decide_this_term(admin_client, app):
    assert admin_client.post("/admin/terms", data=TERM).status_code == 302
    assert b"Autumn 2026" in admin_client.get("/admin/terms").data
    from datetime import datetime, timezone
    from core.points import current_calendar

    with app.app_context():
        assert current_calendar().keys(datetime(2026, 9, 1, tzinfo=timezone.utc)).get("term") is None


@pytest.mark.parametrize("change, message", [
    ({"starts_on": "2026-13-40"}, b"Enter a date as YYYY-MM-DD"),
    ({"ends_on": "2026-01-01"}, b"ends before it starts"),
    ({"name_en": ""}, b"This field is required"),
])
def test_bad_terms_are_refused(admin_client, app, change, message):
    response = admin_client.post("/admin/terms", data=TERM | change)
    assert response.status_code == 400 and message in response.data
    with app.extensions["engage.db"].session() as session:
        assert session.execute(select(func.count()).select_from(Term)).scalar_one() == 0


def test_overlapping_terms_are_refused(admin_client):
    admin_client.post("/admin/terms", data=TERM)
    response = admin_client.post("/admin/terms", data=TERM | {"key": "other", "starts_on": "2027-01-01", "ends_on": "2027-06-30"})
    assert response.status_code == 400 and b"overlap" in response.data


def test_term_delete(admin_client):
    admin_client.post("/admin/terms", data=TERM)
    assert admin_client.post("/admin/terms/2026-autumn/delete", data={"confirmed": "1"}).status_code == 302
    assert admin_client.post("/admin/terms/2026-autumn/delete", data={"confirmed": "1"}).status_code == 404
