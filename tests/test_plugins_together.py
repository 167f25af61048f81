"""The built-in plugins working together through core's hooks alone (none imports another):
a reader's rating of a librarian's answer in `feedback` reaches `staff_scores`, and the
content of `contributions` and `brand_stories` is offered to `feedback` as inspiration targets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Role
from core.plugins import current_hooks, set_enabled
from core.testing import create_test_user

pytest.importorskip("plugins.feedback.workflow")
pytest.importorskip("plugins.staff_scores.models")

from plugins.feedback import service as feedback  # noqa: E402
from plugins.feedback import workflow  # noqa: E402
from plugins.feedback.models import FeedbackItem  # noqa: E402
from plugins.staff_scores.models import AnswerScore  # noqa: E402


def rated_answer(app, score: int):
    """A reader's feedback answered by a librarian and rated by the reader, through feedback's own services."""
    reader, librarian = create_test_user(app), create_test_user(app, Role.librarian)
    db = app.extensions["engage.db"]
    with app.test_request_context("/"), db.write_session() as session:
        feedback.ensure_categories(session)
        category = feedback.categories(session, active_only=True)[0]
        item = feedback.submit(session, user=reader, category_id=category.id, text="The third floor is noisy.",
                               show_name=True, allow_publish=True)
        for to_state, actor, extra in ((workflow.TRIAGED, librarian, {}),
                                       (workflow.ASSIGNED, librarian, {"assignee": librarian}),
                                       (workflow.RESPONDED, librarian, {}),
                                       (workflow.CONFIRMED, reader, {"score": score})):
            workflow.transition(session, item, actor, to_state, note="Step " + to_state, **extra)
        item_id = item.id
    return item_id, librarian


def answers(app):
    with app.extensions["engage.db"].session() as session:
        return [(a.staff_id, a.score, a.source_ref) for a in session.execute(select(AnswerScore)).scalars()]


def test_a_rated_answer_reaches_staff_scores(app):
    item_id, librarian = rated_answer(app, 4)
    assert answers(app) == [(librarian.id, 4, f"feedback:item:{item_id}")]


def test_with_staff_scores_switched_off_the_rating_is_kept_but_not_offered(app):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="staff_scores", enabled=False, actor_id=None)
    item_id, _librarian = rated_answer(app, 5)
    assert answers(app) == []
    with app.extensions["engage.db"].session() as session:
        assert session.get(FeedbackItem, item_id).rating == 5


def test_other_plugins_offer_their_content_as_inspiration_targets(app):
    """With the demo library in place, feedback can link an item to a challenge or an episode
    it never imported; the link keeps the target's title and address."""
    from core.demo import populate
    from plugins.feedback.models import FeedbackInspiration

    with app.app_context():
        assert populate(app.extensions["engage.db"], students=12, progress_label="demo")
    item_id, librarian = rated_answer(app, 5)
    with app.test_request_context("/"):
        targets = [t for result in current_hooks().engage_content_targets(user=librarian)
                   for t in (result if isinstance(result, list) else [result])]
        kinds = {":".join(t.key.split(":")[:2]) for t in targets}
        assert {"contributions:challenge", "brand_stories:episode"} <= kinds
        episode = next(t for t in targets if t.key.startswith("brand_stories:episode:"))
        with app.extensions["engage.db"].write_session() as session:
            feedback.link_inspiration(session, item=session.get(FeedbackItem, item_id), actor=librarian,
                                      target=episode)
    with app.extensions["engage.db"].session() as session:
        link = session.execute(select(FeedbackInspiration).where(FeedbackInspiration.item_id == item_id)).scalar_one()
        assert (link.target_key, link.title, link.url) == (episode.key, str(episode.title), episode.url)
    assert app.test_client().get(episode.url).status_code == 200


def test_the_demo_library_answers_every_menu_page_for_each_role(app):
    """The demo with every plugin on: each role's menu pages and the home page answer 200."""
    import re

    from core.demo import DEMO_PASSWORD, populate

    with app.app_context():
        assert populate(app.extensions["engage.db"], students=12, progress_label="demo")
    for email in ("student1@demo.library", "librarian1@demo.library", "admin@demo.library"):
        client = app.test_client()
        assert client.post("/auth/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
        home = client.get("/").get_data(as_text=True)
        menu = re.search(r'<nav class="menu".*?</nav>', home, re.S).group(0)
        links = sorted(set(re.findall(r'href="(/[^"]*)"', menu)))
        assert len(links) >= 5, links
        for link in links:
            assert client.get(link).status_code == 200, (email, link)
