"""The librarians' pages: the form with its live preview, bad input answered in words, the
progress of the first grant, retiring; readers are kept out."""

from __future__ import annotations

import io

from sqlalchemy import select

from core.activity import record_activity
from core.models import BadgeAward, BadgeImage, Role

from plugins.badgemaker.models import MadeBadge

FORM = {"name_en": "Regular", "name_zh": "常客", "how_en": "Take part twice.", "how_zh": "参加两次。",
        "needs-0-what": "badgemaker:activities|*", "needs-0-goal": "2", "needs-1-what": "", "needs-1-goal": "",
        "needs-2-what": "", "needs-2-goal": "", "term": "", "hours_from": "", "hours_to": "", "artwork": "emblem"}


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "#336699").save(out, format="PNG")
    return out.getvalue()


def test_readers_are_kept_out(person, login):
    reader = login(person())
    assert reader.get("/badgemaker/").status_code == 403
    assert reader.post("/badgemaker/preview", data=FORM).status_code == 403


def test_a_librarian_makes_a_badge_and_readers_who_qualify_get_it(person, login, ctx, bm_app):
    regular = person()
    with ctx() as session:
        for ref in ("a", "b"):
            record_activity(session, user_id=regular.id, plugin="feedback", kind="confirmed", source_ref=ref)
    librarian = login(person(Role.librarian))
    page = librarian.get("/badgemaker/new").get_data(as_text=True)
    assert "any activity" in page and "Points reached" in page
    preview = librarian.post("/badgemaker/preview", data=FORM, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "1 reader would hold it today." in preview and "<html" not in preview and "bm-preview" not in preview
    response = librarian.post("/badgemaker/new", data=FORM)
    assert response.status_code == 302
    with bm_app.app_context(), bm_app.extensions["engage.db"].session() as session:
        badge = session.execute(select(MadeBadge)).scalar_one()
        assert session.execute(select(BadgeAward.user_id).where(BadgeAward.badge_key == badge.key)).scalars().all() == [
            regular.id]
    detail = librarian.get(response.headers["Location"]).get_data(as_text=True)
    assert "Done: 1 reader got the badge." in detail
    assert "Regular" in librarian.get("/badges/").get_data(as_text=True)
    progress = librarian.get(f"/badgemaker/{badge.id}?part=progress", headers={"HX-Request": "true"})
    assert "bm-progress" in progress.get_data(as_text=True) and "<html" not in progress.get_data(as_text=True)
    assert librarian.post(f"/badgemaker/{badge.id}/retire").status_code == 302
    assert "Retired on" in librarian.get(f"/badgemaker/{badge.id}").get_data(as_text=True)


def test_bad_input_is_answered_in_words_and_writes_nothing(person, login, bm_app):
    librarian = login(person(Role.librarian))
    cases = [
        ({"needs-0-what": ""}, "Choose at least one thing to count"),
        ({"needs-1-what": "badgemaker:activities|*", "needs-1-goal": "5"}, "is asked for twice"),
        ({"needs-0-what": "badgemaker:points|", "hours_from": "22:00", "hours_to": "06:00"}, "cannot be limited to hours"),
        ({"hours_from": "22:00"}, "Give both times of day, or neither."),
        ({"hours_from": "25:00", "hours_to": "06:00"}, "Write a time as hh:mm"),
        ({"hours_from": "22:00", "hours_to": "22:00"}, "start and end at the same time"),
        ({"needs-0-goal": ""}, "Say how many"),
        ({"needs-0-what": "nonsense|x"}, "Choose what counts from the list."),
        ({"name_en": "Century"}, "already exists"),
        ({"term": "no-such-term"}, "There is no such term."),
        ({"artwork": "upload"}, "Choose an image to upload"),
    ]
    for change, message in cases:
        response = librarian.post("/badgemaker/new", data=FORM | change)
        assert response.status_code == 400, change
        assert message in response.get_data(as_text=True), change
    preview = librarian.post("/badgemaker/preview", data=FORM | {"hours_from": "22:00", "hours_to": "22:00"},
                             headers={"HX-Request": "true"})
    assert "same time" in preview.get_data(as_text=True)
    with bm_app.app_context(), bm_app.extensions["engage.db"].session() as session:
        assert session.execute(select(MadeBadge)).first() is None


def test_messages_come_in_the_librarians_language(person, login):
    librarian = login(person(Role.librarian, locale="zh_Hans"))
    page = librarian.post("/badgemaker/new", data=FORM | {"needs-0-what": ""}).get_data(as_text=True)
    assert "请至少选择一项统计内容" in page and "您" not in page
    preview = librarian.post("/badgemaker/preview", data=FORM, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "今天有 0 位读者可以获得。" in preview


def test_uploaded_artwork_goes_through_core_image_pipeline(person, login, bm_app):
    librarian = login(person(Role.librarian))
    data = FORM | {"artwork": "upload", "image": (io.BytesIO(png()), "art.png")}
    response = librarian.post("/badgemaker/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with bm_app.app_context(), bm_app.extensions["engage.db"].session() as session:
        badge = session.execute(select(MadeBadge)).scalar_one()
        image = session.get(BadgeImage, badge.key)
        assert image is not None and image.data.startswith(b"\x89PNG")
    bad = FORM | {"name_en": "Other", "name_zh": "其他", "artwork": "upload", "image": (io.BytesIO(b"not an image"), "x.png")}
    response = librarian.post("/badgemaker/new", data=bad, content_type="multipart/form-data")
    assert response.status_code == 400
    with bm_app.app_context(), bm_app.extensions["engage.db"].session() as session:
        assert len(session.execute(select(MadeBadge)).all()) == 1


def test_a_made_badge_is_an_open_badge(app_factory):
    from core.testing import PASSWORD, create_test_user

    app = app_factory(PUBLIC_BASE_URL="https://library.test", ISSUER_EMAIL="badges@library.test")
    regular, staff = create_test_user(app), create_test_user(app, Role.librarian)
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        for ref in ("a", "b"):
            record_activity(session, user_id=regular.id, plugin="feedback", kind="confirmed", source_ref=ref)
    librarian = app.test_client()
    librarian.post("/auth/login", data={"email": staff.email, "password": PASSWORD})
    assert librarian.post("/badgemaker/new", data=FORM).status_code == 302
    with app.app_context(), app.extensions["engage.db"].session() as session:
        award = session.execute(select(BadgeAward).where(BadgeAward.badge_key.startswith("badgemaker:"))).scalar_one()
    client = app.test_client()
    badge_class = client.get(f"/openbadges/badges/{award.badge_key}").get_json()
    assert badge_class["name"] == "Regular" and badge_class["criteria"]["narrative"] == "Take part twice."
    assertion = client.get(f"/openbadges/assertions/{award.id}").get_json()
    assert assertion["badge"] == badge_class["id"] and assertion["recipient"]["hashed"] is True
    assert client.get(f"/openbadges/badges/{award.badge_key}/image.png").status_code == 200


def test_readers_hear_of_the_newest_badge_on_home_and_screens(person, login, ctx, bm_app):
    from core.screens import ScreenInfo
    from plugins.badgemaker import plugin

    reader = login(person())
    assert "A new badge to earn" not in reader.get("/").get_data(as_text=True)
    librarian = login(person(Role.librarian))
    librarian.post("/badgemaker/new", data=FORM)
    home = reader.get("/").get_data(as_text=True)
    assert "A new badge to earn" in home and "Regular" in home and "0 readers hold it so far." in home
    with bm_app.test_request_context("/"):
        slide = plugin.engage_screen_slides(ScreenInfo(None, "Hall", "en", 10, (), 0))
        assert slide.key == "newest" and "Regular" in slide.html and slide.url.endswith("/badges/badgemaker:regular")


def test_librarians_download_who_holds_a_made_badge(person, login, ctx, bm_app):
    regular = person(display_name="=HYPERLINK(1)")
    with ctx() as session:
        for ref in ("a", "b"):
            record_activity(session, user_id=regular.id, plugin="feedback", kind="confirmed", source_ref=ref)
    librarian = login(person(Role.librarian))
    librarian.post("/badgemaker/new", data=FORM)
    with bm_app.app_context(), bm_app.extensions["engage.db"].session() as session:
        badge = session.execute(select(MadeBadge)).scalar_one()
    response = librarian.get(f"/badgemaker/{badge.id}/holders.csv")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and regular.email in text and ",=HYPERLINK" not in text and "\n=HYPERLINK" not in text
    assert text.count("\n") == 2  # the header and one holder
    assert login(person()).get(f"/badgemaker/{badge.id}/holders.csv").status_code == 403
