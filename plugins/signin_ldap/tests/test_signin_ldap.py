"""Sign-in with a directory password, checked by a bind against a real slapd on loopback: direct
bind and search-then-bind, attributes mapped, and every refusal clear with nothing written."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from core.identity.providers_models import IdentityLink
from core.models import Role, User
from tests.identity_servers.servers import run_once

from .conftest import configure

pytestmark = run_once


def users(app):
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return session.execute(select(func.count()).select_from(User)).scalar()


def post(app, username, password, client=None):
    client = client or app.test_client()
    return client, client.post("/signin/ldap/", data={"username": username, "password": password})


def test_directory_form_is_offered_once_set_up(ldap_app):
    assert "/signin/ldap/" in ldap_app.test_client().get("/auth/login").get_data(as_text=True)
    assert ldap_app.test_client().get("/signin/ldap/").status_code == 200


def test_bind_signs_in_and_maps_the_entry(ldap_app):
    client, answer = post(ldap_app, "erin", "erin-pw")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert client.get("/me").status_code == 200
    with ldap_app.app_context(), ldap_app.extensions["engage.db"].session() as session:
        user = session.execute(select(User).where(User.email == "erin@campus.edu")).scalar_one()
        assert (user.display_name, user.member_number, user.cohort, user.role) == ("Erin Zhou", "T5005", "LIB", Role.librarian.value)
        assert session.execute(select(IdentityLink.subject)).scalar_one() == "erin"


def test_search_then_bind_with_a_search_account(app, ldap_server):
    configure(app, secret="reader-pw", server_url=ldap_server, base_dn="ou=people,dc=campus,dc=edu",
              search_dn="cn=reader,dc=campus,dc=edu", user_filter="(uid={username})")
    _, answer = post(app, "dana", "dana-pw")
    assert answer.status_code == 302
    # A filter injection finds nobody rather than everybody.
    _, answer = post(app, "*)(uid=*", "dana-pw")
    assert answer.status_code == 400


@pytest.mark.parametrize("username,password", [("dana", "wrong"), ("nobody", "x"), ("dana,ou=x", "dana-pw"),
                                               ("dana", " ")])
def test_wrong_passwords_are_refused_on_the_form(ldap_app, username, password):
    _, answer = post(ldap_app, username, password)
    assert answer.status_code == 400
    assert users(ldap_app) == 0


def test_empty_password_is_never_an_anonymous_bind(ldap_app):
    from ..directory import DirectoryProblem, check_password

    with pytest.raises(DirectoryProblem):
        check_password({"server_url": "ldap://127.0.0.1:1", "bind_dn_template": "uid={username},dc=x"}, None, "dana", "")
    _, answer = post(ldap_app, "dana", "")
    assert answer.status_code == 400 and users(ldap_app) == 0


def test_entry_without_email_is_refused_clearly(ldap_app):
    _, answer = post(ldap_app, "nomail", "nomail-pw")
    assert answer.status_code == 400 and "did not send an email address" in answer.get_data(as_text=True)
    assert users(ldap_app) == 0


def test_directory_down_or_slow_gives_a_clear_page(app, silent_server, closed_port_url):
    configure(app, server_url=closed_port_url.replace("http", "ldap").rstrip("/"),
              bind_dn_template="uid={username},dc=x", timeout=1)
    _, answer = post(app, "dana", "dana-pw")
    assert answer.status_code in (502, 504) and "campus directory" in answer.get_data(as_text=True)
    configure(app, server_url=silent_server.replace("http", "ldap").rstrip("/"),
              bind_dn_template="uid={username},dc=x", timeout=1)
    began = time.monotonic()
    _, answer = post(app, "dana", "dana-pw")
    assert answer.status_code == 504 and "did not answer in time" in answer.get_data(as_text=True)
    assert time.monotonic() - began < 5


def test_test_button_binds_and_reports_without_signing_in(ldap_app, make_user):
    admin = make_user(Role.admin)
    client = ldap_app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery"})
    answer = client.post("/admin/sign-in/ldap/test")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/signin/ldap/")
    _, report = post(ldap_app, "dana", "dana-pw", client=client)
    text = report.get_data(as_text=True)
    assert report.status_code == 200 and "departmentNumber" in text and "School of Physics" in text
    assert "userPassword" not in text and "dana-pw" not in text
    assert users(ldap_app) == 1  # the administrator alone


def test_refusals_speak_chinese(ldap_app, closed_port_url):
    """A wrong password, an entry without an email address and a directory that cannot be reached:
    each said in the reader's language, with nothing written."""
    zh = {"Accept-Language": "zh-CN"}
    client = ldap_app.test_client()
    answer = client.post("/signin/ldap/", data={"username": "dana", "password": "wrong"}, headers=zh)
    assert answer.status_code == 400 and "用户名或密码不正确" in answer.get_data(as_text=True)
    answer = client.post("/signin/ldap/", data={"username": "nomail", "password": "nomail-pw"}, headers=zh)
    assert answer.status_code == 400 and "你的校园账号没有发来邮箱地址" in answer.get_data(as_text=True)
    configure(ldap_app, server_url=closed_port_url.replace("http", "ldap").rstrip("/"),
              bind_dn_template="uid={username},dc=x", timeout=1)
    answer = client.post("/signin/ldap/", data={"username": "dana", "password": "dana-pw"}, headers=zh)
    assert answer.status_code in (502, 504) and "校园目录服务器" in answer.get_data(as_text=True)
    assert users(ldap_app) == 0
