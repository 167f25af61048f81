"""The hooks: menu, panels, readers' ratings, badges, demo data, and the plugin switch."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.hookspecs import AnswerRating
from core.models import Role, User, utcnow
from core.plugins import current_hooks, set_enabled
from plugins.staff_scores import plugin
from plugins.staff_scores.models import AnswerScore, Kudos, Review, Round, Rubric


def count(library, model, *where):
    with library.write() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_menu_and_home_panel_are_for_librarians_only(library, client, login):
    round_ = library.round("open")
    login(library.student)
    home = client.get("/").data.decode()
    assert "Staff scores" not in home and "Rate your colleagues" not in home
    login(library.librarians[0])
    home = client.get("/").data.decode()
    assert "Staff scores" in home and "Rate your colleagues" in home and "5 colleagues left to rate" in home
    assert f"/staff-scores/rounds/{round_.id}" in home


def test_admin_panel_lists_rounds_waiting_with_their_flags(library, client, login):
    round_ = library.round("closed")
    library.rate_all(round_, marks=lambda rater, ratee: 3 if rater == 0 else 5 - ratee)
    login(library.admin)
    page = client.get("/admin/").data.decode()
    assert "waiting to be published" in page and "1 pattern to review" in page


def rating(staff_id, score, ref, at=None):
    return AnswerRating(staff_id=staff_id, score=score, plugin="feedback", source_ref=ref, rated_at=at or utcnow())


def test_answer_ratings_are_kept_once_per_reference_and_blended(library):
    round_ = library.round("open")
    library.rate_all(round_)
    who = library.librarians[2].id
    with library.write() as session:
        current_hooks().engage_answer_rated(session=session, rating=rating(who, 2, "feedback:item:1"))
        current_hooks().engage_answer_rated(session=session, rating=rating(who, 5, "feedback:item:1"))  # changed
        current_hooks().engage_answer_rated(session=session, rating=rating(who, 4, "feedback:item:2"))
        current_hooks().engage_answer_rated(session=session, rating=rating(
            who, 1, "feedback:item:3", utcnow() - timedelta(days=30)))  # before the round
    assert count(library, AnswerScore) == 3
    from plugins.staff_scores import service
    with library.write() as session:
        score = service.results(session, session.get(Round, round_.id)).scores[who]
    assert score.readers_count == 2 and score.readers is not None
    assert score.final == pytest.approx(round_.blend_weight * score.readers + (1 - round_.blend_weight) * score.peer)


def test_badge_rules_are_offered():
    keys = {rule.key for rule in plugin.engage_badge_rules()}
    assert keys == {"staff_scores:rated_all", "staff_scores:kudos_received", "staff_scores:top3"}


def test_demo_data_makes_rubric_rounds_and_five_librarians(app, library):
    import random
    with library.write() as session:
        plugin.engage_demo_data(session=session, rng=random.Random(1), students=[],
                                librarians=library.librarians[:3])
    with library.write() as session:
        assert session.execute(select(func.count()).select_from(User).where(User.role == Role.librarian.value)
                               ).scalar_one() == 7  # the test's five plus two demo colleagues
        rounds = session.execute(select(Round)).scalars().all()
    assert count(library, Rubric) == 1 and len(rounds) == 4
    assert sum(r.published_at is not None for r in rounds) == 3
    from plugins.staff_scores import service
    assert sum(service.state(r) == "open" for r in rounds) == 1
    assert count(library, Kudos) == 5 and count(library, AnswerScore) > 0


def switch(library, enabled):
    with library.write() as session:
        set_enabled(session, name="staff_scores", enabled=enabled, actor_id=None)


def test_switched_off_everything_disappears_and_comes_back(library, client, login):
    round_ = library.round("open")
    library.rate_all(round_)
    login(library.librarians[0])
    switch(library, False)
    assert client.get("/staff-scores/").status_code == 404
    assert client.get(f"/staff-scores/rounds/{round_.id}").status_code == 404
    assert client.get("/staff-scores/wall").status_code == 404
    home = client.get("/").data.decode()
    assert "Staff scores" not in home and "Rate your colleagues" not in home
    assert "staff_scores:top3" not in client.get("/badges/").data.decode()
    switch(library, True)
    assert client.get("/staff-scores/").status_code == 200
    assert "staff_scores:top3" in client.get("/badges/").data.decode()
    assert count(library, Review) == 20
    assert "open round" in client.get("/staff-scores/").data.decode()
