"""Shared set-up for the brand-stories tests: the demo brand in a fresh database, and sign-in."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from PIL import Image
from sqlmodel import select

from core.models import Role, utcnow
from core.rewards import pay_all
from core.testing import PASSWORD, create_test_user
from plugins.brand_stories import demo
from plugins.brand_stories.models import Contest, Poll, PollOption


def png(size=(64, 64), colour="#9b2226") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def login(app, user):
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    return client


class Stories:
    """The demo brand plus handy people and rows; ``session()`` opens a write session."""

    def __init__(self, app):
        self.app = app
        self.db = app.extensions["engage.db"]
        self.students = [create_test_user(app, Role.student) for _ in range(6)]
        self.librarian = create_test_user(app, Role.librarian)
        with app.test_request_context(), self.db.write_session() as session:
            demo.populate(session, random.Random(7), self.students, [self.librarian])
        with self.db.session() as session:
            self.poll = session.exec(select(Poll)).first()
            self.options = session.exec(select(PollOption).where(PollOption.poll_id == self.poll.id).order_by(PollOption.id)).all()
            self.contest = session.exec(select(Contest)).first()

    def session(self):
        return self.db.write_session()

    def pay_rewards(self) -> int:
        """Pay the voting points core's reward queue holds (its thread is off in tests)."""
        with self.app.app_context():
            return pay_all(self.db)

    def client(self, user=None):
        return login(self.app, user) if user else self.app.test_client()

    def new_poll(self, **fields):
        """A fresh open poll on the first episode, with three options."""
        now = utcnow()
        with self.app.test_request_context(), self.session() as session:
            poll = Poll(episode_id=self.poll.episode_id, question_en="Q?", question_zh="问？",
                        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1), **fields)
            session.add(poll)
            session.flush()
            options = [PollOption(poll_id=poll.id, text_en=f"O{n}", text_zh=f"选{n}", position=n) for n in range(3)]
            session.add_all(options)
            session.flush()
            return poll, options

    def new_contest(self, state="submitting"):
        """A contest in ``state``: submitting, moderating or voting."""
        now = utcnow()
        offsets = {"submitting": (1, 2, 3), "moderating": (-1, 1, 2), "voting": (-2, -1, 1)}[state]
        with self.session() as session:
            contest = Contest(title_en="Logo", title_zh="标志", brief_en="Draw", brief_zh="画",
                              submissions_close_at=now + timedelta(days=offsets[0]),
                              voting_opens_at=now + timedelta(days=offsets[1]),
                              voting_closes_at=now + timedelta(days=offsets[2]))
            session.add(contest)
            session.flush()
            return contest


@pytest.fixture
def stories(app):
    return Stories(app)
