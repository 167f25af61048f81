"""Nobody pays themselves, and large adjustments need four eyes: a librarian's own points and
badges are refused; above ADJUSTMENT_APPROVAL_ABOVE an adjustment waits for a second librarian
(neither the one who asked nor the one who would receive it), is paid once on approval under its
own idempotency key, and both steps are in the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import badges
from core.approvals import ApprovalError, approve, reject, request_adjustment
from core.models import AdjustmentRequest, AuditEntry, BadgeAward, Notification, PointEntry, Role
from core.points import PointsError, adjust, award
from test_i18n import EN, ZH, zh


@pytest.fixture
def staff(app, make_user):
    """A reader, three librarians (Ann asks, Bo approves, Cy is also a recipient) and their clients."""
    people = {"reader": make_user(display_name="Reader"), "ann": make_user(Role.librarian, display_name="Ann"),
              "bo": make_user(Role.librarian, display_name="Bo"), "cy": make_user(Role.librarian, display_name="Cy")}
    return people


def client_of(app, user):
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": "correct horse battery"})
    return client


def count(db, model, *where):
    with db.session() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def points(db, user):
    with db.session() as session:
        return session.execute(select(func.coalesce(func.sum(PointEntry.amount), 0))
                               .where(PointEntry.user_id == user.id)).scalar_one()


def test_nobody_adjusts_their_own_points(app, db, staff):
    with app.test_request_context(), db.write_session() as session:
        with pytest.raises(PointsError, match="your own points"):
            adjust(session, user_id=staff["ann"].id, amount=10_000, actor_id=staff["ann"].id, reason="Bonus",
                   idempotency_key="self")
        with pytest.raises(PointsError, match="themselves"):
            award(session, user_id=staff["ann"].id, amount=5, rule="x", plugin="core", idempotency_key="self2",
                  actor_id=staff["ann"].id)
    ann = client_of(app, staff["ann"])
    page = ann.get(f"/admin/users/{staff['ann'].id}", headers=EN).get_data(as_text=True)
    assert "Nobody adjusts their own points." in page and 'name="amount"' not in page
    response = ann.post(f"/admin/users/{staff['ann'].id}/adjust",
                        data={"amount": "10000", "reason": "Bonus", "nonce": "n1"}, headers=EN)
    assert response.status_code == 400 and "your own points" in response.get_data(as_text=True)
    assert points(db, staff["ann"]) == 0 and count(db, AdjustmentRequest) == 0


def test_nobody_awards_themselves_a_badge(app, db, staff):
    with app.test_request_context(), db.write_session() as session:
        with pytest.raises(badges.BadgeError, match="yourself"):
            badges.award_manually(session, user_id=staff["ann"].id, key="core:champion", actor_id=staff["ann"].id,
                                  reason="I am great")
    ann = client_of(app, staff["ann"])
    response = ann.post("/badges/core:champion/award", data={"who": staff["ann"].email, "reason": "I am great"},
                        headers=EN)
    assert response.status_code == 400 and "yourself" in response.get_data(as_text=True)
    assert count(db, BadgeAward) == 0
    assert ann.post("/badges/core:champion/award", data={"who": staff["reader"].email, "reason": "Helped a lot"}
                    ).status_code == 302


def test_small_adjustments_are_paid_at_once(app, db, staff):
    ann = client_of(app, staff["ann"])
    response = ann.post(f"/admin/users/{staff['reader'].id}/adjust",
                        data={"amount": "500", "reason": "Book fair", "nonce": "small"})
    assert response.status_code == 302 and points(db, staff["reader"]) == 500
    assert count(db, AdjustmentRequest) == 0


def test_a_large_adjustment_waits_for_a_second_librarian(app, db, staff):
    ann, bo = client_of(app, staff["ann"]), client_of(app, staff["bo"])
    for _ in range(2):  # the same form sent twice asks once
        response = ann.post(f"/admin/users/{staff['reader'].id}/adjust",
                            data={"amount": "5000", "reason": "Ran the reading marathon", "nonce": "big"})
        assert response.status_code == 302
    assert points(db, staff["reader"]) == 0 and count(db, AdjustmentRequest) == 1
    with db.session() as session:
        request = session.execute(select(AdjustmentRequest)).scalar_one()
        assert (request.status, request.amount, request.requested_by) == ("pending", 5000, staff["ann"].id)
    page = ann.get("/admin/approvals/", headers=EN).get_data(as_text=True)
    assert "Ran the reading marathon" in page and "another librarian must decide" in page
    assert f'action="/admin/approvals/{request.id}/approve"' not in page
    refused = ann.post(f"/admin/approvals/{request.id}/approve", data={})
    assert refused.status_code == 403 and points(db, staff["reader"]) == 0

    page = bo.get("/admin/approvals/", headers=EN).get_data(as_text=True)
    assert f'action="/admin/approvals/{request.id}/approve"' in page
    assert bo.post(f"/admin/approvals/{request.id}/approve", data={"note": "Checked the list"}).status_code == 302
    assert points(db, staff["reader"]) == 5000
    with db.session() as session:
        entry = session.execute(select(PointEntry).where(PointEntry.user_id == staff["reader"].id)).scalar_one()
        assert entry.idempotency_key == f"adjust-approved:{request.id}" and entry.actor_id == staff["ann"].id
        decided = session.get(AdjustmentRequest, request.id)
        assert (decided.status, decided.decided_by, decided.entry_id) == ("approved", staff["bo"].id, entry.id)
        actions = session.execute(select(AuditEntry.action, AuditEntry.actor_id).order_by(AuditEntry.id)).all()
        assert actions == [("points.adjust.request", staff["ann"].id), ("points.adjust", staff["ann"].id),
                           ("points.adjust.approve", staff["bo"].id)]
        told = session.execute(select(Notification.text_en).where(Notification.user_id == staff["ann"].id)).scalar_one()
        assert "+5000" in told and "approved" in told
    again = bo.post(f"/admin/approvals/{request.id}/approve", data={})
    assert again.status_code == 409 and points(db, staff["reader"]) == 5000
    audit = bo.get("/admin/audit", headers=EN).get_data(as_text=True)
    assert "Adjustment asked for" in audit and "Adjustment approved" in audit


def test_the_recipient_cannot_approve_their_own_adjustment(app, db, staff):
    with app.test_request_context(), db.write_session() as session:
        outcome = request_adjustment(session, user_id=staff["cy"].id, amount=2000, actor_id=staff["ann"].id,
                                     reason="Covered the night desk", nonce="cy", max_amount=10_000)
        request_id = outcome.request.id
    with app.test_request_context(), db.write_session() as session:
        with pytest.raises(ApprovalError, match="for you"):
            approve(session, request_id=request_id, actor_id=staff["cy"].id, max_amount=10_000)
        with pytest.raises(ApprovalError, match="only a librarian|Only a librarian"):
            approve(session, request_id=request_id, actor_id=staff["reader"].id, max_amount=10_000)
    assert points(db, staff["cy"]) == 0
    with app.test_request_context(), db.write_session() as session:
        approve(session, request_id=request_id, actor_id=staff["bo"].id, max_amount=10_000)
    assert points(db, staff["cy"]) == 2000


def test_a_turned_down_adjustment_pays_nothing(app, db, staff):
    ann, bo = client_of(app, staff["ann"]), client_of(app, staff["bo"])
    ann.post(f"/admin/users/{staff['reader'].id}/adjust", data={"amount": "-3000", "reason": "Lost books",
                                                                "nonce": "neg"})
    with db.session() as session:
        request_id = session.execute(select(AdjustmentRequest.id)).scalar_one()
    nameless = bo.post(f"/admin/approvals/{request_id}/reject", data={"note": ""}, headers=EN)
    assert nameless.status_code == 400 and "Give a reason" in nameless.get_data(as_text=True)
    assert bo.post(f"/admin/approvals/{request_id}/reject", data={"note": "Books were found"}).status_code == 302
    assert points(db, staff["reader"]) == 0
    with db.session() as session:
        assert session.get(AdjustmentRequest, request_id).status == "rejected"
        assert session.execute(select(AuditEntry.action).order_by(AuditEntry.id.desc())).scalars().first() == \
            "points.adjust.reject"
    assert bo.post(f"/admin/approvals/{request_id}/approve", data={}).status_code == 409
    assert points(db, staff["reader"]) == 0
    with app.test_request_context(), db.write_session() as session:
        with pytest.raises(ApprovalError, match="already been decided"):
            reject(session, request_id=request_id, actor_id=staff["cy"].id, note="Again")


def test_bad_input_is_refused(app, db, staff):
    ann, bo = client_of(app, staff["ann"]), client_of(app, staff["bo"])
    for data in ({"amount": "99999", "reason": "Too much", "nonce": "x1"}, {"amount": "0", "reason": "Zero",
                                                                            "nonce": "x2"},
                 {"amount": "600", "reason": "", "nonce": "x3"}, {"amount": "lots", "reason": "r", "nonce": "x4"}):
        assert ann.post(f"/admin/users/{staff['reader'].id}/adjust", data=data).status_code == 400, data
    assert count(db, AdjustmentRequest) == 0 and points(db, staff["reader"]) == 0
    assert bo.post("/admin/approvals/424242/approve", data={}).status_code == 404
    assert bo.post("/admin/approvals/424242/reject", data={"note": "No such"}).status_code == 404
    reader = client_of(app, staff["reader"])
    assert reader.get("/admin/approvals/").status_code == 403
    assert reader.post("/admin/approvals/1/approve", data={}).status_code == 403
    with app.test_request_context(), db.write_session() as session:  # the service refuses it too
        with pytest.raises(PointsError, match="second librarian"):
            adjust(session, user_id=staff["reader"].id, amount=501, actor_id=staff["ann"].id, reason="Direct",
                   idempotency_key="direct")


def test_the_limit_is_a_setting(app_factory):
    from core.testing import create_test_user

    app = app_factory(ADJUSTMENT_APPROVAL_ABOVE=50)
    reader, ann = create_test_user(app), create_test_user(app, Role.librarian)
    client = client_of(app, ann)
    client.post(f"/admin/users/{reader.id}/adjust", data={"amount": "60", "reason": "Helped", "nonce": "lim"})
    db = app.extensions["engage.db"]
    assert count(db, AdjustmentRequest) == 1 and points(db, reader) == 0
    page = client.get(f"/admin/users/{reader.id}", headers=EN).get_data(as_text=True)
    assert "above 50 points" in page and "Waiting for approval" in page


def test_the_approvals_page_in_both_languages(app, staff):
    bo = client_of(app, staff["bo"])
    page = bo.get("/admin/approvals/", headers=ZH).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and zh("Approvals") in page and zh("No adjustments are waiting.") in page
    assert "Approvals" in bo.get("/admin/", headers=EN).get_data(as_text=True)
