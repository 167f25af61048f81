"""Results, publishing, reminders, CSV, the personal report and the staff board."""

import pytest
from sqlalchemy import func, select

from core.models import ActivityEntry, BadgeAward, Notification, utcnow
from plugins.staff_scores.models import Round


def count(library, model, *where):
    with library.write() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_nobody_sees_results_before_the_close(library, client, login):
    round_ = library.round("open")
    library.rate_all(round_)
    login(library.admin)
    page = client.get(f"/staff-scores/rounds/{round_.id}").data.decode()
    assert "Results" not in page and "Your colleagues" in page
    response = client.get(f"/staff-scores/rounds/{round_.id}/export.csv")
    assert response.status_code == 403 and b"before the round closes" in response.data
    assert client.post(f"/staff-scores/rounds/{round_.id}/publish").status_code == 409


def test_closed_results_are_reviewed_by_the_creator_then_published_to_all(library, client, login):
    creator, other = library.librarians[0], library.librarians[3]
    round_ = library.round("closed", creator=creator)
    library.rate_all(round_, marks=lambda rater, ratee: 5 if rater == 4 else 5 - ratee)  # rater 4 straight-lines
    login(other)
    assert "Results appear here once they are published" in client.get(f"/staff-scores/rounds/{round_.id}").data.decode()
    assert client.get(f"/staff-scores/rounds/{round_.id}/export.csv").status_code == 403
    response = client.post(f"/staff-scores/rounds/{round_.id}/publish")
    assert response.status_code == 403 and b"the round" in response.data
    login(creator)
    page = client.get(f"/staff-scores/rounds/{round_.id}").data.decode()
    assert "Review before publishing" in page and "straight-lining" in page and "Librarian 5" in page
    assert "How scores are computed" in page and "WR = v/(v+m)" in page
    asked = client.post(f"/staff-scores/rounds/{round_.id}/publish")  # asked first; nothing published yet
    assert asked.status_code == 200 and "Publishing cannot be undone." in asked.data.decode()
    assert count(library, Notification, Notification.kind == "published") == 0
    with library.write() as session:  # the same question in Chinese
        from core.models import User
        session.get(User, creator.id).locale = "zh_Hans"
    asked = client.post(f"/staff-scores/rounds/{round_.id}/publish")
    assert asked.status_code == 200 and "发布后无法撤销。" in asked.data.decode()
    with library.write() as session:
        session.get(User, creator.id).locale = "en"
    assert count(library, Notification, Notification.kind == "published") == 0
    assert client.post(f"/staff-scores/rounds/{round_.id}/publish", data={"confirmed": "1"}).status_code == 302
    assert count(library, Notification, Notification.kind == "published") == 6
    assert client.post(f"/staff-scores/rounds/{round_.id}/publish", data={"confirmed": "1"}).status_code == 409
    # The top three earn their badge.
    assert count(library, ActivityEntry, ActivityEntry.kind == "top3") == 3
    assert count(library, BadgeAward, BadgeAward.badge_key == "staff_scores:top3") == 3
    login(other)
    page = client.get(f"/staff-scores/rounds/{round_.id}").data.decode()
    assert "Results" in page and "Review before publishing" not in page


def test_csv_export_has_a_bom_and_every_ranked_librarian(library, client, login):
    round_ = library.round("closed", published_at=None)
    library.rate_all(round_)
    with library.write() as session:
        from core.models import User
        session.get(User, library.librarians[4].id).display_name = "=HYPERLINK(1)"
    login(library.admin)
    response = client.get(f"/staff-scores/rounds/{round_.id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeffRank,Librarian,Raters,Criterion 1")
    lines = text.strip().splitlines()
    assert len(lines) == 6 and lines[1].startswith("1,Librarian 1,4,")
    assert lines[5].startswith("5,'=HYPERLINK(1),4,")  # a name is never run as a formula


def test_reciprocal_extremes_are_shown_to_admins(library, client, login):
    round_ = library.round("closed")
    library.rate_all(round_, marks=lambda rater, ratee: 5 if {rater, ratee} == {1, 2} else 3 + (ratee % 2))
    login(library.admin)
    page = client.get(f"/staff-scores/rounds/{round_.id}").data.decode()
    assert "Librarian 2 and Librarian 3 gave each other nothing but 5" in page


@pytest.fixture
def runner(app):
    """A CLI runner with this plugin's commands added, as ``engage`` does at start-up."""
    from plugins.staff_scores import plugin
    plugin.engage_cli_commands(cli=app.cli)
    return app.test_cli_runner()


def test_remind_notifies_only_those_with_colleagues_left(library, client, login, runner):
    round_ = library.round("open")
    library.rate_all(round_)  # every librarian has rated the other librarians, but not the admin
    login(library.librarians[1])
    assert client.post(f"/staff-scores/rounds/{round_.id}/remind").status_code == 403
    login(library.admin)
    assert client.post(f"/staff-scores/rounds/{round_.id}/remind").status_code == 302
    assert count(library, Notification, Notification.kind == "reminder") == 6
    result = runner.invoke(args=["staff-scores", "remind"])
    assert result.exit_code == 0 and "6 reminders sent" in result.output


def test_cli_sends_the_close_notice_once(library, runner):
    round_ = library.round("closed")
    with library.write() as session:
        row = session.get(Round, round_.id)
        row.closed_notice = False
    assert runner.invoke(args=["staff-scores", "remind"]).exit_code == 0
    assert runner.invoke(args=["staff-scores", "remind"]).exit_code == 0
    assert count(library, Notification, Notification.kind == "round_closed") == 6


def publish(library, round_):
    with library.write() as session:
        session.get(Round, round_.id).published_at = utcnow()


def test_personal_report_shows_scores_medians_anonymous_comments_and_a_trend(library, client, login):
    first, second = library.round("closed"), library.round("closed")
    library.rate_all(first)
    library.rate_all(second, marks=lambda rater, ratee: 5 - ((ratee + 1) % 5))
    publish(library, first)
    publish(library, second)
    me = library.librarians[1]
    login(me)
    page = client.get("/staff-scores/me").data.decode()
    assert "Team median" in page and 'src="data:image/svg+xml' in page and "My score across rounds" in page
    assert page.count("note from") == 4 and "Librarian 1" not in page.split("What colleagues wrote")[1].split("My trend")[0]
    board = client.get("/staff-scores/board").data.decode()
    assert "Most improved" in board and "+" in board
    assert "2 rounds" in board  # this term's board averages both rounds


def test_most_improved_says_why_it_is_empty(library, client, login):
    rounds = [library.round("closed") for _ in range(3)]
    login(library.librarians[1])
    assert "Needs two published rounds." in client.get("/staff-scores/board").data.decode()
    for round_ in rounds:  # the same marks every time: three published rounds, nobody improved
        library.rate_all(round_)
        publish(library, round_)
    board = client.get("/staff-scores/board").data.decode()
    assert "Nobody's score rose between the last two published rounds." in board
    assert "Needs two published rounds." not in board


def test_report_before_any_results(library, client, login):
    login(library.librarians[0])
    assert "No results have been published yet" in client.get("/staff-scores/me").data.decode()


def test_kudos_pay_capped_points_and_show_on_the_board(library, client, login):
    giver, receiver = library.librarians[0], library.librarians[1]
    login(giver)
    for n in range(4):
        assert client.post("/staff-scores/kudos", data={"receiver": receiver.id, "message": f"Thanks {n}!"}
                           ).status_code == 302
    from core.points import user_total
    with library.write() as session:
        assert user_total(session, receiver.id) == 15  # 4 × 5 points, capped at 15 a day
    assert "Thanks 3!" in client.get("/staff-scores/board").data.decode()
    client.post("/staff-scores/kudos", data={"receiver": receiver.id, "message": "**Five**<script>x()</script>"})
    board = client.get("/staff-scores/board").data.decode()
    assert "<strong>Five</strong>" in board and "<script>x()" not in board
    assert count(library, BadgeAward, BadgeAward.badge_key == "staff_scores:kudos_received") == 1


@pytest.mark.parametrize("who, message, text", [
    ("self", "Me!", b"Choose a colleague"), ("other", "x" * 281, b"at most 280"),
    ("other", "   ", b"Write a short message"), ("student", "Hi", b"Choose a colleague"),
])
def test_bad_kudos_are_refused(library, client, login, who, message, text):
    giver = library.librarians[0]
    receiver = {"self": giver, "other": library.librarians[1], "student": library.student}[who]
    login(giver)
    response = client.post("/staff-scores/kudos", data={"receiver": receiver.id, "message": message})
    assert response.status_code == 400 and text in response.data
    from plugins.staff_scores.models import Kudos
    assert count(library, Kudos) == 0


def test_a_post_without_csrf_token_is_refused(app_factory, make_user):
    from core.models import Role
    from core.testing import PASSWORD
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    from core.testing import create_test_user
    user = create_test_user(app, Role.librarian)
    other = create_test_user(app, Role.librarian)
    login_page = client.get("/auth/login").data.decode()
    import re
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    response = client.post("/staff-scores/kudos", data={"receiver": other.id, "message": "Hi"})
    assert response.status_code == 400
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        from plugins.staff_scores.models import Kudos
        assert session.execute(select(func.count()).select_from(Kudos)).scalar_one() == 0


def slide_html(library) -> str:
    from core.screens import plugin_slides
    with library.app.test_request_context():
        [(_name, slide)] = plugin_slides(None, only="staff_scores")
    return str(slide.html)


def test_opting_out_hides_me_from_the_screen_slide(library, client, login):
    round_ = library.round("closed")
    library.rate_all(round_)
    publish(library, round_)
    top = library.librarians[0]
    assert "Librarian 1" in slide_html(library)
    login(top)
    assert client.post("/staff-scores/settings", data={}).status_code == 302
    assert "Librarian 1" not in slide_html(library) and "Librarian 2" in slide_html(library)
    assert "Librarian 1" in client.get("/staff-scores/board").data.decode()  # staff pages still show everyone
    client.post("/staff-scores/kudos", data={"receiver": library.librarians[1].id, "message": "From the shy one"})
    login(library.librarians[2])
    client.post("/staff-scores/kudos", data={"receiver": library.librarians[3].id, "message": "Between two"})
    client.post("/auth/logout")
    wall = client.get("/staff-scores/wall")  # the public board, where the slide's QR code leads
    assert wall.status_code == 200
    text = wall.data.decode()
    assert "Librarian 1" not in text and "Librarian 2" in text
    assert "Between two" in text and "From the shy one" not in text


def test_the_reminder_job_reminds_once_a_day_and_the_notice_job_tells_once(library, app):
    round_ = library.round("open")
    library.rate_all(round_)
    jobs = app.extensions["engage.jobs"]
    jobs.run_periodic("staff_scores:remind")
    jobs.run_periodic("staff_scores:remind")  # the same library day: nobody is reminded twice
    assert count(library, Notification, Notification.kind == "reminder") == 6
    with library.write() as session:
        session.get(Round, round_.id).closes_at = utcnow()
        session.get(Round, round_.id).closed_notice = False
    for _run in range(2):
        jobs.run_periodic("staff_scores:round-notices")
    assert count(library, Notification, Notification.kind == "round_closed") == 6
