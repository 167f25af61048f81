"""Error pages in the reader's language, as full pages or htmx fragments."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from core.ui import render

MESSAGES = {
    400: (_l("That request could not be understood"), _l("Something in the request was missing or not valid. Nothing was changed.")),
    403: (_l("Not allowed"), _l("You do not have permission to see or do this.")),
    404: (_l("Page not found"), _l("There is nothing at this address. It may have moved, or the activity may be switched off.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("The upload is larger than allowed. Nothing was changed.")),
    429: (_l("Too many attempts"), _l("Please wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("The library has been told. Please try again later.")),
}


def _page(code: int, detail: str | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500])
    return render("error.html", code=code, title=title, text=detail or text, status=code)


def init_app(app: Flask) -> None:
    """Answer HTTP errors with a translated page; a bad CSRF token is a 400 that says so."""

    @app.errorhandler(CSRFError)
    def _csrf(_exc):
        return _page(400, str(_l("The form has expired. Please reload the page and try again.")))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code is None or exc.code < 400 or exc.code in (304,):
            return exc
        if request.path.startswith("/api/"):  # the API answers in problem details, not pages
            from core.api.problems import from_exception

            return from_exception(exc)
        return _page(exc.code)
