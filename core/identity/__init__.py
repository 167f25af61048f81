"""Who the readers are: the library's managed list of faculties and colleges
(``core.identity.faculties``) and the roster of readers and staff imported from the campus's own
lists (``core.identity.roster``)."""


def init_app(app, host) -> None:
    """The faculty filter for templates and the import job (the pages are on admin's blueprint,
    imported with it by the app factory)."""
    from flask_babel import gettext as _

    from core.identity import faculties, imports

    faculties.init_app(app)
    host.pm.register(imports, name="core_roster_import_job")
    words = {"email": lambda: _("email"), "member_number": lambda: _("number"), "number": lambda: _("number"),
             "name": lambda: _("name"), "faculty": lambda: _("faculty"), "code": lambda: _("code"),
             "cohort": lambda: _("faculty"),
             "role": lambda: _("role"), "is_active": lambda: _("active"), "name_en": lambda: _("English name"),
             "name_zh": lambda: _("Chinese name"), "active": lambda: _("offered"), "order": lambda: _("position")}
    app.jinja_env.filters["import_field"] = lambda key: words[key]() if key in words else key
