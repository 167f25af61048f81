"""How peer marks become staff scores: pure functions, no Flask and no database.

The formula (also shown on every results page):

1. **Self-ratings are dropped.** A librarian may rate themselves as a reflection; it never counts.
2. **Per-rater z-scores**, taken across *all* of one rater's marks in the round (every ratee,
   every criterion): ``z = (mark − rater's mean) / rater's standard deviation``. A lenient rater
   (all 4s and 5s) and a harsh one (all 1s and 2s) then weigh the same, and a rater who shifts
   every mark up or down changes nothing. Across all marks rather than per criterion, because a
   rater gives few marks per criterion and a per-criterion spread is often zero. A rater whose
   marks are all identical has a spread of 0: all their z are 0 (they add no information) and
   they are flagged as *straight-lining*.
3. **Per ratee and criterion**, the mean z over distinct raters; hidden below ``min_raters``
   (3) raters, which is also the anonymity threshold. A librarian with fewer raters overall is
   never ranked.
4. **Back to the 1–5 scale** for display: ``R = C + z̄ · S``, where C and S are the mean and
   standard deviation of every counted mark in the round (the team), clamped to 1–5.
5. **Bayesian shrinkage** toward the team mean, ``WR = v/(v+m)·R + m/(v+m)·C``, where v is the
   number of raters and m the round's prior weight: few ratings stay near the team mean.
6. **Readers' ratings** of answered feedback (1–5) in the round's period: their average for a
   librarian is shrunk the same way toward the team's average of readers' ratings, then blended,
   ``final = (1 − w)·peer + w·readers``, with the round's weight w (w is treated as 0 when no
   reader rated anyone in the period).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean, median, pstdev

MIN_RATERS = 3


@dataclass(frozen=True)
class Mark:
    """One mark: ``rater`` gave ``ratee`` ``value`` (1–5) on ``criterion``."""

    rater: int
    ratee: int
    criterion: int
    value: int


@dataclass
class Score:
    """One librarian's result in a round."""

    ratee: int
    raters: int
    criteria: dict[int, float | None]  # shrunk 1–5 score per criterion, None below the threshold
    z: dict[int, float]                # mean z per criterion (the normalised score)
    peer: float | None = None
    readers: float | None = None
    readers_count: int = 0
    final: float | None = None
    rank: int | None = None

    @property
    def ranked(self) -> bool:
        return self.rank is not None


@dataclass
class Result:
    """Everything a round's results page shows."""

    scores: dict[int, Score]
    team_mean: float
    team_sd: float
    straight_liners: list[int] = field(default_factory=list)
    reciprocal: list[tuple[int, int, int]] = field(default_factory=list)  # (a, b, extreme mark)

    def ranking(self) -> list[Score]:
        """Ranked librarians, best first."""
        return sorted((s for s in self.scores.values() if s.ranked), key=lambda s: s.rank)

    def criterion_median(self, criterion: int) -> float | None:
        """The team median of a criterion's shown scores."""
        shown = [s.criteria[criterion] for s in self.scores.values() if s.criteria.get(criterion) is not None]
        return median(shown) if shown else None


def shrink(average: float, count: int, prior_mean: float, prior_weight: float) -> float:
    """Bayesian average: ``v/(v+m)·R + m/(v+m)·C``."""
    if count + prior_weight <= 0:
        return prior_mean
    return (count * average + prior_weight * prior_mean) / (count + prior_weight)


def rater_z_scores(marks: list[Mark]) -> tuple[dict[Mark, float], list[int]]:
    """Each counted mark's z within its rater's marks, and the raters who straight-lined."""
    by_rater: dict[int, list[Mark]] = defaultdict(list)
    for mark in marks:
        by_rater[mark.rater].append(mark)
    z: dict[Mark, float] = {}
    flat: list[int] = []
    for rater, own in by_rater.items():
        values = [m.value for m in own]
        centre, spread = mean(values), pstdev(values)
        if spread == 0 and len({m.ratee for m in own}) > 1:
            flat.append(rater)
        for mark in own:
            z[mark] = 0.0 if spread == 0 else (mark.value - centre) / spread
    return z, sorted(flat)


def reciprocal_extremes(marks: list[Mark]) -> list[tuple[int, int, int]]:
    """Pairs who gave each other nothing but 5s (or nothing but 1s): ``(a, b, mark)`` with a < b."""
    given: dict[tuple[int, int], set[int]] = defaultdict(set)
    for mark in marks:
        given[(mark.rater, mark.ratee)].add(mark.value)
    pairs = []
    for (a, b), values in given.items():
        if a < b and len(values) == 1 and values == given.get((b, a)) and next(iter(values)) in (1, 5):
            pairs.append((a, b, next(iter(values))))
    return sorted(pairs)


def score_round(marks: list[Mark], *, criteria: list[int], prior_weight: float = 10.0,
                blend_weight: float = 0.0, reader_ratings: dict[int, list[int]] | None = None,
                min_raters: int = MIN_RATERS) -> Result:
    """Score a round from its marks (see the module's docstring for each step)."""
    counted = [m for m in marks if m.rater != m.ratee]
    values = [m.value for m in counted]
    team_mean = mean(values) if values else 0.0
    team_sd = pstdev(values) if values else 0.0
    z, flat = rater_z_scores(counted)

    per_cell: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)  # (ratee, criterion) → rater → z
    raters_of: dict[int, set[int]] = defaultdict(set)
    for mark in counted:
        per_cell[(mark.ratee, mark.criterion)][mark.rater] = z[mark]
        raters_of[mark.ratee].add(mark.rater)

    readers = {k: v for k, v in (reader_ratings or {}).items() if v}
    all_reader_marks = [s for scores in readers.values() for s in scores]
    readers_mean = mean(all_reader_marks) if all_reader_marks else None
    weight = blend_weight if readers_mean is not None else 0.0

    scores: dict[int, Score] = {}
    for ratee, raters in raters_of.items():
        score = Score(ratee=ratee, raters=len(raters), criteria={}, z={})
        for criterion in criteria:
            cell = per_cell.get((ratee, criterion), {})
            if not cell:
                score.criteria[criterion] = None
                continue
            score.z[criterion] = mean(cell.values())
            if len(cell) < min_raters:
                score.criteria[criterion] = None
                continue
            display = min(5.0, max(1.0, team_mean + score.z[criterion] * team_sd))
            score.criteria[criterion] = shrink(display, len(cell), team_mean, prior_weight)
        shown = [v for v in score.criteria.values() if v is not None]
        if score.raters >= min_raters and shown:
            score.peer = mean(shown)
            own = readers.get(ratee, [])
            score.readers_count = len(own)
            if readers_mean is not None:
                score.readers = shrink(mean(own) if own else readers_mean, len(own), readers_mean, prior_weight)
                score.final = (1 - weight) * score.peer + weight * score.readers
            else:
                score.final = score.peer
        scores[ratee] = score

    ordered = sorted((s for s in scores.values() if s.final is not None), key=lambda s: (-s.final, s.ratee))
    for position, score in enumerate(ordered, 1):
        score.rank = position
    return Result(scores, team_mean, team_sd, flat, reciprocal_extremes(counted))


def most_improved(before: dict[int, float], after: dict[int, float]) -> list[tuple[int, float]]:
    """Librarians ranked in both rounds, by how much their final score rose (largest first)."""
    gains = [(who, after[who] - before[who]) for who in after if who in before]
    return sorted((g for g in gains if g[1] > 0), key=lambda g: (-g[1], g[0]))
