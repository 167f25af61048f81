"""Readers' rights: everything held about a reader comes out as a ZIP of JSON and CSV; deleting
an account removes the person from core and every plugin while the ledger and every total stay
consistent; the retention setting anonymises accounts nobody used for years, once."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.boards import top
from core.identity.retention import anonymise_inactive
from core.identity.settings import save as save_settings
from core.models import BadgeAward, PointEntry, PointTotal, Role, User, utcnow
from core.notifications import notify
from core.points import award, check_totals
from core.testing import PASSWORD, create_test_user
from plugins.contributions.models import Challenge, ContributionImage, Submission
from plugins.feedback.models import FeedbackCategory, FeedbackItem


def sign_in(client, email, password=PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password})


def write(app):
    return app.extensions["engage.db"].write_session()


def a_reader_with_history(app, **fields):
    """A reader with points (and so badges), a notification, a feedback item and a submission."""
    reader = create_test_user(app, cohort="History", member_number=f"S{utcnow().microsecond}", **fields)
    with app.app_context(), write(app) as session:
        for n, amount in enumerate((70, 50)):
            award(session, user_id=reader.id, amount=amount, rule="read", plugin="core", idempotency_key=f"r{reader.id}-{n}")
        notify(session, user_id=reader.id, plugin="core", kind="hello", message={"en": "Hello there", "zh_Hans": "你好"})
        category = session.execute(select(FeedbackCategory)).scalars().first()
        if category is None:
            category = FeedbackCategory(key="noise", name_en="Noise", name_zh="噪音")
            session.add(category)
            session.flush()
        session.add(FeedbackItem(submitter_id=reader.id, category_id=category.id, text="Too loud by the stairs, call me on 555",
                                 location="Floor 2", show_name=True, allow_publish=True, published=True))
        challenge = Challenge(title_en="Review", title_zh="书评", opens_at=utcnow() - timedelta(days=1),
                              closes_at=utcnow() + timedelta(days=1))
        session.add(challenge)
        session.flush()
        image = ContributionImage(user_id=reader.id, data=b"png", content_type="image/png", width=1, height=1,
                                  sha256="0" * 64, fingerprint="0" * 16)
        session.add(image)
        session.flush()
        session.add(Submission(challenge_id=challenge.id, user_id=reader.id, text="My review of Ulysses",
                               image_id=image.id, status="approved"))
    return reader


def test_my_data_downloads_everything_as_json_and_csv(app):
    reader = a_reader_with_history(app, locale="zh_Hans")
    client = app.test_client()
    sign_in(client, reader.email)
    page = client.get("/account/data")
    assert page.status_code == 200 and "下载我的数据" in page.get_data(as_text=True)
    response = client.get("/account/data/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    for stem in ("core/profile", "core/points_history", "core/badges", "core/notifications", "core/mail_preferences",
                 "feedback/feedback", "contributions/submissions", "brand_stories/ballots", "staff_scores/kudos"):
        assert f"{stem}.json" in names and f"{stem}.csv" in names, stem
    [profile] = json.loads(archive.read("core/profile.json"))
    assert profile["email"] == reader.email and profile["cohort"] == "History"
    assert "password_hash" not in profile and "session_generation" not in profile
    points = json.loads(archive.read("core/points_history.json"))
    assert sorted(p["amount"] for p in points) == [50, 70]
    assert {b["badge_key"] for b in json.loads(archive.read("core/badges.json"))} >= {"core:first-points", "core:points-100"}
    assert json.loads(archive.read("feedback/feedback.json"))[0]["text"].startswith("Too loud")
    rows = list(csv.DictReader(io.StringIO(archive.read("contributions/submissions.csv").decode("utf-8-sig"))))
    assert rows[0]["text"] == "My review of Ulysses"
    assert "data" not in json.loads(archive.read("contributions/pictures.json"))[0]  # no image bytes
    assert "core/points_history: 2" in archive.read("README.txt").decode()


def test_someone_else_cannot_download_my_data(app):
    assert app.test_client().get("/account/data/export").status_code == 302  # sign in first


@pytest.mark.parametrize("form, field_error", [
    ({"current": "not my password", "confirm_email": "{email}"}, "current password is not right"),
    ({"current": PASSWORD, "confirm_email": "someone@else.test"}, "Type your email address exactly"),
])
def test_deleting_needs_the_password_and_the_typed_address(app, form, field_error):
    reader = a_reader_with_history(app)
    client = app.test_client()
    sign_in(client, reader.email)
    data = {key: value.replace("{email}", reader.email) for key, value in form.items()}
    answer = client.post("/account/delete", data=data)
    assert answer.status_code == 400 and field_error in answer.get_data(as_text=True)
    with app.extensions["engage.db"].session() as session:
        user = session.get(User, reader.id)
        assert user.anonymised_at is None and user.email == reader.email and user.is_active


def test_a_staff_account_is_not_deleted_by_its_owner(app):
    librarian = create_test_user(app, role=Role.librarian)
    client = app.test_client()
    sign_in(client, librarian.email)
    answer = client.post("/account/delete", data={"current": PASSWORD, "confirm_email": librarian.email})
    assert answer.status_code == 400 and "staff account" in answer.get_data(as_text=True)


def test_a_deleted_account_leaves_no_person_but_the_ledger_and_totals_stay(app_factory):
    app = app_factory(ISSUER_EMAIL="library@test.library", PUBLIC_BASE_URL="https://engage.library.test")
    reader = a_reader_with_history(app)
    stays = create_test_user(app)
    with app.app_context(), write(app) as session:
        award(session, user_id=stays.id, amount=30, rule="read", plugin="core", idempotency_key="stays")
        assert [row.user_id for row in top(session, period="all", limit=10)][:2] == [reader.id, stays.id]
        grand_total = session.execute(select(func.sum(PointEntry.amount))).scalar_one()
        award_id = session.execute(select(BadgeAward.id).where(BadgeAward.user_id == reader.id)).scalars().first()
    assert app.test_client().get(f"/openbadges/assertions/{award_id}").status_code == 200
    client = app.test_client()
    sign_in(client, reader.email)
    answer = client.post("/account/delete", data={"current": PASSWORD, "confirm_email": " " + reader.email.upper()})
    assert answer.status_code == 302
    assert client.get("/me").status_code == 302  # signed out
    assert sign_in(app.test_client(), reader.email).status_code == 400
    with app.app_context(), app.extensions["engage.db"].session() as session:
        user = session.get(User, reader.id)
        assert user.anonymised_at is not None and not user.is_active
        assert reader.email not in user.email and user.display_name == "Deleted account"
        assert user.member_number is None and user.cohort is None
        # the ledger and the totals: untouched, and still equal
        assert session.execute(select(func.count()).select_from(PointEntry).where(PointEntry.user_id == reader.id)).scalar_one() == 2
        assert session.get(PointTotal, reader.id).total == 120
        assert session.execute(select(func.sum(PointEntry.amount))).scalar_one() == grand_total
        assert check_totals(session) == []
        # boards lose the person
        assert [row.user_id for row in top(session, period="all", limit=10)] == [stays.id]
        # badges withdrawn; plugins forgot their part
        assert all(b.revoked_at is not None for b in session.execute(select(BadgeAward).where(
            BadgeAward.user_id == reader.id)).scalars())
        item = session.execute(select(FeedbackItem).where(FeedbackItem.submitter_id == reader.id)).scalar_one()
        assert (item.text, item.location, item.published, item.show_name) == ("", "", False, False)
        submission = session.execute(select(Submission).where(Submission.user_id == reader.id)).scalar_one()
        assert (submission.text, submission.status, submission.image_id) == ("", "withdrawn", None)
        assert session.execute(select(func.count()).select_from(ContributionImage)).scalar_one() == 0
    assert app.test_client().get(f"/openbadges/assertions/{award_id}").status_code == 410  # withdrawn
    assert app.test_client().get(f"/people/{reader.id}").status_code == 404


def test_retention_anonymises_accounts_unseen_for_years_once(app):
    old = a_reader_with_history(app)
    recent = create_test_user(app)
    librarian = create_test_user(app, role=Role.librarian)
    long_ago = utcnow() - timedelta(days=3 * 366)
    with app.app_context(), write(app) as session:
        for user_id in (old.id, librarian.id):
            session.get(User, user_id).last_seen_at = long_ago
        assert check_totals(session) == []
    assert anonymise_inactive(app) == 0  # no retention set: nothing happens
    with app.app_context(), write(app) as session:
        save_settings(session, verification=False, years=2, actor_id=None)
    app.extensions["engage.jobs"].run_periodic("core:retention")
    assert anonymise_inactive(app) == 0  # idempotent: done once
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert session.get(User, old.id).anonymised_at is not None
        assert session.get(User, recent.id).anonymised_at is None
        assert session.get(User, librarian.id).anonymised_at is None  # staff are never anonymised by time
        assert check_totals(session) == []
        assert session.get(PointTotal, old.id).total == 120


def test_the_account_settings_page_saves_both_settings(app):
    admin = create_test_user(app, role=Role.admin)
    client = app.test_client()
    sign_in(client, admin.email)
    assert client.get("/admin/accounts").status_code == 200
    bad = client.post("/admin/accounts", data={"verification": "y", "retention_years": "-3"})
    assert bad.status_code == 400
    assert client.post("/admin/accounts", data={"verification": "y", "retention_years": "5"}).status_code == 302
    with app.app_context(), app.extensions["engage.db"].session() as session:
        from core.identity.settings import retention_years, verification_required

        assert verification_required(session) and retention_years(session) == 5


def test_brand_stories_and_staff_scores_forget_their_part(app):
    from plugins.brand_stories.models import Contest, Design, StoryImage
    from plugins.staff_scores.models import Kudos, Preference

    from core.identity.privacy import forget_user

    reader = create_test_user(app)
    librarian, colleague = create_test_user(app, role=Role.librarian), create_test_user(app, role=Role.librarian)
    now = utcnow()
    with app.app_context(), write(app) as session:
        image = StoryImage(data=b"png", content_type="image/png", width=1, height=1)
        contest = Contest(title_en="Mascot", title_zh="吉祥物", submissions_close_at=now, voting_opens_at=now,
                          voting_closes_at=now + timedelta(days=1))
        session.add_all([image, contest])
        session.flush()
        session.add(Design(contest_id=contest.id, user_id=reader.id, title="Owl", description="Drawn by me, Wang Fang",
                           image_id=image.id))
        session.add(Kudos(giver_id=librarian.id, receiver_id=colleague.id, message="Thanks for covering, from Li"))
        session.add(Preference(user_id=librarian.id, show_publicly=False))
    with app.app_context(), write(app) as session:
        forget_user(session, user_id=reader.id, actor_id=None)
        forget_user(session, user_id=librarian.id, actor_id=None, action="account.anonymise")
    with app.extensions["engage.db"].session() as session:
        design = session.execute(select(Design)).scalar_one()
        assert (design.title, design.description) == ("Owl", "")
        assert session.execute(select(Kudos.message)).scalar_one() == ""
        assert session.get(Preference, librarian.id) is None


# Tables that name a person only as the member of staff who made or decided something: kept as the
# record of a staff action (staff accounts are not deleted by their owners), not a reader's data.
STAFF_RECORDS = {
    "core_api_key": "the administrator who created an API key",
    "core_roster_import": "the administrator who imported a roster",
    "core_screen": "the librarian who set up a lobby screen",
    "core_term_recount": "the administrator whose term change started a recount",
    "core_webhook_endpoint": "the administrator who subscribed a webhook",
    "feedback_inspiration": "the librarian who marked feedback as having inspired a change",
    "staff_scores_rubric": "the librarian who wrote a rubric",
}


def test_every_table_that_names_a_person_answers_the_readers_rights_hooks(app):
    """A table with a column pointing at an account is read by its owner's "My data" export and
    "forget" hooks (core's, or its plugin's), or is listed above with the reason it is not: a new
    table cannot be forgotten silently (the CAS plugin's sign-in table once was)."""
    from pathlib import Path

    from sqlmodel import SQLModel

    root = Path(__file__).parent.parent
    plugins = sorted((p.name for p in (root / "plugins").iterdir() if (p / "plugin.py").exists()), key=len,
                     reverse=True)
    classes = {mapper.local_table.name: mapper.class_.__name__ for mapper in SQLModel._sa_registry.mappers}

    def rights_code(owner: str) -> str:  # the modules that implement the hooks, and what they call
        folder = root / ("core" if owner == "core" else f"plugins/{owner}")
        return "\n".join(p.read_text(encoding="utf-8") for p in folder.rglob("*.py")
                         if "privacy" in p.name or p.name == "plugin.py")

    missing = []
    for name, table in sorted(SQLModel.metadata.tables.items()):
        if name in STAFF_RECORDS or not any(fk.column.table.name == User.__tablename__
                                            for column in table.columns for fk in column.foreign_keys):
            continue
        owner = next((p for p in plugins if name.startswith(p + "_")), "core")
        code = rights_code(owner)
        if classes.get(name, name) not in code and name not in code:
            missing.append(f"{name} ({owner})")
    assert not missing, f"tables naming a person that no readers'-rights hook reads: {missing}"
    assert set(STAFF_RECORDS) <= set(SQLModel.metadata.tables)  # no stale entries


def test_points_still_queued_are_in_my_data(app):
    from core.identity.privacy_core import engage_user_data
    from core.models import PendingReward

    reader = create_test_user(app)
    with app.app_context(), write(app) as session:
        session.add(PendingReward(user_id=reader.id, amount=3, rule="vote", plugin="brand_stories",
                                  idempotency_key="pending:1"))
    with app.app_context(), app.extensions["engage.db"].session() as session:
        [row] = engage_user_data(session, reader.id)["points_pending"]
    assert (row["amount"], row["rule"]) == (3, "vote") and "idempotency_key" not in row
