"""The world the authorization matrix (tests/test_authz_matrix.py) runs in: five signed-in roles
and real objects of every plugin, most of them owned by ``reader`` or by a second librarian, so
that the others' requests are requests for someone else's things.

``World`` is a mapping from names to ids (``world["pending_submission"]``); a name that starts
with ``new_`` makes a fresh object of that kind for one cell (an allowed action changes or uses up
what it acts on: withdrawing, approving, deleting), so the shared objects stay as built.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import timedelta
from io import BytesIO

from PIL import Image
from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from core import screens
from core.approvals.service import request_adjustment
from core.badges import award_manually
from core.models import Role, Screen, User, utcnow
from core.notifications import notify
from core.periods import TermSpan
from core.plugins import set_enabled
from core.terms import save_term
from core.testing import PASSWORD, create_test_user

ANON, READER, OTHER, LIBRARIAN, ADMIN = "anonymous", "reader", "other_reader", "librarian", "admin"
ROLES = (ANON, READER, OTHER, LIBRARIAN, ADMIN)
# The sign-in provider plugins stay on: core's settings page of a provider answers 404 while its
# plugin is off, which one outcome per role and state cannot say (tests/test_identity_providers.py does).
PLUGINS = ("contributions", "brand_stories", "feedback", "staff_scores",
           "rewards")
# The relationship dashboard, switched with the activity plugins.
PLUGINS += ("insights",)
# Badges librarians make.
PLUGINS += ("badgemaker",)
PLUGINS += ("events",)
PLUGINS += ("inbound",)


def png(colour=(200, 30, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


class World(dict):
    """Ids by name, the role's test clients, plugin switching and table counts."""

    def __init__(self, app) -> None:
        super().__init__()
        self.app = app
        self.db = app.extensions["engage.db"]
        self.clients: dict[str, object] = {}
        self.emails: dict[str, str] = {}
        self.state = "on"
        self["plugins_on"] = "1"
        self["reader_number"] = "S-MATRIX"  # the API answers 401 before it looks anyone up
        # Words only some roles may read, on any page: {text: roles that may}.
        self.secrets: dict[str, set[str]] = {}
        self.seen: set[str] = set()  # private words some allowed role was shown
        self.cells = 0
        self._numbers = itertools.count(1)
        self._years = itertools.count(1)  # apart from _numbers, which can pass 7,400 in one process

    # --- ids, fresh objects ----------------------------------------------------------------

    def __missing__(self, name: str):
        if name.startswith("new_"):
            return getattr(self, "make_" + name[4:])()
        raise KeyError(name)

    def session(self):
        return self.db.write_session()

    def context(self):
        return self.app.test_request_context("/")

    # --- signing in ---------------------------------------------------------------------------

    def client(self, role: str):
        """The role's signed-in client; anonymous requests get a fresh client every time."""
        if role == ANON:
            return self.app.test_client()
        return self.clients[role]

    def sign_in(self, role: str) -> None:
        client = self.app.test_client()
        response = client.post("/auth/login", data={"email": self.emails[role], "password": PASSWORD})
        assert response.status_code == 302, f"{role} could not sign in"
        self.clients[role] = client

    # --- plugins ------------------------------------------------------------------------------

    def switch(self, state: str) -> None:
        """All plugins on or all off (every worker sees it at its next request)."""
        if state == self.state:
            return
        with self.context(), self.session() as session:
            for name in PLUGINS:
                set_enabled(session, name=name, enabled=state == "on", actor_id=None)
        self.state = state
        self["plugins_on"] = "1" if state == "on" else "0"

    def owner_plugin(self, endpoint: str) -> str | None:
        host = self.app.extensions["engage.plugins"]
        return host.blueprint_owner.get(endpoint.split(".")[0]) if "." in endpoint else None

    # --- what a refused request must not change -----------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows in every table, in one query."""
        tables = sorted(SQLModel.metadata.tables)
        sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {name})" for name in tables)
        with self.db.engine.connect() as conn:
            return dict(zip(tables, conn.execute(text(sql)).one()))

    # --- fresh objects, one per cell ----------------------------------------------------------

    def _user(self, role=Role.student) -> User:
        n = next(self._numbers)
        return create_test_user(self.app, role, email=f"fresh{n}@test.library", display_name=f"Fresh {n}")

    def make_api_key(self) -> int:
        """A fresh API key (its revocation uses it up)."""
        from core.api.keys import create_key

        with self.context(), self.session() as session:
            return create_key(session, name=f"Matrix key {next(self._numbers)}", scopes=["boards:read"],
                              actor_id=None).key.id

    def make_student(self) -> int:
        return self._user().id

    def make_public_student(self) -> int:
        user = self._user()
        with self.session() as session:
            session.get(User, user.id).public_profile = True
        return user.id

    def make_deactivated_public_student(self) -> int:
        user = self._user()
        with self.session() as session:
            row = session.get(User, user.id)
            row.public_profile, row.is_active = True, False
        return user.id

    def make_address(self) -> str:
        return f"newcomer{next(self._numbers)}@test.library"

    def make_champion(self) -> int:
        """A reader holding the manual badge (to withdraw it); returns the user id."""
        user = self._user()
        with self.context(), self.session() as session:
            award_manually(session, user_id=user.id, key="core:champion", actor_id=self["librarian2"],
                           reason="for the matrix")
        return user.id

    def make_public_award(self) -> int:
        """An award whose holder keeps a public page (its Open Badges 3.0 credential is anyone's to fetch)."""
        holder = self.make_public_student()
        with self.context(), self.session() as session:
            return award_manually(session, user_id=holder, key="core:champion", actor_id=self["librarian2"],
                                  reason="for the matrix").id

    def make_champion_email(self) -> str:
        with self.db.session() as session:
            return session.get(User, self.make_champion()).email

    def make_student_email(self) -> str:
        with self.db.session() as session:
            return session.get(User, self.make_student()).email

    def make_term(self) -> str:
        n = next(self._numbers)
        year = 2100 + n
        key = f"{year}-matrix"
        with self.context(), self.session() as session:
            save_term(session, term=TermSpan(key, f"Term {n}", f"学期 {n}", utcnow().date().replace(year=year),
                                             utcnow().date().replace(year=year) + timedelta(days=30)), actor_id=None)
        return key

    def make_term_key(self) -> str:
        """A term key no term has, and (as ``term_starts``/``term_ends``) dates no term covers."""
        year = 2100 + 500 + next(self._years)
        self["term_starts"], self["term_ends"] = f"{year}-01-01", f"{year}-02-01"
        return f"{year}-made"

    # --- rewards: fresh tokens and vouchers -------------------------------------------------
    def make_token(self) -> str:
        """A fresh redeem-form token (each form shown redeems once)."""
        return f"matrix-token-{next(self._numbers)}"

    def make_voucher_code(self) -> str:
        """An issued voucher of the reader's, to fulfil or cancel."""
        from plugins.rewards import service

        with self.context(), self.session() as session:
            voucher, _new = service.redeem(session, perk_id=self["perk"], user=session.get(User, self[READER]),
                                           key=f"matrix-{next(self._numbers)}")
            return voucher.code

    def make_recount(self) -> int:
        """A recount of term totals, just started."""
        from core import term_recount

        with self.context(), self.session() as session:
            return term_recount.start(session, actor_id=None).id

    def make_faculty_code(self) -> str:
        return f"MATRIX-{next(self._numbers)}"

    def make_faculty(self) -> int:
        from core.identity.faculties import save_faculty

        code = self.make_faculty_code()
        with self.context(), self.session() as session:
            return save_faculty(session, code=code, name_en=f"Faculty {code}", name_zh=f"学院 {code}").id

    def make_roster_import(self) -> int:
        """A checked (empty) faculties table, waiting to be applied."""
        from core.identity import imports
        from core.identity.roster import Plan

        with self.context(), self.session() as session:
            return imports.keep(session, kind="faculties", plan=Plan(), filename="matrix.csv", actor_id=None).id

    def make_screen(self) -> int:
        with self.context(), self.session() as session:
            screen = Screen(name=f"Screen {next(self._numbers)}", slides=json.dumps(["board:all"]))
            session.add(screen)
            session.flush()
            return screen.id

    def make_request(self) -> int:
        """An adjustment waiting for a second librarian: asked by librarian2, for reader."""
        with self.context(), self.session() as session:
            outcome = request_adjustment(session, user_id=self["reader"], amount=900, actor_id=self["librarian2"],
                                         reason="matrix", nonce=f"matrix-{next(self._numbers)}", max_amount=10_000)
            return outcome.request.id

    # --- webhooks out ---------------------------------------------------------------------------
    # A documentation address (TEST-NET-1): refused at delivery as not public, so nothing leaves.

    def make_webhook(self) -> int:
        from core.webhooks.models import WebhookEndpoint

        with self.session() as session:
            endpoint = WebhookEndpoint(url=f"http://192.0.2.1/hook/{next(self._numbers)}",
                                       event_types="points.awarded", secret="whsec_" + "A" * 43)
            session.add(endpoint)
            session.flush()
            return endpoint.id

    def make_webhook_delivery(self) -> int:
        from core.webhooks.models import WebhookDelivery

        endpoint_id = self.make_webhook()
        with self.session() as session:
            delivery = WebhookDelivery(endpoint_id=endpoint_id, message_id=f"msg_matrix{next(self._numbers)}",
                                       event_type="points.awarded", payload="{}", status="delivered", attempts=1)
            session.add(delivery)
            session.flush()
            return delivery.id

    def make_nonce(self) -> str:
        return f"nonce-{next(self._numbers)}"

    def make_pending_submission(self) -> int:
        from plugins.contributions.models import Submission

        with self.session() as session:
            row = Submission(challenge_id=self["challenge"], user_id=self["reader"],
                             text=f"Pending work {next(self._numbers)}")
            session.add(row)
            session.flush()
            return row.id

    def make_approved_submission(self) -> int:
        from plugins.contributions.models import Submission

        with self.session() as session:
            row = Submission(challenge_id=self["challenge"], user_id=self["reader"], status="approved",
                             text=f"Approved work {next(self._numbers)}", reviewed_at=utcnow())
            session.add(row)
            session.flush()
            return row.id

    def make_design(self) -> int:
        from plugins.brand_stories.models import Design, StoryImage

        with self.session() as session:
            image = StoryImage(data=png(), content_type="image/png", width=8, height=8)
            session.add(image)
            session.flush()
            design = Design(contest_id=self["contest_open"], user_id=self["reader"], title="A fresh design",
                            image_id=image.id)
            session.add(design)
            session.flush()
            return design.id

    def make_poll(self) -> int:
        from plugins.brand_stories.models import Poll, PollOption

        now = utcnow()
        with self.session() as session:
            poll = Poll(episode_id=self["episode"], question_en="Next?", question_zh="接下来？",
                        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=5))
            session.add(poll)
            session.flush()
            session.add(PollOption(poll_id=poll.id, text_en="Yes", text_zh="是"))
            return poll.id

    def make_feedback(self) -> int:
        """A reader's new item, private."""
        from plugins.feedback.models import FeedbackItem

        with self.session() as session:
            item = FeedbackItem(submitter_id=self["reader"], category_id=self["category"], text="Too cold upstairs.")
            session.add(item)
            session.flush()
            return item.id

    # --- things the librarian made: nobody pays, rates or approves their own ------------------

    def make_librarians_submission(self) -> int:
        from plugins.contributions.models import Submission

        with self.session() as session:
            row = Submission(challenge_id=self["challenge"], user_id=self[LIBRARIAN],
                             text=f"A librarian's own review {next(self._numbers)}")
            session.add(row)
            session.flush()
            return row.id

    def make_librarians_approved_submission(self) -> int:
        from plugins.contributions.models import Submission

        with self.session() as session:
            row = Submission(challenge_id=self["challenge"], user_id=self[LIBRARIAN], status="approved",
                             text=f"A librarian's approved review {next(self._numbers)}", reviewed_at=utcnow())
            session.add(row)
            session.flush()
            return row.id

    def make_librarians_design(self) -> int:
        from plugins.brand_stories.models import Design, StoryImage

        with self.session() as session:
            image = StoryImage(data=png(), content_type="image/png", width=8, height=8)
            session.add(image)
            session.flush()
            design = Design(contest_id=self["contest_open"], user_id=self[LIBRARIAN], title="The librarian's own",
                            image_id=image.id)
            session.add(design)
            session.flush()
            return design.id

    def make_librarians_request(self) -> int:
        """An adjustment the librarian asked for (for reader): a second librarian must decide."""
        with self.context(), self.session() as session:
            outcome = request_adjustment(session, user_id=self[READER], amount=900, actor_id=self[LIBRARIAN],
                                         reason="matrix", nonce=f"matrix-{next(self._numbers)}", max_amount=10_000)
            return outcome.request.id

    def make_librarians_answered_feedback(self) -> int:
        """The librarian's own feedback, answered by the librarian: waiting for the submitter's rating."""
        from plugins.feedback.models import FeedbackItem

        now = utcnow()
        with self.session() as session:
            item = FeedbackItem(submitter_id=self[LIBRARIAN], category_id=self["category"], text="The printer jams.",
                                state="responded", responder_id=self[LIBRARIAN], responded_at=now,
                                first_response_at=now)
            session.add(item)
            session.flush()
            return item.id

    def make_librarians_feedback(self) -> int:
        """The librarian's own new item."""
        from plugins.feedback.models import FeedbackItem

        with self.session() as session:
            item = FeedbackItem(submitter_id=self[LIBRARIAN], category_id=self["category"], text="The lift is slow.")
            session.add(item)
            session.flush()
            return item.id

    def make_closed_round(self) -> int:
        from plugins.staff_scores.models import Round

        now = utcnow()
        with self.session() as session:
            row = Round(title_en="Closed", title_zh="已结束", rubric_id=self["rubric"],
                        opens_at=now - timedelta(days=20), closes_at=now - timedelta(days=1),
                        created_by=self["librarian2"])
            session.add(row)
            session.flush()
            return row.id

    # --- badgemaker ---------------------------------------------------------------------------

    def make_badge_name(self) -> str:
        return f"Matrix badge {next(self._numbers)}"

    def make_made_badge(self) -> int:
        """Written directly, so that it can be made while the plugin is switched off too."""
        from core.badges import runtime_rules_changed
        from plugins.badgemaker.models import MadeBadge, Requirement

        name = self.make_badge_name()
        with self.context(), self.session() as session:
            badge = MadeBadge(key=f"badgemaker:matrix-{next(self._numbers)}", name_en=name, name_zh=name + " 中",
                              how_en="Take part.", how_zh="参加。", created_by=self["librarian2"])
            session.add(badge)
            session.flush()
            session.add(Requirement(badge_id=badge.id, criterion="badgemaker:activities", option="*", goal=3))
            runtime_rules_changed(session)
            return badge.id


def build(app) -> World:
    """Users, their clients, and one of each thing worth protecting."""
    world = World(app)
    people = {READER: (Role.student, {"public_profile": True, "cohort": "History"}), OTHER: (Role.student, {}),
              LIBRARIAN: (Role.librarian, {}), ADMIN: (Role.admin, {}), "librarian2": (Role.librarian, {})}
    for name, (role, extra) in people.items():
        user = create_test_user(app, role, email=f"{name}@test.library", display_name=name.title())
        world[name], world.emails[name] = user.id, user.email
        if extra:
            with world.session() as session:
                row = session.get(User, user.id)
                for key, value in extra.items():
                    setattr(row, key, value)
    now = utcnow()
    with world.context(), world.session() as session:
        world["note"] = notify(session, user_id=world[READER], plugin="core", kind="matrix",
                               message={"en": "For the reader", "zh_Hans": "给读者"}, url="/me")
        world["award"] = award_manually(session, user_id=world[READER], key="core:champion",
                                        actor_id=world["librarian2"], reason="for the matrix").id
        # Open Badges 3.0: a badge whose holder keeps no public page is theirs alone to download.
        world["private_award"] = award_manually(session, user_id=world[OTHER], key="core:champion",
                                                actor_id=world["librarian2"], reason="for the matrix").id
        screen = Screen(name="Lobby", slides=json.dumps(["board:all"]))
        session.add(screen)
        session.flush()
        world["screen_token"] = screens.make_token(screen)
    _contributions(world, now)
    _brand_stories(world, now)
    _feedback(world, now)
    _staff_scores(world, now)
    _rewards(world, now)
    world["made_badge"] = world.make_made_badge()
    _events(world, now)
    _inbound(world)
    staff = {LIBRARIAN, ADMIN}
    world.secrets = {
        "reader@test.library": {READER} | staff,  # a reader's email: theirs and the library's
        "For the reader": {READER},  # a notification
        "A pending review": {READER} | staff, "A rejected review": {READER} | staff,
        "Mine, pending": {READER} | staff,  # a design waiting for moderation
        "Secret draft": staff, "Secret question of a draft": staff,  # an unpublished episode and its poll
        "Private complaint": {READER} | staff,
        "Internal note about the heating": staff,  # a note the reader is not shown
        "approval</strong>": set(), "approvals</strong>": set(),  # an open poll's hidden counts
        "Unpublished comment": set(),  # colleagues' comments before the results are published
        world["voucher_code"]: {READER} | staff,  # a reader's voucher: theirs and the desk's
    }
    for role in ROLES[1:]:
        world.sign_in(role)
    return world


def _contributions(world: World, now) -> None:
    from plugins.contributions.models import Challenge, ContributionImage, Submission

    with world.session() as session:
        challenge = Challenge(title_en="Review a book", title_zh="书评", opens_at=now - timedelta(days=1),
                              closes_at=now + timedelta(days=30), max_per_user=1000, created_by=world["librarian2"])
        session.add(challenge)
        session.flush()
        world["challenge"] = challenge.id
        images = {}
        for status in ("pending", "approved", "rejected"):
            digest = hashlib.sha256(status.encode()).hexdigest()
            image = ContributionImage(user_id=world[READER], data=png(), content_type="image/png", width=8, height=8,
                                      sha256=digest, fingerprint=digest[:16])
            session.add(image)
            session.flush()
            images[status] = image.id
            row = Submission(challenge_id=challenge.id, user_id=world[READER], text=f"A {status} review",
                             status=status, image_id=image.id)
            session.add(row)
            session.flush()
            world[f"{status}_submission"], world[f"{status}_submission_image"] = row.id, image.id


def _brand_stories(world: World, now) -> None:
    from plugins.brand_stories.models import (Ballot, Character, Contest, Design, Episode, Poll, PollOption,
                                              Series, StoryImage)

    def image(session):
        row = StoryImage(data=png(), content_type="image/png", width=8, height=8)
        session.add(row)
        session.flush()
        return row.id

    with world.session() as session:
        world["portrait"] = image(session)
        character = Character(name_en="Xiao Nan", name_zh="小南", image_id=world["portrait"])
        series = Series(title_en="Tales", title_zh="故事")
        session.add_all([character, series])
        session.flush()
        world["character"], world["series"] = character.id, series.id
        world["draft_picture"] = image(session)
        episode = Episode(series_id=series.id, title_en="Out now", title_zh="已发布", publish_at=now - timedelta(days=2))
        draft = Episode(series_id=series.id, number=2, title_en="Secret draft", title_zh="草稿",
                        image_id=world["draft_picture"], publish_at=now + timedelta(days=30))
        session.add_all([episode, draft])
        session.flush()
        world["episode"], world["draft_episode"] = episode.id, draft.id
        for key, episode_id in (("poll", episode.id), ("draft_poll", draft.id)):
            question = "What next?" if key == "poll" else "Secret question of a draft"
            poll = Poll(episode_id=episode_id, question_en=question, question_zh="接下来？",
                        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=5))
            session.add(poll)
            session.flush()
            option = PollOption(poll_id=poll.id, text_en="Go on", text_zh="继续")
            session.add(option)
            session.flush()
            world[key], world[key + "_option"] = poll.id, option.id
        open_contest = Contest(title_en="Draw a friend", title_zh="画一个朋友", submissions_close_at=now + timedelta(days=5),
                               voting_opens_at=now + timedelta(days=6), voting_closes_at=now + timedelta(days=9))
        voting = Contest(title_en="Vote", title_zh="投票", submissions_close_at=now - timedelta(days=5),
                         voting_opens_at=now - timedelta(days=1), voting_closes_at=now + timedelta(days=9))
        closed = Contest(title_en="Past", title_zh="往届", submissions_close_at=now - timedelta(days=20),
                         voting_opens_at=now - timedelta(days=15), voting_closes_at=now - timedelta(days=10),
                         tallied_at=now - timedelta(days=10))
        session.add_all([open_contest, voting, closed])
        session.flush()
        world["contest_open"], world["contest_voting"], world["contest_closed"] = \
            open_contest.id, voting.id, closed.id
        world["pending_design_image"] = image(session)
        pending = Design(contest_id=open_contest.id, user_id=world[READER], title="Mine, pending",
                         image_id=world["pending_design_image"])
        world["accepted_design_image"] = image(session)
        accepted = Design(contest_id=voting.id, user_id=world["librarian2"], title="Accepted", status="accepted",
                          image_id=world["accepted_design_image"])
        session.add_all([pending, accepted])
        session.flush()
        world["pending_design"], world["accepted_design"] = pending.id, accepted.id
        # A ballot in the open poll, whose counts stay hidden until it closes.
        session.add(Ballot(poll_id=world["poll"], user_id=world[OTHER], choices=json.dumps([world["poll_option"]])))


def _feedback(world: World, now) -> None:
    from plugins.feedback import service
    from plugins.feedback.models import FeedbackDepartment, FeedbackEvent, FeedbackItem, FeedbackPhoto

    with world.context(), world.session() as session:
        service.ensure_categories(session)
        world["category"] = service.categories(session)[0].id
        department = FeedbackDepartment(name_en="Reading rooms", name_zh="阅览室")
        session.add(department)
        private = FeedbackItem(submitter_id=world[READER], category_id=world["category"], text="Private complaint",
                               show_name=False, allow_publish=False)
        shared = FeedbackItem(submitter_id=world[READER], category_id=world["category"], text="Shared complaint",
                              allow_publish=True)
        session.add_all([private, shared])
        session.flush()
        session.add(FeedbackPhoto(item_id=private.id, data=png(), content_type="image/png", width=8, height=8))
        session.add(FeedbackEvent(item_id=private.id, actor_id=world["librarian2"], from_state="submitted",
                                  to_state="submitted", note="Internal note about the heating", public=False))
        world["private_feedback"], world["shared_feedback"], world["department"] = private.id, shared.id, department.id


def _staff_scores(world: World, now) -> None:
    from plugins.staff_scores.models import Criterion, Review, ReviewMark, Round, Rubric

    with world.session() as session:
        rubric = Rubric(version=1, created_by=world["librarian2"])
        session.add(rubric)
        session.flush()
        for n in range(2):
            criterion = Criterion(rubric_id=rubric.id, position=n, name_en=f"Criterion {n}", name_zh=f"标准 {n}")
            session.add(criterion)
            session.flush()
            world[f"criterion{n}"] = criterion.id
        world["rubric"] = rubric.id
        unused = Rubric(version=2, created_by=world["librarian2"])
        session.add(unused)
        session.flush()
        session.add(Criterion(rubric_id=unused.id, name_en="Draft criterion", name_zh="草拟标准"))
        world["unused_rubric"] = unused.id
        open_round = Round(title_en="Open", title_zh="进行中", rubric_id=rubric.id, opens_at=now - timedelta(days=1),
                           closes_at=now + timedelta(days=10), created_by=world["librarian2"])
        session.add(open_round)
        session.flush()
        world["open_round"] = open_round.id
    world["closed_round"] = world.make_closed_round()
    with world.session() as session:  # colleagues' comments in rounds not published: nobody reads them yet
        for key, rater, ratee in (("open_round", "librarian2", LIBRARIAN), ("closed_round", "librarian2", LIBRARIAN),
                                  ("closed_round", LIBRARIAN, "librarian2"), ("closed_round", ADMIN, LIBRARIAN)):
            review = Review(round_id=world[key], rater_id=world[rater], ratee_id=world[ratee],
                            comment=f"Unpublished comment {key}")
            session.add(review)
            session.flush()
            session.add_all([ReviewMark(review_id=review.id, criterion_id=world[f"criterion{n}"], value=4)
                             for n in range(2)])



def _rewards(world: World, now) -> None:
    from core.localtime import to_local
    from core.points import award
    from plugins.rewards import draws, service
    from plugins.rewards.models import Perk

    with world.context(), world.session() as session:
        for name in (READER, OTHER, LIBRARIAN, ADMIN):  # points to spend on every allowed redemption
            award(session, user_id=world[name], amount=100_000, rule="matrix", plugin="core",
                  idempotency_key=f"matrix:rewards:{name}")
        perk = Perk(name_en="Printing credit", name_zh="打印额度", cost=1, image=png(), image_type="image/png",
                    image_sha="matrix")
        session.add(perk)
        session.flush()
        world["perk"] = perk.id
        voucher, _new = service.redeem(session, perk_id=perk.id, user=session.get(User, world[READER]), key="matrix")
        world["voucher_code"] = voucher.code
        common = {"title_en": "Draw", "title_zh": "抽奖", "prize_en": "A book", "prize_zh": "一本书", "winners": 1,
                  "ticket_cost": 1, "max_bought": 1000}
        world["open_draw"] = draws.create(session, actor_id=world["librarian2"], opens_at=now - timedelta(days=1),
                                          draw_at=now + timedelta(days=30), **common).id
        drawn = draws.create(session, actor_id=world["librarian2"], opens_at=now - timedelta(days=3),
                             draw_at=now - timedelta(days=1), **common)
        draws.run(session, drawn, now)
        world["drawn_draw"] = drawn.id
        world["draw_opens"] = to_local(now).strftime("%Y-%m-%dT%H:%M")
        world["draw_at"] = to_local(now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
# --- events -------------------------------------------------------------------------------------

def _events(world: World, now) -> None:
    """An event to come and one on now (its check-in open), and its live code's token."""
    from plugins.events import codes
    from plugins.events.models import Event

    with world.context(), world.session() as session:
        for name, start, end in (("event", now + timedelta(days=3), now + timedelta(days=3, hours=2)),
                                 ("running_event", now - timedelta(minutes=10), now + timedelta(hours=2))):
            row = Event(title_en=f"Matrix {name}", title_zh="矩阵活动", place="Hall", starts_at=start, ends_at=end,
                        capacity=100, points=5, created_by=world["librarian2"])
            session.add(row)
            session.flush()
            world[name] = row.id
        world["live_token"] = codes.live_token(world["running_event"])


def _make_reader_code(self) -> str:
    """The reader's personal code as it is now (the reader may have replaced it in a case)."""
    from plugins.events import codes

    with self.context(), self.session() as session:
        return codes.current_reader_code(session, self[READER])


def _make_reader_feed_token(self) -> str:
    """The reader's calendar token as it is now."""
    from plugins.events import codes

    with self.context(), self.session() as session:
        return codes.current_feed_token(session, self[READER])


def _make_event(self, start=None) -> int:
    """An event to come, for a request that registers or cancels."""
    from plugins.events.models import Event

    with self.session() as session:
        start = start or utcnow() + timedelta(days=2)
        row = Event(title_en=f"Matrix event {next(self._numbers)}", title_zh="矩阵活动", place="Hall",
                    starts_at=start, ends_at=start + timedelta(hours=1), capacity=100, points=5)
        session.add(row)
        session.flush()
        return row.id


def _make_running_event(self) -> int:
    """An event on now that no one has checked in to yet (other cases check the reader in to
    ``running_event``, after which its check-in page says so whatever the code)."""
    return self.make_event(utcnow() - timedelta(minutes=10))


def _make_checkin_code(self) -> str:
    """The running event's code of this 30-second step."""
    from plugins.events import codes

    with self.context():
        return codes.checkin_code(self["running_event"])


World.make_event = _make_event
World.make_running_event = _make_running_event
World.make_checkin_code = _make_checkin_code
World.make_reader_code = _make_reader_code
World.make_reader_feed_token = _make_reader_feed_token


# --- inbound: events from the library's systems ---------------------------------------------------

def _inbound(world: World) -> None:
    """A rule librarians wrote (switched on, so a replay may start)."""
    from plugins.inbound.models import InboundRule

    with world.session() as session:
        rule = InboundRule(name="Matrix loans", kind="loan", points=2, active=True, created_by=world["librarian2"])
        session.add(rule)
        session.flush()
        world["inbound_rule"] = rule.id


def _make_inbound_upload(self) -> int:
    """A checked CSV waiting to be applied (no rows: applying it stores nothing)."""
    from plugins.inbound.models import InboundUpload

    with self.session() as session:
        row = InboundUpload(filename="matrix.csv", rows="[]", created_by=self["librarian2"])
        session.add(row)
        session.flush()
        return row.id


World.make_inbound_upload = _make_inbound_upload
