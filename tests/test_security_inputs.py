"""Hostile input is refused centrally (core.security.inputs, core.forms.Form): integers beyond
the database's range, NUL bytes, control characters, dates no library means, numbers that
are not finite, JSON bodies; each answered below 500 with nothing changed. The generated
suite (tests/test_fuzz.py) sends such values to every route; these are the named cases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models import Role, Term
from core.testing import PASSWORD


@pytest.fixture
def admin_client(client, auth, make_user):
    auth.login(make_user(Role.admin).email)
    return client


def term_count(app):
    with app.extensions["engage.db"].session() as session:
        return session.execute(select(func.count()).select_from(Term)).scalar_one()


@pytest.mark.parametrize("path", ["/people/2147483648", "/people/99999999999999999999",
                                  "/openbadges/assertions/99999999999999999999",
                                  "/openbadges/assertions/9223372036854775808/badge.png",
                                  "/people/" + "9" * 5000])
def test_ids_beyond_the_integer_range_match_no_route(client, path):
    assert client.get(path).status_code == 404


def test_the_largest_integer_id_is_still_an_id(client):
    assert client.get("/people/2147483647").status_code == 404  # no such person, but asked


@pytest.mark.parametrize("value", ["2147483648", "-2147483649", "99999999999999999999", "1" + "0" * 400])
def test_integer_arguments_beyond_the_range_are_ignored(admin_client, value):
    assert admin_client.get(f"/me/history?before={value}").status_code == 200
    assert admin_client.get(f"/notifications/?before={value}").status_code == 200
    assert admin_client.get(f"/admin/users?page={value}").status_code == 200


def test_a_nul_byte_anywhere_is_refused_with_nothing_changed(app, admin_client):
    before = term_count(app)
    form = {"key": "2026-autumn", "name_en": "Autumn\x00", "name_zh": "秋季", "starts_on": "2026-09-01",
            "ends_on": "2027-01-15"}
    response = admin_client.post("/admin/terms", data=form)
    assert response.status_code == 400
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert admin_client.get("/admin/users?q=a%00b").status_code == 400
    assert admin_client.get("/badges/a%00b").status_code == 400
    assert admin_client.post("/admin/terms", data={**form, "name_en": "Autumn", "x\x00": "1"}).status_code == 400
    assert term_count(app) == before


def test_control_characters_in_a_field_are_refused_with_a_message(app, admin_client):
    form = {"key": "2026-autumn", "name_en": "Autumn\x1b[31m", "name_zh": "秋季", "starts_on": "2026-09-01",
            "ends_on": "2027-01-15"}
    response = admin_client.post("/admin/terms", data=form)
    assert response.status_code == 400
    assert "Remove the invisible control characters from this text." in response.get_data(as_text=True)
    assert term_count(app) == 0
    # tabs and line breaks are text
    assert admin_client.post("/admin/terms", data={**form, "name_en": "Autumn\tterm"}).status_code == 302
    assert term_count(app) == 1


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_dates_no_library_means_are_refused_with_a_message(app, admin_client, day):
    form = {"key": "2026-autumn", "name_en": "Autumn", "name_zh": "秋季", "starts_on": day, "ends_on": "2027-01-15"}
    response = admin_client.post("/admin/terms", data=form)
    assert response.status_code == 400
    assert "Enter a date between the years 1900 and 2999." in response.get_data(as_text=True)
    assert term_count(app) == 0


def test_a_date_time_that_would_overflow_in_library_time_is_a_field_error(app):
    from wtforms.validators import Optional

    from core.forms import Form
    from core.localtime import LocalDateTimeField

    class When(Form):
        class Meta:
            csrf = False

        at = LocalDateTimeField(validators=[Optional()])

    with app.test_request_context("/", method="POST", data={"at": "0001-01-01T00:00"}):
        form = When()
        assert not form.validate()
        assert form.at.data is None and form.errors["at"]


def test_whole_numbers_beyond_the_range_are_a_field_error(app, admin_client, make_user):
    reader = make_user()
    response = admin_client.post(f"/admin/users/{reader.id}/adjust",
                                 data={"amount": "99999999999999999999", "reason": "Fuzzed", "nonce": "n1"})
    assert response.status_code == 400
    assert "Enter a number between" in response.get_data(as_text=True)


def test_a_json_body_is_not_form_data(client, make_user):
    user = make_user()
    response = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    response = client.post("/auth/login", json={"email": ["a"], "password": {"x": 1}})
    assert response.status_code == 400


def test_every_form_is_built_on_cores_form(app):
    """A form class outside core.forms.Form would skip the checks above."""
    from flask_wtf import FlaskForm
    from wtforms import Form as PlainForm

    from core.forms import Form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    outside = {f"{cls.__module__}.{cls.__qualname__}" for base in (FlaskForm, PlainForm) for cls in subclasses(base)
               if cls.__module__.startswith(("core.", "plugins.")) and not issubclass(cls, Form)}
    assert outside == set()
