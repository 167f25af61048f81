"""Real sign-in servers for the tests, started on loopback by fixtures: django-cas-server, the
npm oidc-provider and Debian's slapd (see servers.py)."""


def campus_faculties(app) -> None:
    """The faculties the test servers' people belong to, on the library's managed list: an
    attribute naming one (by code or either name) maps to its code, anything else to none."""
    from core.identity.faculties import Faculty

    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        for code, name_en, name_zh in (("HIST", "School of History", "历史学院"), ("LAW", "Law School", "法学院"),
                                       ("LIB", "Library", "图书馆")):
            session.add(Faculty(code=code, name_en=name_en, name_zh=name_zh))
