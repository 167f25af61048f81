"""Asking before a destructive or hard-to-undo action.

A form for such an action posts without ``confirmed``; the view then calls :func:`ask`, which
answers with a page that says what will happen and posts the same fields again with
``confirmed=1`` (or goes back on Cancel). Nothing changes until that second post. With
JavaScript, ``engage.js`` asks the same question in a dialog first (the form's
``data-confirm``) and sends ``confirmed=1`` straight away, so the page is the fallback.
"""

from __future__ import annotations

from flask import request

from core.ui import is_fragment_request, render

FIELD = "confirmed"


def confirmed() -> bool:
    """Whether this post carries the answer "yes" to the confirmation question."""
    return request.form.get(FIELD) == "1"


def ask(*, title: str, consequence: str, confirm_label: str, cancel_url: str, danger: bool = True):
    """The confirmation page for the current post: ``consequence`` says what will happen."""
    fields = [(name, value) for name, value in request.form.items(multi=True) if name != FIELD]
    response = render("confirm.html", title=title, consequence=consequence, confirm_label=confirm_label,
                      cancel_url=cancel_url, danger=danger, fields=fields,
                      action=request.full_path.rstrip("?"))
    if is_fragment_request():  # an htmx post that skipped the dialog: show the question as the page
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML"
    return response
