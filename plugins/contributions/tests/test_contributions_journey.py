"""The whole journey in one test: a librarian opens a challenge, a student submits, the librarian
approves, the student sees points, badge and notification, and the work shows on a lobby screen."""

from __future__ import annotations

import re

from core.models import Role
from core.testing import create_test_user

from .conftest import login, submissions


def test_challenge_to_screen_journey(app):
    librarian = login(app, create_test_user(app, Role.librarian, display_name="Librarian Wang"))
    student_user = create_test_user(app, display_name="Reader Lin")
    student = login(app, student_user)

    # 1. The librarian opens a challenge.
    response = librarian.post("/contributions/challenges/new", data={
        "title_en": "Notes on a favourite book", "title_zh": "最爱之书读书笔记", "kind": "review",
        "description_en": "Share a reading note.", "description_zh": "分享一篇读书笔记。",
        "opens_at": "2020-01-01T08:00", "closes_at": "2099-12-31T23:00", "points": "25", "feature_points": "10",
        "max_per_user": "1", "require_text": "y", "allow_image": "y"})
    assert response.status_code == 302
    challenge_path = response.headers["Location"]
    assert "Notes on a favourite book" in student.get("/").data.decode()

    # 2. The student submits.
    submit_path = challenge_path + "/submit"
    response = student.post(submit_path, data={"text": "Walden taught me to *read slowly* and to listen."})
    assert response.status_code == 302
    (piece,) = submissions(app)

    # 3. The librarian approves (from the queue) and features it.
    assert "Walden taught me" in librarian.get("/contributions/moderation").data.decode()
    assert librarian.post("/contributions/moderation", data={"ids": [str(piece.id)], "decision": "approve"}).status_code == 302
    assert librarian.post(f"/contributions/submissions/{piece.id}/feature").status_code == 302

    # 4. The student sees points, badge and notification.
    profile = student.get("/me").data.decode()
    assert re.search(r"<dd[^>]*>\s*35\s*</dd>", profile), "25 for approval + 10 featured"
    assert "Walden taught me" in profile  # the profile panel of approved work
    assert "First contribution" in student.get("/badges/").data.decode()
    inbox = student.get("/notifications/").data.decode()
    assert "was approved: +25 points" in inbox and "First contribution" in inbox

    # 5. The work shows on a lobby screen.
    response = librarian.post("/screens/new", data={"name": "Lobby", "locale": "en", "seconds_per_slide": "10",
                                                    "slides": ["plugin:contributions:featured"]})
    assert response.status_code == 302
    match = re.search(r'value="http://localhost(/screen/[^"]+)"', librarian.get("/screens/").data.decode())
    slide = app.test_client().get(match.group(1) + "/slide?n=0", headers={"HX-Request": "true"})
    body = slide.data.decode()
    assert slide.status_code == 200 and "Walden taught me" in body and "Reader Lin" in body
    assert "<svg" in body  # the QR code to the challenge
