"""A contest's design moderation shows a page at a time, with the shared "Show more"."""

from __future__ import annotations

from sqlalchemy import select

from plugins.brand_stories.models import Design


def test_design_moderation_pages_and_appends_in_place(stories):
    contest = stories.new_contest("submitting")
    with stories.session() as session:
        image_id = session.execute(select(Design.image_id)).scalars().first()
        session.add_all([Design(contest_id=contest.id, user_id=stories.students[0].id, title=f"Entry {n:02d}",
                                image_id=image_id) for n in range(35)])
    librarian = stories.client(stories.librarian)
    first = librarian.get(f"/stories/manage/contests/{contest.id}").get_data(as_text=True)
    assert "Entry 29" in first and "Entry 30" not in first and f"/stories/manage/contests/{contest.id}?page=2" in first
    more = librarian.get(f"/stories/manage/contests/{contest.id}?page=2", headers={"HX-Request": "true"})
    body = more.get_data(as_text=True)
    assert more.status_code == 200 and "<html" not in body and "Entry 34" in body and "Entry 00" not in body
