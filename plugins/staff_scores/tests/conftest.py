"""Fixtures for the staff-scores tests: five librarians, a rubric, and rounds in each state."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest

from core.models import Role, utcnow
from plugins.staff_scores import service
from plugins.staff_scores.models import Review, ReviewMark, Round

ANCHORS = "\n".join(["one", "two", "three", "four", "five"])
ANCHORS_ZH = "\n".join(["一", "二", "三", "四", "五"])


def criterion(n: int) -> dict:
    return {"name_en": f"Criterion {n}", "name_zh": f"标准{n}", "description_en": "What it means.",
            "description_zh": "含义。", "anchors_en": ANCHORS, "anchors_zh": ANCHORS_ZH}


class Library:
    """Helpers over the test app's database."""

    def __init__(self, app, make_user):
        self.app, self.db = app, app.extensions["engage.db"]
        self.admin = make_user(Role.admin, display_name="Ada Admin")
        self.librarians = [make_user(Role.librarian, display_name=f"Librarian {n}") for n in range(1, 6)]
        self.student = make_user(Role.student)

    @contextmanager
    def write(self):
        """A committing session inside a request context (for url building and translations)."""
        with self.app.test_request_context(), self.db.write_session() as session:
            yield session

    def rubric(self, n: int = 3):
        with self.write() as session:
            return service.save_rubric(session, rubric=None, criteria=[criterion(i) for i in range(1, n + 1)],
                                       actor_id=self.admin.id)

    def round(self, state: str = "open", creator=None, **fields) -> Round:
        """A round that is ``open``, ``closed`` or ``upcoming`` now (on the latest rubric)."""
        now = utcnow()
        opens, closes = {"open": (now - timedelta(days=1), now + timedelta(days=6)),
                         "closed": (now - timedelta(days=10), now - timedelta(days=1)),
                         "upcoming": (now + timedelta(days=1), now + timedelta(days=8))}[state]
        with self.write() as session:
            rubric = service.latest_rubric(session) or service.save_rubric(
                session, rubric=None, criteria=[criterion(i) for i in (1, 2, 3)], actor_id=self.admin.id)
            round_ = Round(title_en=f"{state} round", title_zh=f"{state}轮", rubric_id=rubric.id, opens_at=opens,
                           closes_at=closes, created_by=(creator or self.librarians[0]).id, opened_notice=True,
                           closed_notice=state == "closed", **fields)
            session.add(round_)
            session.flush()
            return round_

    def criteria(self, round_):
        with self.write() as session:
            return [c.id for c in service.criteria_of(session, round_.rubric_id)]

    def rate_all(self, round_, marks=None):
        """Every librarian rates every colleague; ``marks(rater_index, ratee_index)`` gives the mark."""
        marks = marks or (lambda rater, ratee: 5 - ratee)
        criteria = self.criteria(round_)
        with self.write() as session:
            for i, rater in enumerate(self.librarians):
                for j, ratee in enumerate(self.librarians):
                    if i != j:
                        review = Review(round_id=round_.id, rater_id=rater.id, ratee_id=ratee.id,
                                        comment=f"note from {i} to {j}")
                        session.add(review)
                        session.flush()
                        for c in criteria:
                            session.add(ReviewMark(review_id=review.id, criterion_id=c, value=marks(i, j)))


@pytest.fixture
def library(app, make_user):
    return Library(app, make_user)


@pytest.fixture
def login(client, auth):
    """Sign in as a user (object) through the real form."""
    def sign_in(user):
        auth.logout()
        assert auth.login(user.email).status_code == 302
        return client
    return sign_in
