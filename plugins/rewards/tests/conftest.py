"""Fixtures for the rewards tests: readers with points, perks and draws."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest

from core.models import Role, utcnow
from core.points import award
from plugins.rewards import draws
from plugins.rewards.models import Perk


class Shop:
    """Helpers over the test app's database."""

    def __init__(self, app, make_user):
        self.app, self.db, self.make_user = app, app.extensions["engage.db"], make_user
        self.librarian = make_user(Role.librarian, display_name="Lin Librarian")

    @contextmanager
    def write(self):
        """A committing session inside a request context (for url building and translations)."""
        with self.app.test_request_context(), self.db.write_session() as session:
            yield session

    @contextmanager
    def read(self):
        with self.app.test_request_context(), self.db.session() as session:
            yield session

    def reader(self, points: int = 0, **fields):
        user = self.make_user(Role.student, **fields)
        if points:
            with self.write() as session:
                award(session, user_id=user.id, amount=points, rule="test", plugin="core",
                      idempotency_key=f"test:{user.id}:{points}")
        return user

    def perk(self, cost=50, stock=None, per_reader=None, audience="", **fields) -> Perk:
        with self.write() as session:
            perk = Perk(name_en=fields.pop("name_en", "Printing credit"), name_zh=fields.pop("name_zh", "打印额度"),
                        cost=cost, stock=stock, per_reader=per_reader, audience=audience, **fields)
            session.add(perk)
            session.flush()
            return perk

    def draw(self, *, open_now=True, **fields):
        now = utcnow()
        values = {"title_en": "Term draw", "title_zh": "学期抽奖", "prize_en": "An e-reader", "prize_zh": "电子阅读器",
                  "winners": 2, "ticket_cost": 10, "max_bought": 5, "earn_per_activity": False, "max_earned": 0,
                  "opens_at": now - timedelta(days=1), "draw_at": now + timedelta(days=1) if open_now else now - timedelta(minutes=1)}
        values.update(fields)
        with self.write() as session:
            return draws.create(session, actor_id=self.librarian.id, **values)


@pytest.fixture
def shop(app, make_user):
    return Shop(app, make_user)


@pytest.fixture
def login(client, auth):
    """Sign in as a user (object) through the real form."""
    def sign_in(user):
        auth.logout()
        assert auth.login(user.email).status_code == 302
        return client
    return sign_in
