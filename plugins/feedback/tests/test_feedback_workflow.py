"""The state machine and its consequences, through the service functions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.models import ActivityEntry, Notification, PointEntry, Role, User, utcnow
from plugins.feedback import service, workflow
from plugins.feedback.models import FeedbackEvent, FeedbackItem

from . import listener_plugin


@pytest.fixture
def people(person):
    return person(), person(Role.librarian), person()


def new_item(ctx, student, **fields):
    with ctx() as session:
        service.ensure_categories(session)
        category = service.categories(session)[0]
        item = service.submit(session, user=session.get(User, student.id), category_id=category.id,
                              text=fields.pop("text", "The 3rd floor is noisy"), location="3F",
                              show_name=fields.pop("show_name", False), allow_publish=True, **fields)
        return item.id


def step(ctx, item_id, actor, to_state, note="", public=True, **kw):
    with ctx() as session:
        item = session.get(FeedbackItem, item_id)
        actor = session.get(User, actor.id) if actor else None
        if "assignee" in kw:
            kw["assignee"] = session.get(User, kw["assignee"].id)
        workflow.transition(session, item, actor, to_state, note, public, **kw)


def load(fb_db, item_id):
    with fb_db.session() as session:
        return session.get(FeedbackItem, item_id)


def count(fb_db, model, *where):
    with fb_db.session() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def answered(ctx, student, librarian):
    item_id = new_item(ctx, student)
    step(ctx, item_id, librarian, "triaged", "Thanks")
    step(ctx, item_id, librarian, "assigned", assignee=librarian)
    step(ctx, item_id, librarian, "responded", "We added quiet signs")
    return item_id


def test_categories_are_seeded_once(ctx, fb_db):
    with ctx() as session:
        service.ensure_categories(session)
        service.ensure_categories(session)
    with fb_db.session() as session:
        keys = [c.key for c in service.categories(session)]
    assert keys == ["noise", "seats", "facilities", "service", "collection", "suggestion", "praise"]


def test_every_step_is_logged_with_actor_states_and_note(ctx, fb_db, people):
    student, librarian, _other = people
    item_id = answered(ctx, student, librarian)
    step(ctx, item_id, librarian, "closed", "internal: checked the signs", public=False)
    with fb_db.session() as session:
        events = session.execute(select(FeedbackEvent).where(FeedbackEvent.item_id == item_id)
                                 .order_by(FeedbackEvent.id)).scalars().all()
    assert [(e.from_state, e.to_state, e.actor_id) for e in events] == [
        ("", "submitted", student.id), ("submitted", "triaged", librarian.id), ("triaged", "assigned", librarian.id),
        ("assigned", "responded", librarian.id), ("responded", "closed", librarian.id)]
    assert events[3].note == "We added quiet signs" and events[3].public
    assert not events[4].public
    item = load(fb_db, item_id)
    assert item.first_response_at == events[1].created_at and item.responder_id == librarian.id


def test_submitter_is_notified_of_public_steps_only(ctx, fb_db, people):
    student, librarian, _other = people
    item_id = new_item(ctx, student)
    step(ctx, item_id, librarian, "triaged", "internal only", public=False)
    assert count(fb_db, Notification, Notification.user_id == student.id) == 0
    step(ctx, item_id, librarian, "assigned", assignee=librarian)
    step(ctx, item_id, librarian, "responded", "Done")
    assert count(fb_db, Notification, Notification.user_id == student.id, Notification.plugin == "feedback") == 2


@pytest.mark.parametrize("actor, to_state, message", [
    ("student", "assigned", "Only librarians"),
    ("student", "confirmed", "only after the library has answered"),
    ("other", "reopened", "another reader"),
    ("librarian", "confirmed", "cannot be moved"),
])
def test_illegal_steps_are_refused_and_change_nothing(ctx, fb_db, people, actor, to_state, message):
    student, librarian, other = people
    item_id = new_item(ctx, student)
    who = {"student": student, "librarian": librarian, "other": other}[actor]
    with pytest.raises(workflow.WorkflowError, match=message):
        step(ctx, item_id, who, to_state, "note", assignee=librarian, score=5)
    assert load(fb_db, item_id).state == "submitted"
    assert count(fb_db, FeedbackEvent, FeedbackEvent.item_id == item_id) == 1


def test_assigning_needs_one_librarian_or_department(ctx, fb_db, people):
    student, librarian, other = people
    item_id = new_item(ctx, student)
    with pytest.raises(workflow.WorkflowError, match="one librarian or to one department"):
        step(ctx, item_id, librarian, "assigned")
    with pytest.raises(workflow.WorkflowError, match="only be assigned to librarians"):
        step(ctx, item_id, librarian, "assigned", assignee=other)
    assert load(fb_db, item_id).state == "submitted"


def test_rating_pays_once_on_confirmation_and_is_offered_to_other_plugins(ctx, fb_db, people):
    student, librarian, _other = people
    item_id = answered(ctx, student, librarian)
    assert count(fb_db, PointEntry, PointEntry.user_id == student.id) == 0   # nothing for submitting
    with pytest.raises(workflow.WorkflowError, match="1 to 5"):
        step(ctx, item_id, student, "confirmed", score=9)
    step(ctx, item_id, student, "confirmed", score=4)
    step(ctx, item_id, student, "reopened", "Noisy again")
    step(ctx, item_id, librarian, "responded", "Patrol added")
    step(ctx, item_id, student, "confirmed", score=5)
    with fb_db.session() as session:
        keys = session.execute(select(PointEntry.idempotency_key)
                               .where(PointEntry.user_id == student.id)).scalars().all()
    assert keys == [f"feedback:confirmed:{item_id}"]
    assert count(fb_db, ActivityEntry, ActivityEntry.kind == "confirmed") == 1
    rated = [(r.staff_id, r.score, r.plugin, r.source_ref) for r in listener_plugin.ratings]
    assert rated == [(librarian.id, 4, "feedback", f"feedback:item:{item_id}"),
                     (librarian.id, 5, "feedback", f"feedback:item:{item_id}")]
    assert load(fb_db, item_id).reopen_count == 1


def test_a_librarian_cannot_rate_their_own_answer_to_their_own_feedback(ctx, fb_db, people, fb_app):
    """Confirming and rating one's own answer would be a self-rating in staff scores and would pay
    oneself: refused, nothing written, and the step is not offered; closing the item still works."""
    _student, librarian, _other = people
    item_id = answered(ctx, librarian, librarian)
    with fb_app.app_context():
        assert "confirmed" not in workflow.allowed_steps(load(fb_db, item_id), librarian)
    listener_plugin.ratings.clear()
    with pytest.raises(workflow.WorkflowError, match="answered this item yourself"):
        step(ctx, item_id, librarian, "confirmed", score=5)
    assert load(fb_db, item_id).state == "responded" and listener_plugin.ratings == []
    assert count(fb_db, PointEntry, PointEntry.user_id == librarian.id) == 0
    step(ctx, item_id, librarian, "closed", "Fixed it")
    assert load(fb_db, item_id).state == "closed"


def test_reopen_only_within_the_window(ctx, fb_db, people, fb_app):
    student, librarian, _other = people
    item_id = answered(ctx, student, librarian)
    step(ctx, item_id, student, "confirmed", score=2)
    with ctx() as session:
        item = session.get(FeedbackItem, item_id)
        item.closed_at = utcnow() - timedelta(days=15)
    with pytest.raises(workflow.WorkflowError, match="14-day window"):
        step(ctx, item_id, student, "reopened", "Still noisy")
    fb_app.config["FEEDBACK_REOPEN_DAYS"] = 30
    step(ctx, item_id, student, "reopened", "Still noisy")
    assert load(fb_db, item_id).state == "reopened"


def test_auto_close_after_the_quiet_period(ctx, fb_db, people, fb_app):
    student, librarian, _other = people
    quiet, recent = answered(ctx, student, librarian), answered(ctx, student, librarian)
    with ctx() as session:
        session.get(FeedbackItem, quiet).updated_at = utcnow() - timedelta(days=15)
        session.get(FeedbackItem, recent).updated_at = utcnow() - timedelta(days=5)
    with ctx() as session:
        assert service.auto_close(session) == 1
    assert load(fb_db, quiet).state == "closed" and load(fb_db, recent).state == "responded"
    fb_app.config["FEEDBACK_AUTO_CLOSE_DAYS"] = 3
    with ctx() as session:
        assert service.auto_close(session) == 1
    with fb_db.session() as session:
        event = session.execute(select(FeedbackEvent).where(FeedbackEvent.item_id == recent)
                                .order_by(FeedbackEvent.id.desc())).scalars().first()
    assert event.actor_id is None and event.to_state == "closed" and "3 days" in event.note


def test_auto_close_command(ctx, fb_db, people, fb_app):
    from plugins.feedback import plugin

    student, librarian, _other = people
    item_id = answered(ctx, student, librarian)
    with ctx() as session:
        session.get(FeedbackItem, item_id).updated_at = utcnow() - timedelta(days=20)
    plugin.engage_cli_commands(cli=fb_app.cli)
    result = fb_app.test_cli_runner().invoke(args=["feedback", "auto-close"])
    assert result.exit_code == 0 and "1 feedback item(s) closed" in result.output
    assert load(fb_db, item_id).state == "closed"


def test_staff_see_anonymous_unless_the_reader_allowed_the_name(ctx, fb_db, people, fb_app):
    student, librarian, _other = people
    hidden, shown = new_item(ctx, student), new_item(ctx, student, show_name=True)
    with fb_app.test_request_context(), fb_db.session() as session:
        from flask_login import login_user

        login_user(session.get(User, librarian.id))
        from flask_login import current_user
        name = session.get(User, student.id).display_name
        assert service.submitter_label(load(fb_db, hidden), session.get(User, student.id), current_user) == "anonymous"
        assert service.submitter_label(load(fb_db, shown), session.get(User, student.id), current_user) == name


def test_measures_median_p90_reopen_breaches_csat(ctx, fb_db, people):
    from plugins.feedback import measures

    assert measures.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert measures.median([4, 1, 3, 2]) == 2.5 and measures.median([]) is None
    student, librarian, _other = people
    ids = [answered(ctx, student, librarian) for _ in range(3)]
    base = utcnow() - timedelta(days=2)
    with ctx() as session:  # noise: first response within 4 h, resolution within 48 h
        for n, item_id in enumerate(ids):
            item = session.get(FeedbackItem, item_id)
            item.created_at = base
            item.first_response_at = base + timedelta(hours=[1, 2, 10][n])     # the third breaches 4 h
            item.responded_at = base + timedelta(hours=[5, 20, 60][n])         # the third breaches 48 h
    step(ctx, ids[0], student, "confirmed", score=5)
    step(ctx, ids[1], student, "confirmed", score=2)
    step(ctx, ids[2], student, "reopened", "no")
    with fb_app_session(fb_db) as session:
        report = measures.report(session, days=30)
    o = report.overall
    assert (o.items, o.first_median, o.first_p90) == (3, 2, 10)
    assert (o.resolution_median, o.resolution_p90) == (20, 60)
    assert o.reopen_rate == pytest.approx(1 / 3) and o.breaches == 2 and o.csat == 0.5
    assert [m.label for m in report.by_librarian] == [librarian.display_name]
    assert report.by_category[0].items == 3


def fb_app_session(fb_db):
    return fb_db.session()


def test_the_sla_job_warns_before_a_target_and_escalates_after_it_once_each(ctx, fb_db, people, fb_app, person):
    student, librarian, _other = people
    admin = person(Role.admin)
    item_id = new_item(ctx, student)
    with ctx() as session:
        category = service.categories(session)[0]
        hours = category.first_response_hours
        session.get(FeedbackItem, item_id).created_at = utcnow() - timedelta(hours=hours) + timedelta(hours=1)
    jobs = fb_app.extensions["engage.jobs"]
    jobs.run_periodic("feedback:sla-alerts")
    jobs.run_periodic("feedback:sla-alerts")  # a second run tells nobody again
    warned = Notification.kind == "sla-warning-first-response"
    assert count(fb_db, Notification, warned, Notification.user_id == librarian.id) == 1  # nobody assigned: every librarian
    assert count(fb_db, Notification, warned, Notification.user_id == student.id) == 0
    with ctx() as session:
        session.get(FeedbackItem, item_id).created_at = utcnow() - timedelta(hours=hours + 1)
    for _run in range(2):
        jobs.run_periodic("feedback:sla-alerts")
    missed = Notification.kind == "sla-missed-first-response"
    assert count(fb_db, Notification, missed, Notification.user_id == admin.id) == 1
    assert count(fb_db, Notification, missed, Notification.user_id == librarian.id) == 0  # unassigned: administrators
    with fb_db.session() as session:
        note = session.execute(select(Notification).where(missed)).scalars().one()
    assert note.text_en == f"Feedback #{item_id} missed its first-response target." and "反馈" in note.text_zh


def test_the_auto_close_job_closes_quiet_items(ctx, fb_db, people, fb_app):
    student, librarian, _other = people
    item_id = answered(ctx, student, librarian)
    with ctx() as session:
        session.get(FeedbackItem, item_id).updated_at = utcnow() - timedelta(days=20)
    fb_app.extensions["engage.jobs"].run_periodic("feedback:auto-close")
    assert load(fb_db, item_id).state == "closed"
