"""Approval polls: one ballot per voter, history, order, hidden counts, bad ballots, closing."""

from __future__ import annotations

import html
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.models import ActivityEntry, Notification, PendingReward, PointEntry, Role, utcnow
from core.testing import create_test_user
from plugins.brand_stories import voting
from plugins.brand_stories.models import Ballot, BallotHistory, Episode, Poll

from .conftest import Stories


def count(stories, model, **where):
    with stories.db.session() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalar_one()


def vote(client, poll_id, *option_ids, **kw):
    return client.post(f"/stories/polls/{poll_id}/vote", data={"option": [str(o) for o in option_ids]}, **kw)


def test_a_ballot_is_stored_once_and_pays_once(stories):
    poll, options = stories.new_poll()
    reader = stories.students[0]
    client = stories.client(reader)
    response = vote(client, poll.id, options[0].id, options[2].id)
    assert response.status_code == 303
    assert "Your ballot is recorded." in client.get(response.location).text
    assert vote(client, poll.id, options[1].id).status_code == 303
    # The points wait in core's reward queue, once, until it pays them (twice paying pays once).
    assert count(stories, PointEntry, source_ref=f"poll:{poll.id}") == 0
    key = f"brand_stories:voted:{poll.id}:{reader.id}"
    assert count(stories, PendingReward, idempotency_key=key) == 1
    stories.pay_rewards()
    assert count(stories, PendingReward) == 0 and stories.pay_rewards() == 0
    with stories.db.session() as session:
        ballot = session.execute(select(Ballot).where(Ballot.poll_id == poll.id)).scalar_one()
        assert json.loads(ballot.choices) == [options[1].id]
        history = session.execute(select(BallotHistory).where(BallotHistory.poll_id == poll.id)).scalars().all()
        assert [json.loads(h.choices) for h in history] == [sorted([options[0].id, options[2].id])]
        paid = session.execute(select(PointEntry).where(PointEntry.user_id == reader.id,
                                                        PointEntry.source_ref == f"poll:{poll.id}")).scalars().all()
        assert [p.idempotency_key for p in paid] == [key]
        assert session.execute(select(func.count()).select_from(ActivityEntry).where(
            ActivityEntry.user_id == reader.id, ActivityEntry.source_ref == f"poll:{poll.id}")).scalar_one() == 1


def test_options_come_in_a_stable_random_order_per_voter(stories):
    poll, options = stories.new_poll()
    with stories.db.session() as session:
        orders = {uid: [o.id for o in voting.options_for(session, poll, uid)] for uid in range(1, 40)}
        assert orders[5] == [o.id for o in voting.options_for(session, poll, 5)]
    assert all(sorted(order) == sorted(o.id for o in options) for order in orders.values())
    assert len({tuple(order) for order in orders.values()}) > 1


def test_counts_hidden_until_close_but_turnout_live(stories):
    poll, options = stories.new_poll()
    for reader in stories.students[:3]:
        vote(stories.client(reader), poll.id, options[0].id)
    page = stories.client().get(f"/stories/polls/{poll.id}").text
    assert "3 voters" in page and "approvals" not in page and "<svg" not in page.split("story-share")[0]
    assert "Counts are shown when the poll closes." in page
    stories.client(stories.librarian).post(f"/stories/manage/polls/{poll.id}/close", data={"confirmed": "1"})
    page = stories.client().get(f"/stories/polls/{poll.id}").text
    assert "3 approvals" in page and "story-chart" in page and "<script" not in page.split("story-chart")[1][:5000]


def test_live_counts_when_the_librarian_chose_them(stories):
    poll, options = stories.new_poll(live_counts=True)
    vote(stories.client(stories.students[0]), poll.id, options[1].id)
    page = stories.client().get(f"/stories/polls/{poll.id}").text
    assert "Live counts" in page and "1 approval" in page


def test_voting_after_close_is_refused(stories):
    poll, options = stories.new_poll()
    with stories.session() as session:
        session.get(Poll, poll.id).closes_at = utcnow() - timedelta(seconds=1)
    response = vote(stories.client(stories.students[0]), poll.id, options[0].id)
    assert response.status_code == 409 and "This poll is closed." in response.text
    assert count(stories, Ballot, poll_id=poll.id) == 0


def test_options_of_another_poll_are_refused(stories):
    poll, options = stories.new_poll()
    response = vote(stories.client(stories.students[0]), poll.id, options[0].id, stories.options[0].id)
    assert response.status_code == 400 and "not in this poll" in response.text
    assert count(stories, Ballot, poll_id=poll.id) == 0


def test_empty_and_forged_ballots_are_refused(stories):
    poll, _options = stories.new_poll()
    client = stories.client(stories.students[0])
    empty = vote(client, poll.id)
    assert empty.status_code == 400 and "Tick at least one option" in empty.text
    forged = client.post(f"/stories/polls/{poll.id}/vote", data={"option": ["1; DROP TABLE", "x"]})
    assert forged.status_code == 400 and "not valid" in forged.text
    assert count(stories, Ballot, poll_id=poll.id) == 0
    assert count(stories, PointEntry, source_ref=f"poll:{poll.id}") == 0


def test_voting_requires_signing_in(stories):
    poll, options = stories.new_poll()
    response = vote(stories.client(), poll.id, options[0].id)
    assert response.status_code == 302 and "/auth/login" in response.location
    assert count(stories, Ballot, poll_id=poll.id) == 0


def test_refusals_are_in_chinese_for_chinese_readers(stories):
    poll, _options = stories.new_poll()
    client = stories.client(stories.students[0])
    client.post("/language", data={"locale": "zh_Hans", "next": "/"})
    assert "请至少勾选一个" in vote(client, poll.id).text


def test_two_tabs_voting_at_once_make_one_ballot(stories):
    poll, options = stories.new_poll()
    reader = stories.students[0]
    clients = [stories.client(reader) for _ in range(4)]
    start = threading.Barrier(len(clients))
    statuses = []

    def tab(client, option):
        start.wait()
        statuses.append(vote(client, poll.id, option.id).status_code)

    threads = [threading.Thread(target=tab, args=(c, options[n % 3])) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == len(clients)  # every tab got an answer (none died on an error)
    assert set(statuses) <= {303, 409} and 303 in statuses
    assert count(stories, Ballot, poll_id=poll.id) == 1
    stories.pay_rewards()
    assert count(stories, PointEntry, source_ref=f"poll:{poll.id}") == 1


def test_a_lost_insert_race_answers_409_and_stores_nothing(stories, monkeypatch):
    """The other tab's ballot landed between our look-up and our insert: the UNIQUE constraint decides."""
    poll, options = stories.new_poll()
    reader = stories.students[0]
    client = stories.client(reader)
    vote(client, poll.id, options[0].id)
    real = voting._replace

    def blind(session, handle, ballots, owner_id, user_id, choices):
        session.add(Ballot(poll_id=owner_id, user_id=user_id, choices=json.dumps(choices)))
        session.flush()
        return True

    monkeypatch.setattr(voting, "_replace", blind)
    response = vote(client, poll.id, options[1].id)
    monkeypatch.setattr(voting, "_replace", real)
    assert response.status_code == 409 and "another tab" in response.text
    with stories.db.session() as session:
        ballots = session.execute(select(Ballot.choices).where(Ballot.poll_id == poll.id)).scalars().all()
    assert ballots == [json.dumps([options[0].id])]


def test_votes_are_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True)
    stories = Stories(app)
    poll, options = stories.new_poll()
    client = stories.client(stories.students[0])
    statuses = [vote(client, poll.id, options[0].id).status_code for _ in range(31)]
    assert statuses[:30] == [303] * 30 and statuses[30] == 429


def test_a_vote_without_csrf_token_is_refused(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    stories = Stories(app)
    poll, options = stories.new_poll()
    client = app.test_client()
    client.get("/auth/login")
    page = client.get("/auth/login").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/auth/login", data={"email": stories.students[0].email, "password": "correct horse battery",
                                     "csrf_token": token})
    assert vote(client, poll.id, options[0].id).status_code == 400
    assert count(stories, Ballot, poll_id=poll.id) == 0
    token = client.get(f"/stories/polls/{poll.id}").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(f"/stories/polls/{poll.id}/vote",
                       data={"option": [options[0].id], "csrf_token": token}).status_code == 303


def test_voters_are_told_once_when_a_poll_closes(stories):
    poll, options = stories.new_poll()
    voters = stories.students[:3]
    for reader in voters:
        vote(stories.client(reader), poll.id, options[0].id)
    stories.client(stories.librarian).post(f"/stories/manage/polls/{poll.id}/close", data={"confirmed": "1"})
    anyone = stories.client()
    for _ in range(2):
        assert anyone.get(f"/stories/polls/{poll.id}").status_code == 200
        assert anyone.get("/stories/").status_code == 200
    with stories.db.session() as session:
        notes = session.execute(select(Notification.user_id).where(Notification.kind == "poll_closed")).scalars().all()
        assert sorted(notes) == sorted(v.id for v in voters)
        assert session.get(Poll, poll.id).notified


def test_close_due_command_notifies_once(stories):
    poll, options = stories.new_poll()
    vote(stories.client(stories.students[0]), poll.id, options[0].id)
    with stories.session() as session:
        session.get(Poll, poll.id).closes_at = utcnow() - timedelta(seconds=1)
    stories.app.extensions["engage.plugins"].hooks.engage_cli_commands(cli=stories.app.cli)
    runner = stories.app.test_cli_runner()
    first = runner.invoke(args=["brand-stories", "close-due"])
    second = runner.invoke(args=["brand-stories", "close-due"])
    assert first.exit_code == 0 and "settled 1" in first.output and "settled 0" in second.output
    assert count(stories, Notification, kind="poll_closed") == 1


def test_the_close_due_job_notifies_once_without_any_visit(stories):
    poll, options = stories.new_poll()
    vote(stories.client(stories.students[0]), poll.id, options[0].id)
    with stories.session() as session:
        session.get(Poll, poll.id).closes_at = utcnow() - timedelta(seconds=1)
    jobs = stories.app.extensions["engage.jobs"]
    for _run in range(2):
        jobs.run_periodic("brand_stories:close-due")
    assert count(stories, Notification, kind="poll_closed") == 1


def test_polls_of_unpublished_episodes_are_hidden(stories):
    poll, options = stories.new_poll()
    with stories.session() as session:
        session.get(Episode, poll.episode_id).publish_at = utcnow() + timedelta(days=3)
    assert stories.client(stories.students[0]).get(f"/stories/polls/{poll.id}").status_code == 404
    assert vote(stories.client(stories.students[0]), poll.id, options[0].id).status_code == 404
    assert stories.client(stories.librarian).get(f"/stories/polls/{poll.id}").status_code == 200
    assert stories.client().get("/stories/polls/99999").status_code == 404


@pytest.mark.parametrize("locale, words", [
    ("en", ["Close this poll now?", "Voting stops at once for everyone"]),
    ("zh_Hans", ["现在就关闭这个投票吗？", "投票会在截止时间之前立即对所有人停止"]),
])
def test_closing_a_poll_early_is_asked_first(stories, locale, words):
    poll, _options = stories.new_poll()
    librarian = stories.client(create_test_user(stories.app, Role.librarian, locale=locale))
    assert 'data-confirm="' in librarian.get("/stories/manage").text
    response = librarian.post(f"/stories/manage/polls/{poll.id}/close")
    page = html.unescape(response.text)
    assert response.status_code == 200 and 'name="confirmed" value="1"' in page
    assert all(word in page for word in words)
    with stories.db.session() as session:
        assert voting.poll_state(session.get(Poll, poll.id)) == "open"
    librarian.post(f"/stories/manage/polls/{poll.id}/close", data={"confirmed": "1"})
    with stories.db.session() as session:
        assert voting.poll_state(session.get(Poll, poll.id)) == "closed"
