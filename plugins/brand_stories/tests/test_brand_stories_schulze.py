"""The Schulze count against hand-worked examples."""

from plugins.brand_stories import schulze


def ballots(*groups):
    """``(count, "ACBED")`` groups as a list of ballots."""
    return [list(order) for count, order in groups for _ in range(count)]


WIKIPEDIA = ballots((5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"),
                    (7, "CAEBD"), (2, "CBADE"), (7, "DCEBA"), (8, "EBADC"))


def test_wikipedia_45_voter_example():
    result = schulze.count("ABCDE", WIKIPEDIA)
    # d[*][*] and p[*][*] as worked on Wikipedia's "Schulze method" page.
    assert result.d == ((0, 20, 26, 30, 22), (25, 0, 16, 33, 18), (19, 29, 0, 17, 24),
                        (15, 12, 28, 0, 14), (23, 27, 21, 31, 0))
    assert result.p == ((0, 28, 28, 30, 24), (25, 0, 28, 33, 24), (25, 29, 0, 29, 24),
                        (25, 28, 28, 0, 24), (25, 28, 28, 31, 0))
    assert result.ranking == tuple("EACBD")
    assert result.winner == "E"
    assert result.tied == ()


def test_condorcet_winner_beats_plurality_winner():
    # A has the most first preferences (4 of 9), but B beats A 5–4 and C 6–3.
    votes = ballots((4, "ABC"), (3, "CBA"), (2, "BCA"))
    firsts = {c: sum(1 for b in votes if b[0] == c) for c in "ABC"}
    assert max(firsts, key=firsts.get) == "A"
    assert schulze.count("ABC", votes).winner == "B"


def test_cycle_resolved_by_strongest_path():
    # A>B 6–3 (via the A-first voters), B>C 7–2, C>A 5–4: the weakest link (C>A) is dropped.
    votes = ballots((4, "ABC"), (3, "BCA"), (2, "CAB"))
    result = schulze.count("ABC", votes)
    assert result.d[0][1] == 6 and result.d[1][2] == 7 and result.d[2][0] == 5
    assert result.ranking == tuple("ABC")


def test_level_candidates_follow_the_published_tiebreak():
    votes = ballots((1, "AB"), (1, "BA"))
    assert schulze.count("AB", votes, tiebreak="BA").ranking == ("B", "A")
    assert schulze.count("AB", votes, tiebreak="AB").ranking == ("A", "B")
    assert schulze.count("AB", votes).tied == (("A", "B"),)


def test_unranked_candidates_count_below_ranked_ones():
    result = schulze.count("ABC", [["C"], ["C"], ["A", "B"]])
    assert result.d[2][0] == 2 and result.d[2][1] == 2 and result.d[0][1] == 1 and result.d[1][0] == 0
    assert result.ranking == tuple("CAB")


def test_no_ballots_and_no_candidates():
    assert schulze.count("AB", []).ranking == ("A", "B")
    assert schulze.count([], [[]]).winner is None
