"""The pages: submitting (and its bad input), the loop over HTTP, who may see and do what,
"me too", merging, the board, inspiration, categories, CSV, hooks and the plugin switch."""

from __future__ import annotations

import html
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.models import Notification, PointEntry, Role, utcnow
from plugins.feedback import service
from plugins.feedback.models import (FeedbackCategory, FeedbackEvent, FeedbackInspiration, FeedbackItem,
                                     FeedbackMeToo, FeedbackPhoto)

from .conftest import switch


def png(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def cast(person, login):
    """A student, a second student and a librarian, each with a signed-in client."""
    student, other, librarian = person(), person(), person(Role.librarian)
    return {"student": (student, login(student)), "other": (other, login(other)),
            "librarian": (librarian, login(librarian))}


def count(fb_db, model, *where):
    with fb_db.session() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def item_of(fb_db, item_id):
    with fb_db.session() as session:
        return session.get(FeedbackItem, item_id)


def submit(client, **fields):
    client.get("/feedback/new")  # seeds the categories on first use
    data = {"category": 1, "text": "The sockets on floor 2 are broken", "location": "2F east",
            "allow_publish": "y"}
    data.update(fields)
    return client.post("/feedback/new", data=data, content_type="multipart/form-data")


def loop_to_answer(cast, item_id):
    librarian = cast["librarian"]
    lib = librarian[1]
    for data in ({"to": "triaged", "note": "Thanks", "public": "on"}, {"to": "assigned", "assignee": librarian[0].id},
                 {"to": "responded", "note": "Repaired"}):
        assert lib.post(f"/feedback/{item_id}/step", data=data).status_code == 302


def test_submit_stores_item_event_and_photo(cast, fb_db):
    student, client = cast["student"]
    response = submit(client, photo=(io.BytesIO(png()), "p.png"), show_name="y")
    assert response.status_code == 302
    item = item_of(fb_db, 1)
    assert (item.submitter_id, item.state, item.location, item.show_name) == (student.id, "submitted", "2F east", True)
    assert count(fb_db, FeedbackEvent) == 1 and count(fb_db, FeedbackPhoto) == 1
    assert count(fb_db, PointEntry) == 0  # no points for submitting


@pytest.mark.parametrize("fields, status, message", [
    ({"text": "   "}, 400, b"Write what you would like"),
    ({"category": 0}, 400, b"Choose one of the categories"),
    ({"photo": (io.BytesIO(b"GIF89a<script>alert(1)</script>"), "cat.gif")}, 400, b"not a PNG, JPEG, WebP or GIF"),
    ({"photo": (io.BytesIO(b"\x89PNG" + b"0" * (4 * 1024 * 1024 + 10)), "big.png")}, 413, b"larger than 4 MB"),
])
def test_bad_submissions_are_refused_and_nothing_is_stored(cast, fb_db, fields, status, message):
    response = submit(cast["student"][1], **fields)
    assert response.status_code == status
    assert message in response.data
    assert count(fb_db, FeedbackItem) == 0 and count(fb_db, FeedbackEvent) == 0 and count(fb_db, FeedbackPhoto) == 0


def test_submissions_are_limited_per_hour(cast, fb_db, fb_app):
    fb_app.config["FEEDBACK_SUBMISSIONS_PER_HOUR"] = 2
    client = cast["student"][1]
    assert [submit(client).status_code for _ in range(3)] == [302, 302, 429]
    assert count(fb_db, FeedbackItem) == 2


def test_photo_is_seen_by_submitter_and_librarians_only(cast, fb_db, fb_app):
    submit(cast["student"][1], photo=(io.BytesIO(png()), "p.png"))
    assert cast["student"][1].get("/feedback/1/photo").content_type == "image/jpeg"
    assert cast["librarian"][1].get("/feedback/1/photo").status_code == 200
    assert cast["other"][1].get("/feedback/1/photo").status_code == 404
    assert fb_app.test_client().get("/feedback/1/photo").status_code == 404


def test_another_readers_item_is_refused(cast, fb_db):
    submit(cast["student"][1])
    other = cast["other"][1]
    assert other.get("/feedback/1").status_code == 403
    response = other.post("/feedback/1/step", data={"to": "reopened", "note": "x"})
    assert response.status_code == 403 and b"another reader" in response.data
    assert count(fb_db, FeedbackEvent) == 1


def test_roles_are_checked_at_the_route(cast, fb_app):
    student = cast["student"][1]
    for path in ("/feedback/queue", "/feedback/measures", "/feedback/export.csv", "/feedback/settings",
                 "/feedback/categories/new", "/feedback/departments/new"):
        assert student.get(path).status_code == 403, path
        assert fb_app.test_client().get(path).status_code == 302, path
    assert fb_app.test_client().get("/feedback/").status_code == 302
    assert fb_app.test_client().get("/feedback/board").status_code == 200


def test_the_loop_over_http(cast, fb_db):
    student, client = cast["student"]
    submit(client)
    assert client.post("/feedback/1/step", data={"to": "assigned"}).status_code == 400  # a student assigning
    response = client.post("/feedback/1/step", data={"to": "confirmed", "score": "5"})
    assert response.status_code == 400 and b"only after the library has answered" in response.data
    loop_to_answer(cast, 1)
    page = client.get("/feedback/1").data
    assert b"Repaired" in page and b"Confirm and rate" in page
    assert client.post("/feedback/1/step", data={"to": "confirmed", "score": "4"}).status_code == 302
    item = item_of(fb_db, 1)
    assert (item.state, item.rating) == ("confirmed", 4)
    assert count(fb_db, PointEntry, PointEntry.idempotency_key == "feedback:confirmed:1") == 1
    assert count(fb_db, Notification, Notification.user_id == student.id, Notification.plugin == "feedback") == 3


def test_internal_notes_are_hidden_from_the_reader(cast):
    submit(cast["student"][1])
    cast["librarian"][1].post("/feedback/1/step", data={"to": "triaged", "note": "Staff eyes only"})
    assert b"Staff eyes only" in cast["librarian"][1].get("/feedback/1").data
    assert b"Staff eyes only" not in cast["student"][1].get("/feedback/1").data


def test_reopen_after_the_window_is_refused(cast, fb_db, ctx):
    client = cast["student"][1]
    submit(client)
    loop_to_answer(cast, 1)
    client.post("/feedback/1/step", data={"to": "confirmed", "score": "2"})
    with ctx() as session:
        session.get(FeedbackItem, 1).closed_at = utcnow() - timedelta(days=30)
    response = client.post("/feedback/1/step", data={"to": "reopened", "note": "Broken again"})
    assert response.status_code == 400 and b"can no longer be reopened" in response.data
    assert item_of(fb_db, 1).state == "confirmed"


def test_lists_apply_auto_close_lazily(cast, fb_db, ctx):
    client = cast["student"][1]
    submit(client)
    loop_to_answer(cast, 1)
    with ctx() as session:
        session.get(FeedbackItem, 1).updated_at = utcnow() - timedelta(days=15)
    assert client.get("/feedback/").status_code == 200
    assert item_of(fb_db, 1).state == "closed"


def test_me_too_rules(cast, fb_db):
    submit(cast["student"][1])
    other = cast["other"][1]
    assert other.post("/feedback/1/me-too").status_code == 302
    assert other.post("/feedback/1/me-too").status_code == 409
    response = cast["student"][1].post("/feedback/1/me-too")
    assert response.status_code == 400 and "own feedback".encode() in response.data
    assert count(fb_db, FeedbackMeToo) == 1
    cast["librarian"][1].post("/feedback/1/step", data={"to": "closed", "note": "Spam"})
    assert cast["librarian"][1].post("/feedback/1/me-too").status_code == 409
    assert count(fb_db, FeedbackMeToo) == 1


def test_merge_moves_me_toos_and_closes_the_duplicate(cast, fb_db, person, login):
    submit(cast["student"][1], text="Noisy on floor 3")
    submit(cast["other"][1], text="Floor 3 is so loud")
    third = login(person())
    third.post("/feedback/2/me-too")
    lib = cast["librarian"][1]
    assert lib.post("/feedback/2/merge", data={"into": 2}).status_code == 400
    assert lib.post("/feedback/2/merge", data={"into": 1, "confirmed": "1"}).status_code == 302
    duplicate = item_of(fb_db, 2)
    assert (duplicate.state, duplicate.merged_into_id) == ("closed", 1)
    with fb_db.session() as session:
        movers = session.execute(select(FeedbackMeToo.user_id).where(FeedbackMeToo.item_id == 1)).scalars().all()
        note = session.execute(select(FeedbackEvent.note).where(FeedbackEvent.item_id == 2)
                               .order_by(FeedbackEvent.id.desc())).scalars().first()
    assert sorted(movers) == sorted([cast["other"][0].id, third_id(fb_db)]) and "#1" in note
    page = cast["other"][1].get("/feedback/2").data
    assert b'href="/feedback/1"' in page
    # The note is stored in English whoever merged, and each reader reads it in their language.
    assert note == "Merged into feedback #1, which is about the same thing."
    page = cast["other"][1].get("/feedback/2", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Merged into" not in page and "#1" in page


def test_system_notes_read_in_the_readers_language(fb_app):
    from flask_babel import force_locale

    from plugins.feedback.notes import AUTO_CLOSED, MERGED, event_note, stored

    with fb_app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        with force_locale("zh_Hans"):
            chinese = event_note(stored(AUTO_CLOSED, days=14))
            assert "14" in chinese and "Closed" not in chinese
            written_in_chinese = event_note(stored(MERGED, id=3))  # as a Chinese librarian's merge once stored it
        with force_locale("en"):
            assert event_note(written_in_chinese) == "Merged into feedback #3, which is about the same thing."
            assert event_note("We moved the printer.") == "We moved the printer."  # a person's note stays


@pytest.mark.parametrize("locale, words", [
    ("en", ["Merge feedback #2 into #1?", "#2 closes for good with a public note pointing to #1"]),
    ("zh_Hans", ["要把反馈 #2 合并到 #1 吗？", "#2 将永久关闭，并留下指向 #1 的公开说明"]),
])
def test_merging_is_asked_first_and_nothing_is_preselected(cast, fb_db, person, login, locale, words):
    submit(cast["student"][1], text="Noisy on floor 3")
    submit(cast["other"][1], text="Floor 3 is so loud")
    lib = login(person(Role.librarian, locale=locale))
    page = html.unescape(lib.get("/feedback/2").data.decode())
    form = page[page.index('id="into"'):]
    form = form[:form.index("</select>")]
    assert '<option value="" selected>' in form and form.count(" selected") == 1 and "required" in form
    assert 'data-confirm="' in page
    response = lib.post("/feedback/2/merge", data={"into": 1})
    page = html.unescape(response.data.decode())
    assert response.status_code == 200 and 'name="confirmed" value="1"' in page
    assert all(word in page for word in words)
    assert (item_of(fb_db, 2).merged_into_id, item_of(fb_db, 2).state) == (None, "submitted")
    assert lib.post("/feedback/2/merge", data={"into": ""}).status_code == 400  # nothing chosen: refused
    lib.post("/feedback/2/merge", data={"into": 1, "confirmed": "1"})
    assert item_of(fb_db, 2).merged_into_id == 1


def third_id(fb_db):
    with fb_db.session() as session:
        return session.execute(select(FeedbackMeToo.user_id).where(FeedbackMeToo.item_id == 1)
                               .order_by(FeedbackMeToo.user_id.desc())).scalars().first()


def test_publish_needs_consent_and_shows_on_board_and_slide(cast, fb_db, fb_app):
    submit(cast["student"][1])
    submit(cast["student"][1], allow_publish="")
    for item_id in (1, 2):
        loop_to_answer(cast, item_id)
        cast["student"][1].post(f"/feedback/{item_id}/step", data={"to": "confirmed", "score": "5"})
    lib = cast["librarian"][1]
    data = {"published": "1", "we_did_en": "New sockets fitted", "we_did_zh": "已更换新插座"}
    assert lib.post("/feedback/2/publish", data=data).status_code == 409
    assert lib.post("/feedback/1/publish", data={**data, "we_did_zh": ""}).status_code == 400
    assert lib.post("/feedback/1/publish", data=data).status_code == 302
    board = fb_app.test_client().get("/feedback/board").data.decode()
    assert "New sockets fitted" in board and "The sockets on floor 2" in board
    from plugins.feedback import plugin
    with fb_app.test_request_context():
        slide = plugin.engage_screen_slides(screen=None)
    assert "New sockets fitted" in slide.html and slide.key == "you-said-we-did"


def test_inspiration_through_a_content_target_credits_once(cast, fb_db):
    submit(cast["student"][1])
    lib = cast["librarian"][1]
    page = lib.get("/feedback/1").data.decode()
    assert "Episode 7: the quiet floor" in page
    assert lib.post("/feedback/1/inspiration", data={"target": "fbprobe:episode:99"}).status_code == 400
    assert lib.post("/feedback/1/inspiration", data={"target": "fbprobe:episode:7"}).status_code == 302
    assert lib.post("/feedback/1/inspiration", data={"description": "again"}).status_code == 409
    with fb_db.session() as session:
        link = session.execute(select(FeedbackInspiration)).scalar_one()
    assert (link.target_key, link.title, link.url) == ("fbprobe:episode:7", "Episode 7: the quiet floor", "/stories/7")
    assert count(fb_db, PointEntry, PointEntry.idempotency_key == "feedback:inspired:1") == 1
    assert count(fb_db, Notification, Notification.kind == "inspired") == 1
    assert b"Episode 7" in cast["student"][1].get("/feedback/1").data


def test_inspiration_works_without_any_target_plugin(cast, fb_db, fb_app):
    switch(fb_app, "fbprobe", False)
    submit(cast["student"][1])
    lib = cast["librarian"][1]
    assert b'name="target"' not in lib.get("/feedback/1").data
    assert lib.post("/feedback/1/inspiration", data={"description": ""}).status_code == 400
    assert lib.post("/feedback/1/inspiration", data={"description": "A short video on noise",
                                                     "url": "//evil.example/phish"}).status_code == 302
    assert count(fb_db, PointEntry, PointEntry.idempotency_key == "feedback:inspired:1") == 1
    with fb_db.session() as session:
        assert session.execute(select(FeedbackInspiration.url)).scalar_one() == ""  # no address is typed in
    assert b"evil.example" not in cast["student"][1].get("/feedback/1").data


def test_librarians_edit_categories_and_departments(cast, fb_db):
    lib = cast["librarian"][1]
    assert lib.get("/feedback/settings").status_code == 200
    response = lib.post("/feedback/categories/1", data={"name_en": "Noise", "name_zh": "噪音",
                                                      "first_response_hours": 2, "resolution_hours": 1})
    assert response.status_code == 400 and b"before the first response" in response.data
    assert lib.post("/feedback/categories/1", data={"name_en": "Noise and phones", "name_zh": "噪音与电话",
                                                  "first_response_hours": 2, "resolution_hours": 24}).status_code == 302
    assert lib.post("/feedback/categories/new", data={"name_en": "Wi-Fi", "name_zh": "无线网络",
                                                    "first_response_hours": 8, "resolution_hours": 48,
                                                    "active": "y"}).status_code == 302
    assert lib.post("/feedback/departments/new", data={"name_en": "IT", "name_zh": "信息技术部",
                                                     "active": "y"}).status_code == 302
    with fb_db.session() as session:
        names = [c.name_en for c in service.categories(session)]
        assert session.get(FeedbackCategory, 1).first_response_hours == 2
        assert [d.name_zh for d in service.departments(session)] == ["信息技术部"]
    assert names[0] == "Noise and phones" and names[-1] == "Wi-Fi" and len(names) == 8
    assert lib.get("/feedback/categories/999").status_code == 404


def test_assign_to_a_department(cast, fb_db):
    submit(cast["student"][1])
    lib = cast["librarian"][1]
    lib.post("/feedback/departments/new", data={"name_en": "Facilities", "name_zh": "后勤", "active": "y"})
    assert lib.post("/feedback/1/step", data={"to": "assigned", "department": 99}).status_code == 400
    assert lib.post("/feedback/1/step", data={"to": "assigned", "department": 1}).status_code == 302
    assert item_of(fb_db, 1).department_id == 1


def test_queue_shows_overdue_items(cast, fb_db, ctx):
    submit(cast["student"][1], text="Old problem")
    submit(cast["student"][1], text="New problem")
    with ctx() as session:
        session.get(FeedbackItem, 1).created_at = utcnow() - timedelta(days=30)
    page = cast["librarian"][1].get("/feedback/queue?state=overdue").data.decode()
    assert "Old problem" in page and "New problem" not in page
    assert "anonymous" not in page  # lists show no names at all


def test_csv_export_has_a_bom_and_hides_names(cast, fb_db):
    submit(cast["student"][1], text="=HYPERLINK(\"x\") 书太少")
    response = cast["librarian"][1].get("/feedback/export.csv")
    body = response.data.decode("utf-8")
    assert response.content_type.startswith("text/csv") and body.startswith("\ufeff")
    assert "anonymous" in body and cast["student"][0].display_name not in body
    assert "'=HYPERLINK" in body and "书太少" in body


def test_measures_page_shows_numbers_and_svg_charts(cast, fb_db):
    submit(cast["student"][1])
    loop_to_answer(cast, 1)
    cast["student"][1].post("/feedback/1/step", data={"to": "confirmed", "score": "5"})
    page = cast["librarian"][1].get("/feedback/measures?days=30").data.decode()
    assert 'src="data:image/svg+xml' in page and "100%" in page and cast["librarian"][0].display_name in page
    main = page.split("<main", 1)[1].split("</main>")[0]
    assert "<script" not in main and "pygal.js" not in main


def test_post_without_csrf_token_is_refused(app_factory, person):
    app = app_factory(WTF_CSRF_ENABLED=True)
    from core.testing import create_test_user

    student = create_test_user(app)
    client = app.test_client()
    response = client.post("/feedback/new", data={"category": 1, "text": "x"})
    assert response.status_code == 400
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert session.execute(select(func.count()).select_from(FeedbackItem)).scalar_one() == 0
    assert student.id


def test_menu_and_home_panels(cast, fb_app):
    student_home = cast["student"][1].get("/").data.decode()
    assert "Your feedback" in student_home and "Feedback queue" not in student_home
    submit(cast["student"][1], text="Lost and found is hard to find")
    assert "Lost and found" in cast["student"][1].get("/").data.decode()
    librarian_home = cast["librarian"][1].get("/").data.decode()
    assert "Feedback queue" in librarian_home and "Overdue" in librarian_home
    assert '/feedback/board' in fb_app.test_client().get("/").data.decode()


def test_admin_panel(person, login):
    admin = login(person(Role.admin))
    page = admin.get("/admin/").data.decode()
    assert "Feedback loop" in page and "/feedback/measures" in page


def test_badge_rules_are_offered():
    from plugins.feedback import plugin

    keys = {rule.key for rule in plugin.engage_badge_rules()}
    assert keys == {"feedback:voice", "feedback:spark", "feedback:first-voice"}


def test_switched_off_everything_disappears_and_comes_back(cast, fb_app, fb_db):
    submit(cast["student"][1], text="Switch test")
    switch(fb_app, "feedback", False)
    student = cast["student"][1]
    for path in ("/feedback/", "/feedback/1", "/feedback/board", "/feedback/new"):
        assert student.get(path).status_code == 404, path
    assert cast["librarian"][1].get("/feedback/queue").status_code == 404
    assert "Feedback" not in student.get("/").data.decode()
    switch(fb_app, "feedback", True)
    assert b"Switch test" in student.get("/feedback/1").data
    assert "Your feedback" in student.get("/").data.decode()


def test_demo_data_has_every_state(fb_app, fb_db):
    from core.demo import populate

    with fb_app.app_context():
        populate(fb_db, students=30)
    with fb_db.session() as session:
        states = set(session.execute(select(FeedbackItem.state)).scalars())
        published = session.execute(select(func.count()).select_from(FeedbackItem)
                                    .where(FeedbackItem.published.is_(True))).scalar_one()
    assert {"submitted", "triaged", "assigned", "responded", "confirmed"} <= states
    assert published > 0
