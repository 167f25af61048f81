"""A reader's photo is theirs and the library's until the item is published (then anyone's,
and only then cached as public); an inspiration link only ever points at content this site
offers, chosen by its key, never at an address typed in or offered off-site; and a librarian
never credits (and so pays) their own feedback."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core.hookspecs import ContentTarget, hookimpl
from core.models import Role
from core.testing import PASSWORD, create_test_user
from plugins.feedback.models import FeedbackInspiration

from .test_feedback_views import cast, loop_to_answer, png, submit  # noqa: F401  (cast is a fixture)


class OffSite:
    """A plugin that offers one target on this site and two that lead elsewhere."""

    NAME, VERSION = "offsite", "1.0"
    TITLE = {"en": "Off-site probe", "zh_Hans": "站外探针"}
    DESCRIPTION = {"en": "Offers links elsewhere.", "zh_Hans": "提供站外链接。"}

    @hookimpl
    def engage_content_targets(self, user):
        return [ContentTarget("offsite:page:1", "Our page", "/boards/"),
                ContentTarget("offsite:page:2", "Phish", "//evil.example/phish"),
                ContentTarget("offsite:page:3", "Elsewhere", "https://evil.example/")]


@pytest.fixture
def offsite_app(app_factory):
    return app_factory(plugins=(OffSite(),))


def signed_in(app, user):
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    return client


def test_a_photo_follows_its_item(cast, fb_app):
    submit(cast["student"][1], photo=(io.BytesIO(png()), "p.png"))
    assert cast["other"][1].get("/feedback/1/photo").status_code == 404
    assert fb_app.test_client().get("/feedback/1/photo").status_code == 404
    for who in ("student", "librarian"):
        response = cast[who][1].get("/feedback/1/photo")
        assert response.status_code == 200 and "private" in response.headers["Cache-Control"]
        assert "public" not in response.headers["Cache-Control"]
    loop_to_answer(cast, 1)
    cast["student"][1].post("/feedback/1/step", data={"to": "confirmed", "score": "5"})
    assert cast["librarian"][1].post("/feedback/1/publish", data={
        "published": "1", "we_did_en": "Fixed", "we_did_zh": "已修好"}).status_code == 302
    response = fb_app.test_client().get("/feedback/1/photo")
    assert response.status_code == 200 and "public" in response.headers["Cache-Control"]


def test_only_this_sites_targets_are_offered_and_accepted(offsite_app):
    student = create_test_user(offsite_app)
    librarian = create_test_user(offsite_app, Role.librarian)
    submit(signed_in(offsite_app, student))
    lib = signed_in(offsite_app, librarian)
    page = lib.get("/feedback/1").data.decode()
    assert "Our page" in page and "Phish" not in page and "evil.example" not in page
    assert 'name="url"' not in page  # no address is typed in
    for key in ("offsite:page:2", "offsite:page:3", "//evil.example/phish"):
        assert lib.post("/feedback/1/inspiration", data={"target": key}).status_code == 400, key
    assert lib.post("/feedback/1/inspiration", data={"target": "offsite:page:1",
                                                     "url": "//evil.example/phish"}).status_code == 302
    db = offsite_app.extensions["engage.db"]
    with db.session() as session:
        assert session.execute(select(FeedbackInspiration.url)).scalar_one() == "/boards/"


def test_an_old_off_site_link_is_not_shown_as_a_link(cast, fb_db):
    submit(cast["student"][1])
    with fb_db.write_session() as session:
        session.add(FeedbackInspiration(item_id=1, title="Old", url="//evil.example/phish",
                                        actor_id=cast["librarian"][0].id))
    page = cast["student"][1].get("/feedback/1").data.decode()
    assert "Old" in page and "evil.example" not in page


def test_a_librarian_cannot_credit_their_own_feedback(fb_app, fb_db, person, login):
    from core.models import PointEntry
    from sqlalchemy import func

    librarian, colleague = person(Role.librarian), person(Role.librarian)
    submit(login(librarian))
    response = login(librarian).post("/feedback/1/inspiration", data={"description": "A new sign"})
    assert response.status_code == 403 and b"your own feedback" in response.data
    with fb_db.session() as session:
        assert session.execute(select(func.count()).select_from(PointEntry)).scalar_one() == 0
    assert login(colleague).post("/feedback/1/inspiration", data={"description": "A new sign"}).status_code == 302
