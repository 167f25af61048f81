"""Design contests: entries, moderation, ranked ballots, the stored Schulze result and its export."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import select

from core.models import BadgeAward, Notification, PointEntry, utcnow
from plugins.brand_stories import voting
from plugins.brand_stories.models import Contest, Design, RankBallot, RankBallotHistory, StoryImage

from .conftest import png


def rows(stories, model, **where):
    with stories.db.session() as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalars().all()


def enter(client, contest_id, data=None, image=None, name="design.png"):
    form = {"title": "Moon rabbit", "description": "A *rabbit* on the box."}
    form.update(data or {})
    if image is not None:
        form["image"] = (io.BytesIO(image), name)
    return client.post(f"/stories/contests/{contest_id}/designs", data=form, content_type="multipart/form-data")


def add_designs(stories, contest, n=3):
    """``n`` accepted designs by different students, oldest first."""
    ids = []
    with stories.session() as session:
        for i in range(n):
            image = StoryImage(data=png(), content_type="image/png", width=64, height=64)
            session.add(image)
            session.flush()
            design = Design(contest_id=contest.id, user_id=stories.students[i].id, title=f"D{i}", image_id=image.id,
                            status="accepted", submitted_at=utcnow() - timedelta(days=10 - i))
            session.add(design)
            session.flush()
            ids.append(design.id)
    return ids


def rank(client, contest_id, ranks):
    return client.post(f"/stories/contests/{contest_id}/vote", data={f"rank-{k}": v for k, v in ranks.items()})


def test_a_reader_enters_a_design(stories):
    contest = stories.new_contest("submitting")
    client = stories.client(stories.students[0])
    response = enter(client, contest.id, image=png((800, 600)))
    assert response.status_code == 303
    (design,) = rows(stories, Design, contest_id=contest.id)
    assert design.status == "pending" and design.user_id == stories.students[0].id
    page = client.get(f"/stories/contests/{contest.id}").text
    assert "Waiting for a librarian" in page and "<em>rabbit</em>" in page
    assert "Moon rabbit" not in stories.client(stories.students[1]).get(f"/stories/contests/{contest.id}").text


def test_oversized_and_disguised_images_are_refused(stories):
    contest = stories.new_contest("submitting")
    client = stories.client(stories.students[0])
    big = enter(client, contest.id, image=b"\x89PNG" + b"0" * (3 * 1024 * 1024 + 10))
    assert big.status_code == 413
    disguised = enter(client, contest.id, image=b"<?php echo 'hi'; ?>" * 10, name="cat.png")
    assert disguised.status_code == 400 and "error" in disguised.text
    missing = enter(client, contest.id)
    assert missing.status_code == 400 and "Choose an image to upload." in missing.text
    untitled = enter(client, contest.id, data={"title": ""}, image=png())
    assert untitled.status_code == 400
    assert rows(stories, Design, contest_id=contest.id) == [] and len(rows(stories, StoryImage)) == 11


def test_entries_after_submissions_close_or_anonymous_are_refused(stories):
    contest = stories.new_contest("moderating")
    late = enter(stories.client(stories.students[0]), contest.id, image=png())
    assert late.status_code == 409 and "Submissions to this contest are closed." in late.text
    anonymous = enter(stories.client(), stories.new_contest("submitting").id, image=png())
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.location
    assert rows(stories, Design, contest_id=contest.id) == []


def test_librarians_moderate_and_an_accepted_design_pays_once(stories):
    contest = stories.new_contest("submitting")
    author = stories.students[5]
    enter(stories.client(author), contest.id, image=png())
    (design,) = rows(stories, Design, contest_id=contest.id)
    assert stories.client(author).post(f"/stories/manage/designs/{design.id}/accept").status_code == 403
    librarian = stories.client(stories.librarian)
    assert librarian.get(f"/stories/manage/contests/{contest.id}").status_code == 200
    assert librarian.post(f"/stories/manage/designs/{design.id}/accept").status_code == 303
    again = librarian.post(f"/stories/manage/designs/{design.id}/reject")  # no longer pending
    assert again.status_code == 409 and "can no longer be moderated" in again.text
    assert rows(stories, Design, id=design.id)[0].status == "accepted"
    paid = rows(stories, PointEntry, source_ref=f"design:{design.id}")
    assert [p.amount for p in paid] == [voting.DESIGN_POINTS]
    assert [b.badge_key for b in rows(stories, BadgeAward, user_id=author.id)].count("brand_stories:designer") == 1


def test_a_ranked_ballot_is_stored_changed_and_kept(stories):
    contest = stories.new_contest("voting")
    ids = add_designs(stories, contest)
    client = stories.client(stories.students[0])
    assert rank(client, contest.id, {ids[2]: 1, ids[0]: 2}).status_code == 303
    assert rank(client, contest.id, {ids[0]: 1, ids[1]: 2, ids[2]: 3}).status_code == 303
    (ballot,) = rows(stories, RankBallot, contest_id=contest.id)
    assert json.loads(ballot.choices) == [ids[0], ids[1], ids[2]]
    assert [json.loads(h.choices) for h in rows(stories, RankBallotHistory, contest_id=contest.id)] == [[ids[2], ids[0]]]
    stories.pay_rewards()
    assert len(rows(stories, PointEntry, source_ref=f"contest:{contest.id}")) == 1
    assert 'value="1"' in client.get(f"/stories/contests/{contest.id}").text


def test_bad_ranked_ballots_are_refused(stories):
    contest = stories.new_contest("voting")
    ids = add_designs(stories, contest)
    other = stories.new_contest("voting")
    foreign = add_designs(stories, other, 1)[0]
    client = stories.client(stories.students[0])
    cases = [({}, "Rank at least one design."), ({ids[0]: 1, ids[1]: 1}, "different number"),
             ({ids[0]: 9}, "different number"), ({ids[0]: "first"}, "not valid"),
             ({foreign: 1}, "not in this contest"), ({"x": 1}, "not valid")]
    for ranks, message in cases:
        response = rank(client, contest.id, ranks)
        assert response.status_code == 400 and message in response.text, ranks
    closed = stories.new_contest("moderating")
    assert rank(client, closed.id, {ids[0]: 1}).status_code == 409
    assert rows(stories, RankBallot, contest_id=contest.id) == []


def test_the_stored_result_equals_a_recount_and_the_winner_is_paid_once(stories):
    contest = stories.new_contest("voting")
    ids = add_designs(stories, contest)
    # Plurality would pick D0 (3 firsts); D1 is the Condorcet winner (beats D0 4–3 and D2 5–2).
    for reader, order in zip(stories.students + [stories.librarian],
                             [[0, 1, 2]] * 3 + [[2, 1, 0]] * 2 + [[1, 2, 0]] * 2):
        assert rank(stories.client(reader), contest.id, {ids[i]: n for n, i in enumerate(order, 1)}).status_code == 303
    with stories.session() as session:
        session.get(Contest, contest.id).voting_closes_at = utcnow() - timedelta(seconds=1)
    page = stories.client().get(f"/stories/contests/{contest.id}").text
    assert "Winner" in page and "story-chart" in page
    stored = json.loads(rows(stories, Contest, id=contest.id)[0].result)
    assert stored["ranking"][0] == ids[1]
    with stories.db.session() as session:
        recount = voting.schulze_count(session, session.get(Contest, contest.id))
    assert json.loads(voting.result_json(recount)) == stored
    stories.client().get(f"/stories/contests/{contest.id}")  # a second view settles nothing again
    assert [p.user_id for p in rows(stories, PointEntry, idempotency_key=f"brand_stories:winner:{contest.id}")] == \
        [stories.students[1].id]
    assert any(b.badge_key == "brand_stories:contest-winner" for b in rows(stories, BadgeAward, user_id=stories.students[1].id))
    told = [n.user_id for n in rows(stories, Notification, kind="contest_closed", url=f"/stories/contests/{contest.id}")]
    assert len(told) == len(set(told)) == 7


def test_anonymised_ballot_export_recounts_to_the_same_winner(stories):
    contest_id = stories.contest.id
    assert stories.client().get(f"/stories/contests/{stories.new_contest('voting').id}/ballots.csv").status_code == 404
    response = stories.client().get(f"/stories/contests/{contest_id}/ballots.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(response.text)))[1:]
    emails = {s.email for s in stories.students}
    assert len(lines) == len(rows(stories, RankBallot, contest_id=contest_id))
    assert not any(cell in emails or cell == str(s.id) for line in lines for cell in line for s in stories.students)
    ballots = [[int(x) for x in line[1].split(" > ")] for line in lines]
    contest = rows(stories, Contest, id=contest_id)[0]
    stored = json.loads(contest.result)
    from plugins.brand_stories import schulze
    assert list(schulze.count(stored["candidates"], ballots).ranking) == stored["ranking"]


def test_a_contest_nobody_voted_in_has_no_winner(stories):
    contest = stories.new_contest("voting")
    add_designs(stories, contest, 2)
    with stories.session() as session:
        session.get(Contest, contest.id).voting_closes_at = utcnow() - timedelta(seconds=1)
    page = stories.client().get(f"/stories/contests/{contest.id}").text
    assert "Winner" not in page and "No ballots were cast, so there is no winner." in page
    assert rows(stories, PointEntry, idempotency_key=f"brand_stories:winner:{contest.id}") == []
