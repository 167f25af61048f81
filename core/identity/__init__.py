"""Campus identity: who a person is, how they prove it, and how their account lives.

- Sign-in providers (``providers*``): the ``engage_sign_in_providers`` hook, local passwords as one
  provider an administrator can switch off, identity links, attribute mapping and accounts made
  just in time at a first sign-in.
- The library's managed list of faculties and colleges (``faculties``) and the roster of readers and
  staff imported from the campus's own lists (``roster``, ``imports``).
- Accounts after sign-up (``account_*``): proving an address, resetting and changing passwords and
  addresses, administrators' lifecycle actions, and readers' rights (``privacy``: export everything,
  delete the account; ``retention``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask, host) -> None:
    """The faculty filter and the import job (the faculty and roster pages are on admin's
    blueprint, imported with it by the app factory); the account pages, the gate for unverified
    readers and core's part of the hooks ``engage_user_data`` and ``engage_forget_user``."""
    from flask_babel import gettext as _

    from core.identity import account_views, faculties, gate, imports, models, privacy_core, retention  # noqa: F401

    faculties.init_app(app)
    host.pm.register(imports, name="core_roster_import_job")
    words = {"email": lambda: _("email"), "member_number": lambda: _("number"), "number": lambda: _("number"),
             "name": lambda: _("name"), "faculty": lambda: _("faculty"), "code": lambda: _("code"),
             "cohort": lambda: _("faculty"),
             "role": lambda: _("role"), "is_active": lambda: _("active"), "name_en": lambda: _("English name"),
             "name_zh": lambda: _("Chinese name"), "active": lambda: _("offered"), "order": lambda: _("position")}
    app.jinja_env.filters["import_field"] = lambda key: words[key]() if key in words else key

    app.register_blueprint(account_views.bp)
    gate.init_app(app)
    host.pm.register(privacy_core, name="core_privacy")
    host.pm.register(retention, name="core_retention")
