"""The demo's "You said, we did" reads like a real library's: every item different, each written in one
language, and the library's answers in the reader's language."""

from __future__ import annotations

import re

from markupsafe import escape
from sqlalchemy import select

from plugins.feedback import demo
from plugins.feedback.models import FeedbackEvent, FeedbackItem

HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")


def one_language(text: str) -> bool:
    return not (HAN.search(text) and LATIN.search(text.replace("VPN", "").replace("Zotero", "")
                                                   .replace("IEEE Xplore", "")))


def test_every_sample_is_distinct_and_in_one_language():
    texts = [sample[1] for sample in demo.SAMPLES]
    assert len(texts) == len(set(texts)) >= 30
    assert len({sample[3] for sample in demo.SAMPLES}) == len(demo.SAMPLES)  # no answer repeated either
    for key, text, location, did_en, did_zh in demo.SAMPLES:
        assert one_language(text) and one_language(location), text
        assert not HAN.search(did_en) and HAN.search(did_zh), did_en
        if location:
            assert demo.language(location) == demo.language(text), text
    languages = {demo.language(sample[1]) for sample in demo.SAMPLES}
    assert languages == {"en", "zh"}  # both kinds of reader, item by item
    assert {sample[0] for sample in demo.SAMPLES} == {"noise", "seats", "facilities", "service", "collection",
                                                      "suggestion", "praise"}


def test_the_populated_board_has_no_repeats_and_notes_in_the_readers_language(fb_app, fb_db):
    from core.demo import populate

    with fb_app.app_context():
        populate(fb_db, students=30)
    with fb_db.session() as session:
        items = session.execute(select(FeedbackItem)).scalars().all()
        events = session.execute(select(FeedbackEvent)).scalars().all()
    texts = [item.text for item in items]
    assert len(texts) == len(set(texts))
    published = [item for item in items if item.published]
    assert published and all(one_language(item.text) for item in items)
    language = {item.id: demo.language(item.text) for item in items}
    notes = [event for event in events if (event.note or "").strip()]
    assert notes
    for event in notes:
        assert one_language(event.note) and demo.language(event.note) == language[event.item_id], event.note


def test_a_screen_shows_items_written_in_its_own_language(fb_app, fb_db):
    from core.demo import populate
    from core.screens import ScreenInfo
    from plugins.feedback import plugin

    with fb_app.app_context():
        populate(fb_db, students=30)
    for locale in ("en", "zh_Hans"):
        with fb_app.test_request_context():
            with fb_db.session() as session:
                items = plugin.service.latest_published(session, locale=locale)
            slide = plugin.engage_screen_slides(screen=ScreenInfo(None, "Lobby", locale, 12, (), 0))
        assert len(items) == 2 and all(demo.language(item.text) == locale[:2] for item in items)
        assert str(escape(items[0].text[:12])) in slide.html
