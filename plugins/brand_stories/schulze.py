"""The Schulze method, in plain Python, for design contests.

A ballot is a list of candidates, best first; candidates a voter left out rank below every
one they ranked, equal with each other. ``d[i][j]`` is the number of voters who prefer i to j;
``p[i][j]`` is the strength of the strongest (widest) path from i to j, found with a
Floyd–Warshall pass. i finishes above j when ``p[i][j] > p[j][i]``; that relation is a strict
partial order, so candidates are ranked by how many others they beat.

Tie-break (published on every contest page before voting opens): candidates the count leaves
level are ordered by the ``tiebreak`` sequence given — for contests, the order the designs
were submitted in, earlier first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Sequence


@dataclass(frozen=True)
class Result:
    """The outcome: ``ranking`` best first, the matrices, and who was level before the tie-break."""

    candidates: tuple
    ranking: tuple
    d: tuple
    p: tuple
    tied: tuple  # groups (tuples) of candidates the Schulze count alone could not separate

    @property
    def winner(self):
        return self.ranking[0] if self.ranking else None


def pairwise(candidates: Sequence[Hashable], ballots: Sequence[Sequence[Hashable]]) -> list[list[int]]:
    """``d[i][j]``: how many ballots rank candidate i above candidate j."""
    index = {c: n for n, c in enumerate(candidates)}
    size = len(candidates)
    d = [[0] * size for _ in range(size)]
    for ballot in ballots:
        ranked = [index[c] for c in ballot if c in index]
        position = {c: n for n, c in enumerate(ranked)}
        unranked = len(ranked)
        for i in range(size):
            for j in range(size):
                if i != j and position.get(i, unranked) < position.get(j, unranked):
                    d[i][j] += 1
    return d


def strongest_paths(d: list[list[int]]) -> list[list[int]]:
    """Widest paths: ``p[i][j]`` is the largest bottleneck over all paths of winning links i→j."""
    size = len(d)
    p = [[d[i][j] if i != j and d[i][j] > d[j][i] else 0 for j in range(size)] for i in range(size)]
    for k in range(size):
        for i in range(size):
            if i == k:
                continue
            for j in range(size):
                if j != i and j != k:
                    p[i][j] = max(p[i][j], min(p[i][k], p[k][j]))
    return p


def count(candidates: Sequence[Hashable], ballots: Sequence[Sequence[Hashable]],
          tiebreak: Sequence[Hashable] | None = None) -> Result:
    """Rank ``candidates`` from ``ballots``; level candidates follow ``tiebreak`` (default: as given)."""
    candidates = tuple(candidates)
    d = pairwise(candidates, ballots)
    p = strongest_paths(d)
    size = len(candidates)
    wins = [sum(1 for j in range(size) if j != i and p[i][j] > p[j][i]) for i in range(size)]
    order = {c: n for n, c in enumerate(tiebreak if tiebreak is not None else candidates)}
    ranking = sorted(range(size), key=lambda i: (-wins[i], order.get(candidates[i], size)))
    groups: dict[int, list] = {}
    for i in ranking:
        groups.setdefault(wins[i], []).append(candidates[i])
    tied = tuple(tuple(group) for group in groups.values() if len(group) > 1)
    return Result(candidates, tuple(candidates[i] for i in ranking), tuple(map(tuple, d)), tuple(map(tuple, p)), tied)
