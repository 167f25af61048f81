"""Every hook the plugin implements, and the plugin switch: off means gone (404), on means all back."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from core.models import PointEntry, Role
from core.plugins import current_hooks, get_host, set_enabled
from core.testing import create_test_user
from plugins.contributions.models import Challenge, Submission

from .conftest import make_challenge, rows, send, submissions
from .test_contributions_moderation import decide


def test_hook_menu_items_show_challenges_and_moderation_with_its_count(app, people, challenge):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, challenge.id)
    student_page = client.get("/").data.decode()
    assert 'href="/contributions/"' in student_page and "/contributions/moderation" not in student_page
    assert "Moderation (1)" in librarian.get("/").data.decode()


def test_hook_home_panels_list_open_challenges_with_deadlines(app, people):
    make_challenge(app, title_en="Open one")
    page = app.test_client().get("/").data.decode()
    assert "Contribution challenges" in page and "Open one" in page and "Closes" in page


def test_hook_profile_panels_show_approved_contributions(app, people, challenge):
    ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, challenge.id, text="Approved piece for the profile panel.")
    send(client, challenge.id, text="Pending piece not on the profile panel.")
    decide(librarian, [submissions(app)[0].id])
    with app.test_request_context("/"):
        from flask_login import login_user
        from core.db import get_session
        from core.models import User

        login_user(get_session().get(User, ann.id))
        subject = get_session().get(User, ann.id)
        (panel,) = [p for r in current_hooks().engage_profile_panels(user=subject, subject=subject) for p in
                    ([r] if not isinstance(r, list) else r) if p.key == "contributions-profile"]
    assert "Approved piece" in panel.html and "Pending piece" not in panel.html


def test_hook_admin_panels_link_to_the_queue(app, people):
    _lib, librarian = people["lib"]
    with app.test_request_context("/"):
        panels = current_hooks().engage_admin_panels(user=people["lib"][0])
    html = "".join(str(p.html) for p in panels if p.key == "contributions-admin")
    assert "/contributions/moderation" in html and "0 submissions wait for review" in html


def test_hook_content_targets_offer_each_challenge(app, people):
    first, second = make_challenge(app, title_en="First"), make_challenge(app, title_en="Second")
    with app.test_request_context("/"):
        targets = [t for r in current_hooks().engage_content_targets(user=people["lib"][0]) for t in r]
    assert {(t.key, t.title, t.url) for t in targets} >= {
        (f"contributions:challenge:{first.id}", "First", f"/contributions/challenges/{first.id}"),
        (f"contributions:challenge:{second.id}", "Second", f"/contributions/challenges/{second.id}")}


def test_hook_badge_rules_are_listed(app):
    page = app.test_client().get("/badges/").data.decode()
    assert all(key in page for key in ("contributions:first", "contributions:five", "contributions:featured"))


def test_hook_screen_slides_offer_featured_work(app, people, challenge):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    assert "plugin:contributions:featured" in librarian.get("/screens/new").data.decode()
    send(client, challenge.id, text="A featured review for the lobby screen.")
    (piece,) = submissions(app)
    decide(librarian, [piece.id])
    librarian.post(f"/contributions/submissions/{piece.id}/feature")
    from core.screens import ScreenInfo

    with app.test_request_context("/"):
        results = current_hooks().engage_screen_slides(screen=ScreenInfo(None, "Lobby", "en", 12, (), 0))
        (slide,) = [r for r in results if getattr(r, "key", None) == "featured" and "/contributions/" in r.url]
    assert "A featured review" in slide.html and slide.url.endswith(f"/contributions/challenges/{challenge.id}")


def test_hook_demo_data_makes_challenges_in_every_state(app):
    students = [create_test_user(app) for _ in range(10)]
    librarians = [create_test_user(app, Role.librarian)]
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        # This plugin's registered implementation only: other plugins' demos are theirs to test.
        (ours,) = [impl for impl in get_host().hooks.engage_demo_data.get_hookimpls()
                   if impl.plugin_name == "contributions"]
        ours.function(session=session, rng=random.Random(7), students=students, librarians=librarians)
    states = {s.status for s in submissions(app)}
    assert {"approved", "pending", "changes"} <= states
    assert submissions(app, Submission.featured_at.is_not(None)) and submissions(app, Submission.image_id.is_not(None))
    titles = [c.title_zh for c in rows(app, Challenge)]
    assert len(titles) == 4 and all(titles)
    page = app.test_client().get("/contributions/").data.decode()
    assert "Open now" in page and "Coming soon" in page and "Closed" in page


def test_disabled_plugin_disappears_and_comes_back_with_its_data(app, people, challenge):
    _ann, client = people["ann"]
    lib, librarian = people["lib"]
    send(client, challenge.id)
    decide(librarian, [submissions(app)[0].id])
    paths = ["/contributions/", "/contributions/gallery", f"/contributions/challenges/{challenge.id}",
             "/contributions/moderation", f"/contributions/submissions/{submissions(app)[0].id}"]
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="contributions", enabled=False, actor_id=lib.id)
    assert [librarian.get(p).status_code for p in paths] == [404] * len(paths)
    assert client.post(f"/contributions/challenges/{challenge.id}/submit", data={"text": "x" * 20}).status_code == 404
    home = librarian.get("/").data.decode()
    assert "/contributions/" not in home and "Contribution challenges" not in home
    assert "contributions:first" not in app.test_client().get("/badges/").data.decode()
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="contributions", enabled=True, actor_id=lib.id)
    assert [librarian.get(p).status_code for p in paths] == [200] * len(paths)
    assert "A thoughtful review" in app.test_client().get("/contributions/gallery").data.decode()
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert session.execute(select(func.count()).select_from(PointEntry)).scalar_one() == 1
