"""Staff-scores pages: who may see them, the rubric, rounds, rating and results."""

import pytest
from sqlalchemy import func, select

from core.models import ActivityEntry, Notification
from plugins.staff_scores.models import Criterion, Review, ReviewMark, Round, Rubric

PAGES = ["/staff-scores/", "/staff-scores/board", "/staff-scores/me", "/staff-scores/kudos",
         "/staff-scores/rubric", "/staff-scores/rubric/new", "/staff-scores/rounds/new", "/staff-scores/settings"]


def count(library, model, *where):
    with library.write() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def notes(library, kind):
    return count(library, Notification, Notification.plugin == "staff_scores", Notification.kind == kind)


@pytest.mark.parametrize("path", PAGES + ["/staff-scores/rounds/1", "/staff-scores/rounds/1/export.csv",
                                          "/staff-scores/rounds/1/rate/1"])
def test_students_get_403_and_anonymous_users_sign_in(library, client, login, path):
    library.round("closed")
    assert client.get(path).status_code == 302 and "/auth/login" in client.get(path).location
    login(library.student)
    assert client.get(path).status_code == 403
    assert client.post("/staff-scores/kudos", data={"receiver": library.librarians[0].id,
                                                    "message": "hi"}).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_librarians_see_every_page_in_both_languages(library, client, login, path):
    library.round("open")
    login(library.librarians[1])
    assert client.get(path).status_code == 200
    client.post("/language", data={"locale": "zh_Hans"})
    page = client.get(path).data.decode()
    assert "馆员" in page or "评" in page


def rubric_form(criteria):
    data = {}
    for i, c in enumerate(criteria):
        data |= {f"criteria-{i}-{k}": v for k, v in c.items()}
    return data


def test_a_rubric_is_written_then_new_versions_leave_used_ones_alone(library, client, login):
    from .conftest import criterion
    login(library.librarians[0])
    response = client.post("/staff-scores/rubric/new", data=rubric_form([criterion(1), criterion(2)]))
    assert response.status_code == 302
    rubric_id = int(response.location.rsplit("/", 1)[1])
    # Unused: edited in place.
    assert client.post(f"/staff-scores/rubric/{rubric_id}/edit",
                       data=rubric_form([criterion(1), criterion(2), criterion(3)])).status_code == 302
    assert count(library, Criterion, Criterion.rubric_id == rubric_id) == 3
    round_ = library.round("open")
    assert round_.rubric_id == rubric_id
    # In use: refused with a message, nothing changes.
    response = client.post(f"/staff-scores/rubric/{rubric_id}/edit", data=rubric_form([criterion(9)]))
    assert response.status_code == 409 and b"cannot change" in response.data
    assert client.get(f"/staff-scores/rubric/{rubric_id}/edit").status_code == 409
    assert count(library, Criterion, Criterion.rubric_id == rubric_id) == 3
    # "Editing" makes version 2; the round keeps version 1.
    assert client.post("/staff-scores/rubric/new", data=rubric_form([criterion(9)])).status_code == 302
    assert count(library, Rubric) == 2
    with library.write() as session:
        assert session.get(Round, round_.id).rubric_id == rubric_id


def test_a_rubric_needs_five_anchors_in_both_languages(library, client, login):
    from .conftest import criterion
    login(library.librarians[0])
    bad = criterion(1) | {"anchors_zh": "一\n二"}
    response = client.post("/staff-scores/rubric/new", data=rubric_form([bad]))
    assert response.status_code == 400 and b"exactly five lines" in response.data
    assert client.post("/staff-scores/rubric/new", data={}).status_code == 400
    assert count(library, Rubric) == 0


def test_a_round_needs_a_rubric_first(library, client, login):
    login(library.librarians[0])
    form = {"title_en": "May", "title_zh": "五月", "opens_at": "2020-01-01T09:00", "closes_at": "2999-01-31T17:00",
            "prior_weight": "10", "blend_weight": "0.25"}
    response = client.post("/staff-scores/rounds/new", data=form)
    assert response.status_code == 409 and b"Write the rubric before opening a round" in response.data
    assert count(library, Round) == 0


def test_creating_a_round_tells_every_librarian_it_is_open(library, client, login):
    library.rubric()
    login(library.librarians[2])
    form = {"title_en": "May", "title_zh": "五月", "opens_at": "2020-01-01T09:00", "closes_at": "2999-01-31T17:00",
            "prior_weight": "10", "blend_weight": "0.25"}
    assert client.post("/staff-scores/rounds/new", data=form).status_code == 302
    with library.write() as session:
        round_ = session.execute(select(Round)).scalar_one()
    assert round_.blend_weight == 0.25 and round_.created_by == library.librarians[2].id
    assert round_.opens_at.hour == 1  # 09:00 in Asia/Shanghai is 01:00 UTC
    assert notes(library, "round_open") == 6  # five librarians and the admin


@pytest.mark.parametrize("change, message", [
    ({"closes_at": "2019-01-01T09:00"}, b"close after it opens"),
    ({"blend_weight": "1.5"}, b"between 0"),
    ({"prior_weight": "-1"}, b"between 0"),
    ({"opens_at": "yesterday"}, b"Give a date and time"),
])
def test_a_bad_round_is_refused_and_nothing_stored(library, client, login, change, message):
    library.rubric()
    login(library.librarians[0])
    form = {"title_en": "May", "title_zh": "五月", "opens_at": "2020-01-01T09:00", "closes_at": "2999-01-31T17:00",
            "prior_weight": "10", "blend_weight": "0.2"} | change
    response = client.post("/staff-scores/rounds/new", data=form)
    assert response.status_code == 400 and message in response.data
    assert count(library, Round) == 0 and notes(library, "round_open") == 0


def marks_form(criteria, value=4, **extra):
    return {f"c{c}": str(value) for c in criteria} | extra


def test_rating_a_colleague_stores_marks_and_comment(library, client, login):
    round_ = library.round("open")
    criteria = library.criteria(round_)
    me, colleague = library.librarians[0], library.librarians[1]
    login(me)
    url = f"/staff-scores/rounds/{round_.id}/rate/{colleague.id}"
    assert client.post(url, data=marks_form(criteria, 4, comment="Great")).status_code == 302
    assert client.post(url, data=marks_form(criteria, 2, comment="Changed")).status_code == 302  # a change
    with library.write() as session:
        review = session.execute(select(Review)).scalar_one()
        assert review.comment == "Changed"
        assert sorted(session.execute(select(ReviewMark.value)).scalars()) == [2, 2, 2]
    import re
    assert len(re.findall(r'<input checked[^>]*value="2"', client.get(url).data.decode())) == 3  # shown again


@pytest.mark.parametrize("value", ["0", "6", "x", ""])
def test_marks_outside_one_to_five_are_refused(library, client, login, value):
    round_ = library.round("open")
    criteria = library.criteria(round_)
    login(library.librarians[0])
    data = marks_form(criteria) | {f"c{criteria[0]}": value}
    response = client.post(f"/staff-scores/rounds/{round_.id}/rate/{library.librarians[1].id}", data=data)
    assert response.status_code == 400 and b"from 1 to 5" in response.data
    assert count(library, Review) == 0 and count(library, ReviewMark) == 0


def test_rating_after_close_or_before_open_is_refused(library, client, login):
    login(library.librarians[0])
    for state in ("closed", "upcoming"):
        round_ = library.round(state)
        url = f"/staff-scores/rounds/{round_.id}/rate/{library.librarians[1].id}"
        assert client.get(url).status_code == 409
        response = client.post(url, data=marks_form(library.criteria(round_)))
        assert response.status_code == 409 and b"not open for rating" in response.data
    assert count(library, Review) == 0


def test_only_librarians_can_be_rated(library, client, login):
    round_ = library.round("open")
    login(library.librarians[0])
    url = f"/staff-scores/rounds/{round_.id}/rate/{library.student.id}"
    assert client.post(url, data=marks_form(library.criteria(round_))).status_code == 404
    assert client.get(f"/staff-scores/rounds/{round_.id}/rate/99999").status_code == 404
    assert client.get("/staff-scores/rounds/999").status_code == 404


def test_a_self_rating_is_kept_as_reflection_and_never_counts(library, client, login):
    round_ = library.round("open")
    library.rate_all(round_)
    me = library.librarians[4]
    login(me)
    page = client.get(f"/staff-scores/rounds/{round_.id}/rate/{me.id}").data.decode()
    assert "never counts toward your score" in page
    from plugins.staff_scores import service
    with library.write() as session:
        before = service.results(session, session.get(Round, round_.id)).scores[me.id].final
    assert client.post(f"/staff-scores/rounds/{round_.id}/rate/{me.id}",
                       data=marks_form(library.criteria(round_), 5)).status_code == 302
    with library.write() as session:
        assert count(library, Review, Review.rater_id == me.id, Review.ratee_id == me.id) == 1
        assert service.results(session, session.get(Round, round_.id)).scores[me.id].final == pytest.approx(before)


def test_rating_every_colleague_earns_the_fair_judge_badge(library, client, login):
    round_ = library.round("open")
    criteria = library.criteria(round_)
    me = library.librarians[0]
    login(me)
    for other in [p for p in library.librarians + [library.admin] if p.id != me.id]:
        client.post(f"/staff-scores/rounds/{round_.id}/rate/{other.id}", data=marks_form(criteria))
    assert count(library, ActivityEntry, ActivityEntry.user_id == me.id, ActivityEntry.kind == "rated_all") == 1
    from core.models import BadgeAward
    assert count(library, BadgeAward, BadgeAward.user_id == me.id, BadgeAward.badge_key == "staff_scores:rated_all") == 1
