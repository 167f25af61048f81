"""The main menu: one item marked as the current page, the closest one, also when htmx fetches
the menu again (it is told the page it is on)."""

from __future__ import annotations

import re

import pytest

from core.models import Role
from core.ui import MenuItem, current_item

ITEMS = [MenuItem("Home", "/", 0), MenuItem("Feedback", "/feedback/", 60), MenuItem("Feedback queue", "/feedback/queue", 61),
         MenuItem("My points", "/me", 10), MenuItem("Administration", "/admin/", 900, also=("/screens/", "/badges/manage")),
         MenuItem("Badges", "/badges/", 30)]


@pytest.mark.parametrize("path, label", [
    ("/", "Home"), ("/feedback/", "Feedback"), ("/feedback", "Feedback"), ("/feedback/12", "Feedback"),
    ("/feedback/queue", "Feedback queue"), ("/feedback/queue/old", "Feedback queue"), ("/me", "My points"),
    ("/me/password", "My points"), ("/screens/3", "Administration"), ("/badges/manage", "Administration"),
    ("/badges/core:first-points", "Badges"), ("/people/1", None), ("/mean", None), ("/auth/login", None)])
def test_the_closest_item_is_the_current_one(path, label):
    found = current_item(ITEMS, path)
    assert (found.label if found else None) == label


def test_the_site_root_under_a_prefix_marks_only_home():
    items = [MenuItem("Home", "/library/", 0), MenuItem("Badges", "/library/badges/", 30)]
    assert current_item(items, "/library/badges/x", "/library/").label == "Badges"
    assert current_item(items, "/library/auth/login", "/library/") is None
    assert current_item(items, "/library/", "/library/").label == "Home"


def marked(html: str) -> list[str]:
    menu = re.search(r'<nav class="menu".*?</nav>', html, re.S).group(0)
    return re.findall(r'aria-current="page">([^<]*)<', menu)


@pytest.fixture
def librarian_client(app, make_user, client, auth):
    auth.login(make_user(Role.librarian).email)
    return client


def test_every_page_marks_one_item(librarian_client):
    assert marked(librarian_client.get("/").get_data(as_text=True)) == ["Home"]
    assert marked(librarian_client.get("/me/password").get_data(as_text=True)) == ["My points"]
    assert marked(librarian_client.get("/screens/").get_data(as_text=True)) == ["Administration"]
    assert marked(librarian_client.get("/people/999").get_data(as_text=True)) == []  # a 404 page


@pytest.mark.parametrize("query, headers, expected", [
    ({"page": "/admin/users"}, {}, ["Administration"]),
    ({"page": "/me/password"}, {}, ["My points"]),
    ({}, {"HX-Current-URL": "http://localhost/screens/"}, ["Administration"]),
    ({}, {"HX-Current-URL": "http://localhost/"}, ["Home"]),
    ({}, {}, []),  # not told: nothing marked rather than the wrong item
    ({"page": "//elsewhere.example/admin/"}, {}, []),
    ({}, {"HX-Current-URL": "https://elsewhere.example/admin/"}, []),
    ({"page": "/" + "a" * 3000}, {}, []),
    ({"page": "null"}, {}, []),
])
def test_the_refreshed_menu_marks_the_page_it_is_on(librarian_client, query, headers, expected):
    response = librarian_client.get("/menu", query_string=query, headers={"HX-Request": "true", **headers})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and marked(html) == expected


def test_the_menu_tells_its_refresh_which_page_it_is_on(librarian_client):
    html = librarian_client.get("/feedback/queue").get_data(as_text=True)
    assert 'hx-vals=\'{"page": "/feedback/queue"}\'' in html
