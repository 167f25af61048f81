"""Administration of academic terms: saving or deleting one recounts term totals by itself.

A small ledger is recounted within the request; a large one behind a progress page that
advances the recount a few chunks per poll (and without JavaScript, per press of a button).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import term_recount
from core.admin import bp
from core.confirm import ask, confirmed
from core.db import get_db, get_session
from core.forms import ConfirmForm, TermForm
from core.models import Role, Term
from core.periods import TermSpan
from core.points import ledger_size
from core.security import role_required
from core.terms import TermError, delete_term, derive_key, list_terms, save_term
from core.ui import render


def term_delete_consequence() -> str:
    """What deleting a term does, said before it happens."""
    return _("Points earned in its dates stop counting towards it, and this term's totals are recounted. "
             "This cannot be undone, though you can add the term again.")


@bp.context_processor
def _term_words():
    return {"term_delete_consequence": term_delete_consequence}


def _recount_after_change(done_message: str):
    """Start recounting term totals; finish now for a small ledger, else show the progress page."""
    db = get_session()
    recount = term_recount.start(db, actor_id=current_user.id)
    small = ledger_size(db) <= current_app.config["TERM_RECOUNT_INLINE_ROWS"]
    db.commit()
    if small and term_recount.advance(get_db(), recount_id=recount.id, seconds=30.0).state == "done":
        flash(done_message + " " + _("Term totals and boards are recounted."), "success")
        return redirect(url_for("admin.terms"))
    flash(done_message, "success")
    return redirect(url_for("admin.term_recount", recount_id=recount.id))


@bp.route("/terms", methods=["GET", "POST"])
@role_required(Role.admin)
def terms():
    """The academic terms that decide what "this term" means; ``?term=<key>`` edits one."""
    db = get_session()
    editing = None
    if request.args.get("term"):
        editing = db.get(Term, request.args["term"][:24])
        if editing is None:
            abort(404)
    form = TermForm(obj=editing if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            key = editing.key if editing else derive_key(
                starts_on=form.starts_on.data, taken={t.key for t in list_terms(db)})
            term = TermSpan(key, form.name_en.data, form.name_zh.data, form.starts_on.data, form.ends_on.data)
            try:
                moved = save_term(db, term=term, actor_id=current_user.id)
            except TermError as exc:
                db.rollback()
                form.ends_on.errors.append(str(exc))
            else:
                if moved:
                    return _recount_after_change(_("The term is saved."))
                db.commit()
                flash(_("The term is saved."), "success")
                return redirect(url_for("admin.terms"))
        status = 400
    return render("admin/terms.html", form=form, terms=list_terms(db), delete_form=ConfirmForm(), editing=editing,
                  recount=term_recount.latest(db), status=status)


@bp.route("/terms/<key>/delete", methods=["POST"])
@role_required(Role.admin)
def remove_term(key: str):
    """Delete a term after asking; term totals are then recounted."""
    db = get_session()
    if db.get(Term, key) is None:
        abort(404)
    if not confirmed():
        return ask(title=_("Delete the term “%(key)s”?", key=key), consequence=term_delete_consequence(),
                   confirm_label=_("Delete the term"), cancel_url=url_for("admin.terms"))
    try:
        delete_term(db, key=key, actor_id=current_user.id)
    except TermError:
        abort(404)
    return _recount_after_change(_("The term is deleted."))


def _recount_or_404(recount_id: int):
    recount = get_session().get(term_recount.TermRecount, recount_id)
    if recount is None:
        abort(404)
    return recount


@bp.route("/terms/recount/<int:recount_id>", methods=["GET", "POST"], endpoint="term_recount")
@role_required(Role.admin)
def term_recount_view(recount_id: int):
    """How far recounting term totals has come; each POST (the page's poll) advances it."""
    recount = _recount_or_404(recount_id)
    if request.method == "POST":
        get_session().rollback()  # the recount runs in transactions of its own
        recount = term_recount.advance(get_db(), recount_id=recount_id) or recount
        if recount.state == "done" and not request.headers.get("HX-Request"):
            flash(_("Term totals and boards are recounted."), "success")
            return redirect(url_for("admin.terms"))
        if not request.headers.get("HX-Request"):
            return redirect(url_for("admin.term_recount", recount_id=recount_id))
    return render("admin/term_recount.html", block="progress", recount=recount,
                  percent=term_recount.percent(recount), form=ConfirmForm())
