"""The scoring rules, tested directly on the pure module (no app, no database)."""

import pytest

from plugins.staff_scores.scoring import Mark, most_improved, reciprocal_extremes, score_round, shrink

CRITERIA = [1, 2]
# How good each of five librarians (10–14) really is on each criterion, on a 1–5 scale.
TRUTH = {10: (4, 5), 11: (3, 4), 12: (2, 3), 13: (4, 4), 14: (1, 2)}


def honest_marks(raters=(10, 11, 12, 13, 14), shift=0, only=None):
    """Every rater marks every colleague at their true level; ``only`` rater shifted by ``shift``."""
    marks = []
    for rater in raters:
        for ratee, levels in TRUTH.items():
            if rater == ratee:
                continue
            for criterion, level in zip(CRITERIA, levels):
                value = level + (shift if only in (None, rater) else 0)
                marks.append(Mark(rater, ratee, criterion, max(1, min(5, value))))
    return marks


def order(result):
    return [s.ratee for s in result.ranking()]


def test_shrinkage_reproduces_the_design_example():
    assert round(shrink(5.0, 3, 4.2, 10), 3) == 4.385
    assert round(shrink(4.6, 40, 4.2, 10), 3) == 4.520


def test_lenient_and_harsh_raters_produce_the_same_ordering():
    """Five raters who agree on who is better; one marks high (3–5), one low (1–3)."""
    base = []
    for rater, offset in ((20, +2), (21, 0), (22, 0), (23, 0)):  # 20 is lenient; 21–23 neutral
        for ratee, level in ((1, 3), (2, 2), (3, 1)):
            base.append(Mark(rater, ratee, 1, level + offset))
    harsh = [Mark(24, ratee, 1, level) for ratee, level in ((1, 3), (2, 2), (3, 1))]
    lenient_only = score_round(base, criteria=[1], prior_weight=0)
    with_harsh = score_round(base + harsh, criteria=[1], prior_weight=0)
    assert order(lenient_only) == order(with_harsh) == [1, 2, 3]
    # The lenient rater's z-scores equal the neutral raters': leniency weighs nothing.
    assert lenient_only.scores[1].z[1] == pytest.approx(with_harsh.scores[1].z[1])


def test_a_librarian_with_two_raters_is_never_ranked():
    marks = honest_marks()
    marks += [Mark(10, 99, c, 5) for c in CRITERIA] + [Mark(11, 99, c, 5) for c in CRITERIA]
    result = score_round(marks, criteria=CRITERIA)
    assert result.scores[99].raters == 2
    assert result.scores[99].rank is None and result.scores[99].final is None
    assert all(v is None for v in result.scores[99].criteria.values())
    assert 99 not in order(result)


def test_self_rating_does_not_change_a_score():
    marks = honest_marks()
    without = score_round(marks, criteria=CRITERIA)
    with_self = score_round(marks + [Mark(14, 14, c, 5) for c in CRITERIA], criteria=CRITERIA)
    assert with_self.scores[14].final == pytest.approx(without.scores[14].final)
    assert with_self.scores[14].raters == without.scores[14].raters


@pytest.mark.parametrize("shift", [-1, -2, +1])
def test_a_rater_who_marks_everyone_down_moves_no_normalised_score(shift):
    """A uniform shift in one rater's marks leaves every z-score exactly where it was."""
    fair = score_round(honest_marks(), criteria=CRITERIA)
    marks = [Mark(m.rater, m.ratee, m.criterion, m.value + shift) if m.rater == 12 else m
             for m in honest_marks()]  # unclamped, so the shift is exactly uniform
    shifted = score_round(marks, criteria=CRITERIA)
    for ratee, score in fair.scores.items():
        for criterion in CRITERIA:
            assert shifted.scores[ratee].z[criterion] == pytest.approx(score.z[criterion])
    assert order(shifted) == order(fair)


def test_straight_lining_is_flagged_and_weighs_nothing():
    marks = [m for m in honest_marks() if m.rater != 13] + [
        Mark(13, ratee, c, 3) for ratee in TRUTH if ratee != 13 for c in CRITERIA]
    result = score_round(marks, criteria=CRITERIA)
    assert result.straight_liners == [13]


def test_reciprocal_extremes_are_flagged():
    marks = honest_marks() + [Mark(30, 31, c, 5) for c in CRITERIA] + [Mark(31, 30, c, 5) for c in CRITERIA]
    marks += [Mark(32, 33, c, 1) for c in CRITERIA] + [Mark(33, 32, c, 1) for c in CRITERIA]
    marks += [Mark(34, 35, 1, 5), Mark(34, 35, 2, 4), Mark(35, 34, 1, 5), Mark(35, 34, 2, 5)]  # not all 5s
    assert reciprocal_extremes(marks) == [(30, 31, 5), (32, 33, 1)]


def test_readers_ratings_are_shrunk_and_blended():
    marks = honest_marks()
    peer_only = score_round(marks, criteria=CRITERIA, prior_weight=10)
    readers = {10: [1, 1, 1, 1], 11: [5, 5, 5, 5], 12: [3]}
    result = score_round(marks, criteria=CRITERIA, prior_weight=10, blend_weight=0.5, reader_ratings=readers)
    team = sum(sum(v) for v in readers.values()) / 9
    score = result.scores[11]
    assert score.readers == pytest.approx(shrink(5.0, 4, team, 10))
    assert score.final == pytest.approx(0.5 * peer_only.scores[11].peer + 0.5 * score.readers)
    assert result.scores[13].readers == pytest.approx(team)  # nobody rated 13's answers: the team average
    # Without any readers' ratings the weight does nothing.
    assert score_round(marks, criteria=CRITERIA, blend_weight=0.5).scores[11].final == pytest.approx(
        peer_only.scores[11].final)


def test_honest_marks_rank_by_true_quality_and_medians():
    result = score_round(honest_marks(), criteria=CRITERIA, prior_weight=0)
    assert order(result) == [10, 13, 11, 12, 14]
    assert result.criterion_median(1) == pytest.approx(sorted(s.criteria[1] for s in result.scores.values())[2])


def test_every_rater_carries_the_same_total_weight():
    """As in WebPA, each rater hands out the same total: every rater's z-scores sum to 0."""
    result = score_round(honest_marks(), criteria=CRITERIA)
    assert sum(s.z[c] * 4 for s in result.scores.values() for c in CRITERIA) == pytest.approx(0)


def test_most_improved():
    assert most_improved({1: 3.0, 2: 4.0, 3: 2.0}, {1: 3.5, 2: 3.9, 3: 3.0, 4: 5.0}) == [(3, 1.0), (1, 0.5)]
