"""Moderation: decisions pay once, are logged and told; filters, bulk actions, copies flagged, CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from core.localtime import to_local
from core.models import Notification, PointEntry
from core.testing import create_test_user
from plugins.contributions.models import Decision, Submission

from .conftest import make_challenge, picture, rows, send, submissions


def decide(client, ids, decision="approve", reason="", **filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return client.post("/contributions/moderation" + (f"?{query}" if query else ""),
                       data={"ids": [str(i) for i in ids], "decision": decision, "reason": reason})


def test_approval_pays_once_and_is_logged_and_told(app, people, challenge):
    ann, client = people["ann"]
    lib, librarian = people["lib"]
    send(client, challenge.id)
    (stored,) = submissions(app)
    assert decide(librarian, [stored.id]).status_code == 302
    again = decide(librarian, [stored.id])
    assert again.status_code == 409
    paid = rows(app, PointEntry, PointEntry.user_id == ann.id)
    assert [(p.amount, p.idempotency_key) for p in paid] == [(15, f"contributions:approved:{stored.id}")]
    (decision,) = rows(app, Decision)
    assert (decision.actor_id, decision.decision, decision.submission_id) == (lib.id, "approve", stored.id)
    notes = rows(app, Notification, Notification.user_id == ann.id, Notification.plugin == "contributions")
    (note,) = [n for n in notes if n.kind == "approve"]
    assert "+15 points" in note.text_en and "积分" in note.text_zh


def test_rejection_needs_a_reason_that_the_student_sees(app, people, challenge):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, challenge.id)
    (stored,) = submissions(app)
    refused = decide(librarian, [stored.id], "reject")
    assert refused.status_code == 400 and "reason" in refused.data.decode()
    assert submissions(app)[0].status == "pending" and rows(app, Decision) == []
    assert decide(librarian, [stored.id], "reject", "This is about a film, not a book.").status_code == 302
    assert "This is about a film, not a book." in client.get("/contributions/mine").data.decode()
    notes = rows(app, Notification, Notification.kind == "reject")
    assert len(notes) == 1 and "This is about a film, not a book." in notes[0].text_zh
    assert rows(app, PointEntry, PointEntry.plugin == "contributions") == []


def test_asking_for_changes_makes_it_editable_again(app, people, challenge):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, challenge.id)
    (stored,) = submissions(app)
    decide(librarian, [stored.id], "changes", "Please name the book's author.")
    assert submissions(app)[0].status == "changes"
    form = client.get(f"/contributions/submissions/{stored.id}/edit").data.decode()
    assert "Please name the book&#39;s author." in form or "Please name the book's author." in form
    client.post(f"/contributions/submissions/{stored.id}/edit", data={"text": "A review of a book by Fei Xiaotong."})
    assert submissions(app)[0].status == "pending"
    assert decide(librarian, [stored.id]).status_code == 302


def test_bulk_decisions_are_all_or_nothing(app, people, challenge):
    _ann, ann_client = people["ann"]
    _bob, bob_client = people["bob"]
    _lib, librarian = people["lib"]
    send(ann_client, challenge.id, text="First review of a fine novel about the sea.")
    send(bob_client, challenge.id, text="Second review of a poetry collection from Tang.")
    first, second = submissions(app)
    decide(librarian, [first.id], "reject", "Off topic for this challenge.")
    mixed = decide(librarian, [first.id, second.id])
    assert mixed.status_code == 409
    assert [s.status for s in submissions(app)] == ["rejected", "pending"]
    assert decide(librarian, [second.id, 999]).status_code == 409
    assert decide(librarian, []).status_code == 400
    send(ann_client, challenge.id, text="Third review, of a history of the printed book.")
    ids = [s.id for s in submissions(app) if s.status == "pending"]
    assert decide(librarian, ids).status_code == 302
    assert [s.status for s in submissions(app)] == ["rejected", "approved", "approved"]


def test_the_queue_filters_by_challenge_status_and_flag(app, people):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    one, two = make_challenge(app, title_en="Alpha challenge"), make_challenge(app, title_en="Beta challenge")
    send(client, one.id, text="Unique text for the alpha challenge entry.")
    send(client, two.id, text="Copied text used in two places by me.")
    send(client, one.id, text="Copied text, used in two places by me!")
    page = librarian.get(f"/contributions/moderation?challenge={two.id}").data.decode()
    assert "Copied text used" in page and "Unique text" not in page
    flagged = librarian.get("/contributions/moderation?flagged=1&status=").data.decode()
    assert "Same text as an earlier submission of this reader" in flagged and "Unique text" not in flagged
    assert "Unique text" not in librarian.get("/contributions/moderation?status=approved").data.decode()


@pytest.mark.parametrize("path", ["/contributions/moderation", "/contributions/manage", "/contributions/challenges/new"])
def test_students_cannot_moderate_and_strangers_sign_in(app, people, path):
    _ann, client = people["ann"]
    assert client.get(path).status_code == 403
    assert app.test_client().get(path).status_code == 302


def test_a_student_cannot_decide_or_feature(app, people, challenge):
    _ann, client = people["ann"]
    _bob, bob = people["bob"]
    send(client, challenge.id)
    (stored,) = submissions(app)
    assert decide(bob, [stored.id]).status_code == 403
    assert bob.post(f"/contributions/submissions/{stored.id}/feature").status_code == 403
    assert submissions(app)[0].status == "pending" and rows(app, Decision) == []


def test_copies_of_text_and_pictures_are_flagged(app, people):
    ann, ann_client = people["ann"]
    _bob, bob_client = people["bob"]
    first, second = make_challenge(app), make_challenge(app, title_en="Another")
    send(ann_client, first.id, text="The reading room at dawn is the quietest place.",
         image=(io.BytesIO(picture((10, 120, 200))), "a.png"))
    # Same words, other punctuation and case, to another challenge: flagged as the reader's own copy.
    send(ann_client, second.id, text="the Reading-Room at dawn ... is the QUIETEST place")
    # The same picture re-saved as JPEG by someone else.
    send(bob_client, first.id, text="My own words about a photo.",
         image=(io.BytesIO(picture((10, 120, 200), fmt="JPEG", quality=70)), "b.jpg"))
    send(bob_client, second.id, text="A different photo with different words.",
         image=(io.BytesIO(picture((250, 200, 30))), "c.png"))
    original, own_copy, other_copy, different = submissions(app)
    assert original.flags == "" and different.flags == ""
    assert (own_copy.flags, own_copy.duplicate_of) == ("text-own", original.id)
    assert (other_copy.flags, other_copy.duplicate_of) == ("image-other", original.id)


def test_csv_export_is_utf8_with_a_bom_for_librarians_only(app, people, challenge):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, challenge.id, text="=HYPERLINK(\"http://x\") 读后感：很好的一本书。")
    response = librarian.get(f"/contributions/challenges/{challenge.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    body = response.data.decode("utf-8-sig")
    assert "读后感" in body and "'=HYPERLINK" in body and body.splitlines()[0].startswith("ID,Author")
    # Statuses as a librarian reads them, times on the library's clock (Asia/Shanghai), not UTC.
    row = next(csv.reader(io.StringIO(body.splitlines()[1])))
    with app.app_context(), app.extensions["engage.db"].session() as session:
        sent = session.execute(select(Submission.created_at)).scalar_one()
        local = to_local(sent).strftime("%Y-%m-%d %H:%M")
    assert row[3] == "Waiting for review" and "pending" not in body
    assert row[4] == local != sent.strftime("%Y-%m-%d %H:%M")
    assert client.get(f"/contributions/challenges/{challenge.id}/export.csv").status_code == 403


def test_bad_challenge_input_is_refused_and_nothing_saved(app, people):
    from plugins.contributions.models import Challenge

    _lib, librarian = people["lib"]
    form = {"title_en": "Photos", "title_zh": "照片", "kind": "photo", "opens_at": "2026-03-10T09:00",
            "closes_at": "2026-03-01T09:00", "points": "10", "feature_points": "5", "max_per_user": "1"}
    response = librarian.post("/contributions/challenges/new", data=form)
    assert response.status_code == 400 and "after the opening time" in response.data.decode()
    for change in ({"closes_at": "soon"}, {"points": "-3"}, {"title_zh": ""}, {"kind": "poem"},
                   {"closes_at": "2026-04-01T09:00", "require_image": "y"}):
        assert librarian.post("/contributions/challenges/new", data={**form, **change}).status_code == 400, change
    assert rows(app, Challenge) == []


def test_a_librarian_opens_and_edits_a_challenge_in_local_time(app, people):
    from plugins.contributions.models import Challenge

    _lib, librarian = people["lib"]
    form = {"title_en": "Photos", "title_zh": "照片", "kind": "photo", "opens_at": "2026-03-01T09:00",
            "closes_at": "2026-03-10T18:00", "points": "10", "feature_points": "5", "max_per_user": "2",
            "allow_image": "y", "require_image": "y"}
    assert librarian.post("/contributions/challenges/new", data=form).status_code == 302
    (saved,) = rows(app, Challenge)
    assert saved.opens_at.hour == 1 and saved.require_image  # 09:00 in Shanghai is 01:00 UTC
    assert 'value="2026-03-01T09:00"' in librarian.get(f"/contributions/challenges/{saved.id}/edit").data.decode()
    librarian.post(f"/contributions/challenges/{saved.id}/edit", data={**form, "title_en": "Photos of spring"})
    assert rows(app, Challenge)[0].title_en == "Photos of spring"


def test_a_post_without_a_csrf_token_is_refused(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    student = create_test_user(app)
    challenge = make_challenge(app)
    client = app.test_client()
    page = client.get("/auth/login").data.decode()
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/auth/login", data={"email": student.email, "password": "correct horse battery", "csrf_token": token})
    response = client.post(f"/contributions/challenges/{challenge.id}/submit", data={"text": "No token here at all."})
    assert response.status_code == 400
    assert submissions(app) == []


def test_reviewed_work_can_no_longer_be_withdrawn_or_edited(app, people, challenge):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, challenge.id)
    (stored,) = submissions(app)
    decide(librarian, [stored.id])
    response = client.post(f"/contributions/submissions/{stored.id}/withdraw", data={"confirmed": "1"})
    assert response.status_code == 409 and "can no longer be withdrawn" in response.data.decode()
    edit = client.post(f"/contributions/submissions/{stored.id}/edit", data={"text": "A late change of mind here."})
    assert edit.status_code == 409
    assert submissions(app)[0].status == "approved" and submissions(app)[0].text == stored.text


def test_the_decision_log_is_shown_to_librarians(app, people, challenge):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, challenge.id)
    (stored,) = submissions(app)
    decide(librarian, [stored.id], "changes", "Please add the book's title.")
    page = librarian.get(f"/contributions/submissions/{stored.id}").data.decode()
    assert "Librarian Li" in page and "asked for changes" in page
    assert "asked for changes" not in client.get(f"/contributions/submissions/{stored.id}").data.decode()


@pytest.mark.parametrize("back, expected", [
    ("/contributions/moderation?status=pending", "/contributions/moderation?status=pending"),
    ("/%09/evil.example/path", "/contributions/moderation"), ("/\\evil.example", "/contributions/moderation"),
    ("//evil.example", "/contributions/moderation"), ("/x\r\nSet-Cookie: a=b", "/contributions/moderation"),
])
def test_moderation_goes_back_only_to_a_local_page(app, people, challenge, back, expected):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, challenge.id)
    (stored,) = submissions(app)
    response = librarian.post("/contributions/moderation", data={"ids": [str(stored.id)], "decision": "approve",
                                                                 "reason": "", "back": back})
    assert response.status_code == 302 and response.headers["Location"] == expected


def test_librarians_are_alerted_to_work_waiting_for_review(app, people, challenge):
    from core.mail.kinds import resolve

    ann, client = people["ann"]
    lib, _librarian = people["lib"]
    send(client, challenge.id)
    alerts = rows(app, Notification, Notification.kind == "moderation")
    assert [n.user_id for n in alerts] == [lib.id]  # staff only, never the author
    assert alerts[0].url == "/contributions/moderation"
    with app.app_context():
        kind = resolve("contributions", "moderation")
    assert (kind.key, kind.staff_only, kind.default) == ("contributions:moderation", True, "daily")
