"""Submissions: text, links and images in; bad input (disguised, oversized, scripts, late, too many) refused."""

from __future__ import annotations

import html
import io
from datetime import timedelta

import pytest
from PIL import Image

from core.models import Role, utcnow
from core.testing import create_test_user
from plugins.contributions.models import ContributionImage

from .conftest import login, make_challenge, picture, rows, send, submissions


def test_a_student_submits_text_and_it_waits_for_review(app, people, challenge):
    ann, client = people["ann"]
    response = send(client, challenge.id, text="**Loved it.** A book about [rivers](https://example.org) and time.",
                    link="https://library.example.org/book/1")
    assert response.status_code == 302
    (stored,) = submissions(app)
    assert (stored.user_id, stored.status, stored.link) == (ann.id, "pending", "https://library.example.org/book/1")
    page = client.get(response.headers["Location"]).data.decode()
    assert "<strong>Loved it.</strong>" in page and "Waiting for review" in page


def test_markdown_is_sanitised_when_shown(app, people, challenge):
    _ann, client = people["ann"]
    send(client, challenge.id, text="Raw <b>bold</b> and a [trick](data:text/html,hi) link in a long sentence.")
    (stored,) = submissions(app)
    page = client.get(f"/contributions/submissions/{stored.id}").data.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and 'href="data:' not in page


def test_script_and_event_handler_html_is_refused_and_nothing_stored(app, people, challenge):
    _ann, client = people["ann"]
    for text in ("Nice <script>alert(1)</script> book", 'Look <img src=x onerror="alert(1)">', "<IFRAME src=//evil>",
                 "A [link](javascript:alert(1)) to click", '<a href="javascript:void(0)">x</a>'):
        response = send(client, challenge.id, text=text)
        assert response.status_code == 400
        assert "script" in response.data.decode()
    assert submissions(app) == []


def test_prose_that_merely_mentions_code_is_accepted(app, people, challenge):
    _ann, client = people["ann"]
    text = "JavaScript: The Good Parts is short; when a < b and onwards = true, the author is right."
    assert send(client, challenge.id, text=text).status_code == 302
    assert submissions(app)[0].text == text


def test_an_image_is_checked_reencoded_and_stripped(app, people):
    ann, client = people["ann"]
    photo = make_challenge(app, kind="photo", require_text=False, require_image=True)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera maker: metadata that must not survive
    upload = picture(fmt="JPEG", exif=exif.tobytes())
    response = send(client, photo.id, text="", image=(io.BytesIO(upload), "me.jpg"))
    assert response.status_code == 302
    (stored,) = submissions(app)
    (image,) = rows(app, ContributionImage)
    assert stored.image_id == image.id and image.content_type == "image/jpeg"
    assert b"SecretCam" not in image.data and image.data != upload
    served = client.get(f"/contributions/images/{image.id}")
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    # A new picture in an edit replaces the old one, which is not kept.
    new_picture = (io.BytesIO(picture((9, 9, 200))), "n.png")
    client.post(f"/contributions/submissions/{stored.id}/edit", data={"text": "", "image": new_picture},
                content_type="multipart/form-data")
    (replacement,) = rows(app, ContributionImage)
    assert replacement.id != image.id and submissions(app)[0].image_id == replacement.id


def test_a_disguised_upload_is_refused(app, people, challenge):
    _ann, client = people["ann"]
    response = send(client, challenge.id, image=(io.BytesIO(b"<html><script>alert(1)</script></html>"), "cat.png"))
    assert response.status_code == 400
    assert "PNG, JPEG, WebP or GIF" in response.data.decode()
    assert submissions(app) == [] and rows(app, ContributionImage) == []


def test_an_oversized_upload_is_refused(app_factory):
    app = app_factory(CONTRIBUTIONS_MAX_IMAGE_BYTES=2000)
    from .conftest import login
    from core.testing import create_test_user

    client = login(app, create_test_user(app))
    challenge = make_challenge(app)
    big = picture(size=(600, 600), plain=True, fmt="BMP")  # valid but far over the limit
    response = send(client, challenge.id, image=(io.BytesIO(big), "big.png"))
    assert response.status_code == 413
    assert "larger than" in response.data.decode()
    assert submissions(app) == [] and rows(app, ContributionImage) == []


def test_images_are_refused_where_the_challenge_takes_none(app, people):
    _ann, client = people["ann"]
    story = make_challenge(app, kind="story", allow_image=False)
    response = send(client, story.id, image=(io.BytesIO(picture()), "p.png"))
    assert response.status_code == 400 and "does not take images" in response.data.decode()
    assert submissions(app) == []


def test_required_fields_and_bad_links_are_refused(app, people):
    _ann, client = people["ann"]
    needs_link = make_challenge(app, require_link=True)
    assert send(client, needs_link.id).status_code == 400
    assert send(client, needs_link.id, link="javascript:alert(1)").status_code == 400
    needs_image = make_challenge(app, require_image=True)
    response = send(client, needs_image.id)
    assert response.status_code == 400 and "an image" in response.data.decode()
    assert submissions(app) == []


def test_submissions_outside_the_open_window_are_refused(app, people):
    _ann, client = people["ann"]
    now = utcnow()
    closed = make_challenge(app, opens_at=now - timedelta(days=9), closes_at=now - timedelta(minutes=1))
    upcoming = make_challenge(app, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=9))
    late, early = send(client, closed.id), send(client, upcoming.id)
    assert late.status_code == 409 and "has closed" in late.data.decode()
    assert early.status_code == 409 and "not open yet" in early.data.decode()
    assert submissions(app) == []


def test_submissions_beyond_the_maximum_are_refused(app, people):
    _ann, client = people["ann"]
    once = make_challenge(app, max_per_user=1)
    assert send(client, once.id).status_code == 302
    response = send(client, once.id, text="Another, different review of another book entirely.")
    assert response.status_code == 409 and "most submissions" in response.data.decode()
    assert len(submissions(app)) == 1


def test_the_author_edits_until_reviewed_and_can_withdraw(app, people, challenge):
    ann, client = people["ann"]
    _bob, other = people["bob"]
    send(client, challenge.id)
    (stored,) = submissions(app)
    assert other.get(f"/contributions/submissions/{stored.id}/edit").status_code == 404
    response = client.post(f"/contributions/submissions/{stored.id}/edit",
                           data={"text": "A better review after a second reading.", "link": ""})
    assert response.status_code == 302
    assert submissions(app)[0].text == "A better review after a second reading."
    assert client.post(f"/contributions/submissions/{stored.id}/withdraw", data={"confirmed": "1"}).status_code == 302
    assert submissions(app)[0].status == "withdrawn"
    again = client.post(f"/contributions/submissions/{stored.id}/edit", data={"text": "Sneaky change after withdrawing."})
    assert again.status_code == 409
    assert submissions(app)[0].text == "A better review after a second reading."


def test_pending_work_and_its_image_are_hidden_from_others(app, people):
    _ann, client = people["ann"]
    _bob, other = people["bob"]
    _lib, librarian = people["lib"]
    send(client, make_challenge(app).id, image=(io.BytesIO(picture()), "p.png"))
    (stored,) = submissions(app)
    page, image = f"/contributions/submissions/{stored.id}", f"/contributions/images/{stored.image_id}"
    assert [client.get(page).status_code, client.get(image).status_code] == [200, 200]
    assert [librarian.get(page).status_code, librarian.get(image).status_code] == [200, 200]
    assert [other.get(page).status_code, other.get(image).status_code] == [404, 404]
    anonymous = app.test_client()
    assert [anonymous.get(page).status_code, anonymous.get(image).status_code] == [404, 404]


def test_signing_in_is_needed_to_submit(app, challenge):
    response = app.test_client().get(f"/contributions/challenges/{challenge.id}/submit")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_unknown_pages_answer_404(app, people):
    _ann, client = people["ann"]
    for path in ("/contributions/challenges/999", "/contributions/challenges/999/submit",
                 "/contributions/submissions/999", "/contributions/images/999"):
        assert client.get(path).status_code == 404, path


def test_a_flood_of_submissions_is_slowed_down(app_factory):
    from core.testing import create_test_user

    from .conftest import login

    app = app_factory(CONTRIBUTIONS_SUBMISSIONS_PER_HOUR=2)
    client = login(app, create_test_user(app))
    challenge = make_challenge(app, max_per_user=10)
    codes = [send(client, challenge.id, text=f"Submission number {n} with enough words.").status_code for n in range(3)]
    assert codes == [302, 302, 429]
    assert len(submissions(app)) == 2


@pytest.mark.parametrize("locale, words", [
    ("en", ["Withdraw your submission?", "It leaves the review queue"]),
    ("zh_Hans", ["要撤回你的投稿吗？", "它会离开审核队列"]),
])
def test_withdrawing_is_asked_first(app, challenge, locale, words):
    author = login(app, create_test_user(app, Role.student, locale=locale))
    send(author, challenge.id)
    (stored,) = submissions(app)
    page = html.unescape(author.get(f"/contributions/submissions/{stored.id}").data.decode())
    assert 'data-confirm="' in page
    response = author.post(f"/contributions/submissions/{stored.id}/withdraw")
    page = html.unescape(response.data.decode())
    assert response.status_code == 200 and 'name="confirmed" value="1"' in page
    assert all(word in page for word in words)
    assert submissions(app)[0].status != "withdrawn"
    author.post(f"/contributions/submissions/{stored.id}/withdraw", data={"confirmed": "1"})
    assert submissions(app)[0].status == "withdrawn"
