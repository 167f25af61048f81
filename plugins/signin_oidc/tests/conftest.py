"""Fixtures for the OpenID Connect sign-in tests: a real oidc-provider on loopback and an app set up for it."""

from __future__ import annotations

import json

import pytest

from core.identity.providers import save_provider_settings
from core.identity.providers_models import SignInSetting
from tests.identity_servers import campus_faculties
from tests.identity_servers.servers import closed_port_url, oidc_factory, oidc_server, silent_server  # noqa: F401


def configure(app, secret=None, **values):
    """Set the OpenID Connect provider's settings (and mapping, ``mapping=``) in ``app``'s database."""
    mapping = values.pop("mapping", None)
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        save_provider_settings(session, key="oidc", values=values, secret=secret, actor_id=None)
        if mapping is not None:
            row = session.get(SignInSetting, "oidc")
            row.mapping = json.dumps(mapping)
            session.add(row)


@pytest.fixture
def oidc_app(app, oidc_server):  # noqa: F811
    campus_faculties(app)
    configure(app, secret="engage-secret", issuer=oidc_server, client_id="engage",
              scopes="openid email profile campus", timeout=5, end_session="yes",
              mapping={"display_name": "name", "email": "email", "member_number": "student_number",
                       "faculty": "college", "role_rules": "groups=staff -> librarian\ngroups=library-admins -> admin"})
    return app
