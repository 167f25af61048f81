"""Fixtures for the directory sign-in tests: a real slapd on loopback and an app set up for it."""

from __future__ import annotations

import json

import pytest

from core.identity.providers import save_provider_settings
from core.identity.providers_models import SignInSetting
from tests.identity_servers import campus_faculties
from tests.identity_servers.servers import closed_port_url, ldap_server, silent_server  # noqa: F401


def configure(app, secret=None, **values):
    """Set the directory provider's settings (and mapping, ``mapping=``) in ``app``'s database."""
    mapping = values.pop("mapping", None)
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        save_provider_settings(session, key="ldap", values=values, secret=secret, actor_id=None)
        if mapping is not None:
            row = session.get(SignInSetting, "ldap")
            row.mapping = json.dumps(mapping)
            session.add(row)


@pytest.fixture
def ldap_app(app, ldap_server):  # noqa: F811
    campus_faculties(app)
    configure(app, server_url=ldap_server, bind_dn_template="uid={username},ou=people,dc=campus,dc=edu", timeout=5,
              mapping={"display_name": "displayName", "email": "mail", "member_number": "employeeNumber",
                       "faculty": "departmentNumber", "role_rules": "employeeType=staff -> librarian"})
    return app
