"""The "You said, we did" board and the librarians' queue show a page at a time ("Show more")."""

from __future__ import annotations

from core.models import Role, utcnow
from plugins.feedback.models import FeedbackItem
from plugins.feedback.views import ensure_categories
from plugins.feedback import service


def add_items(ctx, submitter_id, count, **fields):
    with ctx() as session:
        ensure_categories()
        category = service.categories(session)[0]
        session.add_all([FeedbackItem(submitter_id=submitter_id, category_id=category.id, text=f"item text {n:02d}",
                                      allow_publish=True, **fields) for n in range(count)])


def test_each_list_on_the_board_has_its_own_show_more(fb_app, ctx, person):
    reader = person()
    add_items(ctx, reader.id, 25, state="closed", published=True, we_did_en="Fixed.", we_did_zh="已修好。",
              closed_at=utcnow())
    add_items(ctx, reader.id, 3, state="submitted")
    client = fb_app.test_client()
    board = client.get("/feedback/board").get_data(as_text=True)
    assert board.count("item text") == 23  # 20 published, all 3 open
    assert 'href="/feedback/board?done=2"' in board and "open=2" not in board
    more = client.get("/feedback/board?done=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="fb-done"' in more and "done=3" not in more


def test_the_queue_pages(fb_app, ctx, person, login):
    reader, librarian = person(), person(Role.librarian)
    add_items(ctx, reader.id, 55)
    client = login(librarian)
    queue = client.get("/feedback/queue?state=all").get_data(as_text=True)
    assert queue.count('class="fb-late"') + queue.count("<li") >= 50 and "state=all&amp;page=2" in queue
    more = client.get("/feedback/queue?state=all&page=2", headers={"HX-Request": "true"})
    assert more.status_code == 200 and "<html" not in more.get_data(as_text=True)
    assert "page=3" not in more.get_data(as_text=True)
