"""The authorization matrix: every route of ``app.url_map`` × every role (anonymous, a reader, another
reader, a librarian, an administrator) × plugins on and off, against the explicit table of who may
do what in tests/access_table.py; and no page shows a role words it may not read (a draft's title,
another reader's pending work, private feedback or notifications: ``World.secrets``). A new route
without an entry there fails ``test_every_route_has_an_entry_in_the_access_table``.

The world (users and their objects, tests/authz_world.py) is built once for the module; CSRF is off
in this app, so a refused POST is refused for who sent it, not for a missing token, and it must
leave every table's row count as it was.
"""

from __future__ import annotations

import re

from io import BytesIO

import pytest
from sqlmodel import SQLModel

from access_table import ACCESS, LOGIN, OK, PNG
from authz_world import ANON, ROLES, build, png
from core.testing import make_app

STATES = ("on", "off")
CELLS = [(state, key, n, role) for state in STATES for key, cases in ACCESS.items()
         for n in range(len(cases)) for role in ROLES]


def cell_id(cell) -> str:
    state, (method, rule), n, role = cell
    return f"plugins-{state}:{method} {rule}#{n}:{role}"


@pytest.fixture(scope="module")
def world(tmp_path_factory, pg_schema_url):
    """One app and one world for the whole matrix (building it per cell would take minutes)."""
    tmp_path = tmp_path_factory.mktemp("authz")
    url = pg_schema_url or f"sqlite:///{tmp_path / 'engage.sqlite'}"
    # The readers' hourly caps off: cases run in any order (an idle worker steals queued ones), and
    # the cases that make feedback or contributions for a role would otherwise use up its hour.
    app = make_app(url, tmp_path, CONTRIBUTIONS_SUBMISSIONS_PER_HOUR=100_000, FEEDBACK_SUBMISSIONS_PER_HOUR=100_000,
                   CONTRIBUTIONS_LIKES_PER_AUTHOR_PER_WEEK=100_000, ISSUER_EMAIL="library@test.library")
    if pg_schema_url:  # start from empty tables, as the per-test database fixture does
        SQLModel.metadata.drop_all(app.extensions["engage.db"].engine)
        SQLModel.metadata.create_all(app.extensions["engage.db"].engine)
    yield build(app)
    if pg_schema_url:
        SQLModel.metadata.drop_all(app.extensions["engage.db"].engine)
    app.extensions["engage.db"].dispose()


def outcome(response):
    """The class of an answer: ``OK``, ``LOGIN`` (sent to sign in) or the status code. Registering
    sends everyone to the sign-in page on purpose: that is its answer, not a refusal."""
    sent_to_sign_in = response.headers.get("Location", "").split("?")[0].endswith("/auth/login")
    if response.status_code in (301, 302, 303, 307) and sent_to_sign_in and response.request.path != "/auth/register":
        return LOGIN
    if 200 <= response.status_code < 400:
        return OK
    return response.status_code


def fill(world, case):
    """The case's path and form with the world's ids (fresh objects made now, before counting)."""
    path = case.path.format_map(world)
    data = {}
    for key, value in case.data.items():
        key = key.format_map(world)
        data[key] = (BytesIO(png()), "picture.png") if value == PNG else value.format_map(world)
    return path, data


def test_every_route_has_an_entry_in_the_access_table(world):
    routes = {(method, rule.rule) for rule in world.app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(routes - set(ACCESS))
    assert not missing, f"routes with no entry in tests/access_table.py: {missing}"
    assert not sorted(set(ACCESS) - routes), "entries in tests/access_table.py for routes that no longer exist"


def test_the_matrix_size(world, capsys):
    """How many cells the matrix tries (printed with -s; the count is in the test's report too)."""
    keys = len(ACCESS)
    with capsys.disabled():
        print(f"\nauthorization matrix: {keys} routes×methods, {sum(map(len, ACCESS.values()))} cases, "
              f"{len(ROLES)} roles, {len(STATES)} plugin states = {len(CELLS)} cells")
    assert len(CELLS) == sum(map(len, ACCESS.values())) * len(ROLES) * len(STATES)


@pytest.mark.parametrize("cell", CELLS, ids=[cell_id(c) for c in CELLS])
def test_access(world, cell):
    state, (method, rule), n, role = cell
    case = ACCESS[(method, rule)][n]
    world.switch(state)
    adapter = world.app.url_map.bind("localhost")
    path, data = fill(world, case)
    found, _args = adapter.match(path.split("?")[0], method=method)
    expected = 404 if state == "off" and world.owner_plugin(found) else case.roles[role]
    client = world.client(role)
    before = world.counts() if method == "POST" and expected != OK else None
    response = client.open(path, method=method, data=data)
    world.cells += 1
    try:
        assert outcome(response) == expected, (f"{role} {method} {path} (plugins {state}): expected {expected}, "
                                               f"got {response.status_code} {response.headers.get('Location', '')}")
        if response.status_code < 300 and response.mimetype in ("text/html", "text/csv", "application/json",
                                                                "application/ld+json"):
            body = response.get_data(as_text=True)
            world.seen.update(secret for secret in world.secrets if shows(body, secret))
            leaked = [secret for secret, allowed in world.secrets.items() if role not in allowed and shows(body, secret)]
            assert not leaked, f"{role} {method} {path} shows what it may not: {leaked}"
        if before is not None:
            after = world.counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            assert not changed, f"refused {method} {path} by {role} changed row counts: {changed}"
    finally:
        if case.signs_out and role != ANON:
            world.sign_in(role)


def test_the_words_checked_are_on_pages_those_allowed_see(world):
    """The leak check means something: every private word is shown to someone allowed to read it
    (on the pages of the cells above, so this runs after them, in the same process)."""
    if world.cells < len(CELLS):
        pytest.skip("the matrix did not run whole in this process")
    unseen = [secret for secret, allowed in world.secrets.items() if allowed and secret not in world.seen]
    assert not unseen, f"no page showed these to anyone allowed to read them: {unseen}"


def shows(body: str, secret: str) -> bool:
    """Whether ``body`` shows ``secret`` as itself: "other_reader@test.library" (the other reader's
    own address, on their account pages) does not show "reader@test.library"."""
    return re.search(r"(?<![\w.+-])" + re.escape(secret), body) is not None

