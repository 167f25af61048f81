"""Fixtures for the CAS sign-in tests: a real django-cas-server on loopback and an app set up for it."""

from __future__ import annotations

import pytest

from core.identity.providers import save_provider_settings
from core.identity.providers_models import SignInSetting
from tests.identity_servers import campus_faculties
from tests.identity_servers.servers import cas_server, closed_port_url, silent_server  # noqa: F401


def configure(app, **values):
    """Set the CAS provider's settings (and mapping, ``mapping=``) in ``app``'s database."""
    import json

    mapping = values.pop("mapping", None)
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        save_provider_settings(session, key="cas", values=values, secret=None, actor_id=None)
        if mapping is not None:
            row = session.get(SignInSetting, "cas")
            row.mapping = json.dumps(mapping)
            session.add(row)


@pytest.fixture
def cas_app(app, cas_server):  # noqa: F811
    campus_faculties(app)
    configure(app, server_url=cas_server, version="3", timeout=5,
              mapping={"display_name": "displayName", "email": "mail", "member_number": "employeeNumber",
                       "faculty": "ou", "role_rules": "eduPersonAffiliation=staff -> librarian",
                       "allow": "eduPersonAffiliation=student\neduPersonAffiliation=staff"})
    return app
