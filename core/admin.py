"""Administration: plugin switches, users and their points and roles, terms, the audit trail."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, or_, select

from core.accounts import AccountError, set_active, set_role
from core.audit_names import describe_detail, name_targets
from core.confirm import ask, confirmed
from core.db import get_session
from core.i18n import pick
from core.forms import AdjustForm, ConfirmForm, DeactivateForm, LevelsForm, RoleForm, UserSearchForm
from core.identity.links import external_identities
from core.levels import LevelError, list_levels, save_levels
from core.models import AuditEntry, Role, User
from core.plugins import get_host, set_enabled
from core.approvals import pending, request_adjustment
from core.openbadges import problems as openbadges_problems
from core.pagination import paginate
from core.points import PointsError, period_totals, user_total
from core.security import role_required
from core.ui import Panel, collect, render
from core.views import history

bp = Blueprint("admin", __name__, url_prefix="/admin")
USERS_PAGE = 25
AUDIT_PAGE = 50
JOB_FAILURES_SHOWN = 100


@bp.context_processor
def _names():
    return {
        "role_names": {"student": _("Student"), "librarian": _("Librarian"), "admin": _("Administrator")},
        "audit_actions": {"points.adjust": _("Points adjusted"), "points.reverse": _("Points reversed"),
                          "role.change": _("Role changed"), "user.deactivate": _("Account deactivated"),
                          "user.activate": _("Account reactivated"), "password.set": _("Password set"), "plugin.enable": _("Plugin switched on"),
                          "plugin.disable": _("Plugin switched off"), "term.save": _("Term saved"),
                          "term.delete": _("Term deleted"), "levels.save": _("Levels saved"),
                          "badge.award": _("Badge awarded"), "badge.revoke": _("Badge revoked"),
                          "badge.artwork": _("Badge artwork uploaded"), "screen.save": _("Screen saved"),
                          "screen.rotate": _("Screen address changed"), "screen.delete": _("Screen deleted"),
                          "points.adjust.request": _("Adjustment asked for"),
                          "points.adjust.approve": _("Adjustment approved"),
                          "points.adjust.reject": _("Adjustment turned down"),
                          "account.register_taken": _("Registration tried with this email"),
                          "faculty.save": _("Faculty saved"), "faculty.delete": _("Faculty deleted"),
                          "roster.import": _("Readers imported"), "faculties.import": _("Faculties imported"),
                          # accounts (core.identity)
                          "account.delete": _("Account deleted by its owner"),
                          "account.anonymise": _("Account anonymised (retention)"),
                          "account.email_change": _("Email address changed"),
                          "password.reset": _("Password reset by email"),
                          "password.reset_sent": _("Reset link sent"),
                          "accounts.settings": _("Account settings changed"),
                          "signin.create": _("Account made at a first campus sign-in"),
                          "signin.link": _("Account linked to a campus identity"),
                          "signin.settings": _("Sign-in provider set up"),
                          "signin.passwords_on": _("Password sign-in switched on"),
                          "signin.passwords_off": _("Password sign-in switched off"),
                          "apikey.create": _("API key made"), "apikey.revoke": _("API key revoked"),
                          "api.award": _("Points awarded through the API"),
                          "api.reader.create": _("Reader added through the API"),
                          "api.reader.update": _("Reader updated through the API"),
                          "api.badge.award": _("Badge awarded through the API")},
    }


def plugin_off_consequence() -> str:
    """What switching a plugin off does, said before it happens."""
    return _("Its pages, menu items and panels go away for everyone at once. Readers keep the badges and "
             "points they earned from it, but its badges are hidden and none are earned until it is switched "
             "on again. Its data is kept.")


@bp.context_processor
def _questions():
    return {"plugin_off_consequence": plugin_off_consequence}


@bp.route("/")
@role_required(Role.librarian)
def index():
    """Plugins with their switches, load failures and the panels plugins add."""
    host = get_host()
    panels = collect(host.hooks.engage_admin_panels(user=current_user), Panel)
    return render("admin/index.html", host=host, panels=panels, form=ConfirmForm(),
                  waiting=len(pending(get_session())), badge_problems=openbadges_problems(get_session()))


@bp.route("/plugins/<name>", methods=["POST"])
@role_required(Role.admin)
def toggle_plugin(name: str):
    """Switch a plugin on or off for every worker; answers htmx with the updated row."""
    host = get_host()
    if name not in host.infos:
        abort(404)
    enabled = request.form.get("enabled") == "1"
    if not enabled and host.is_enabled(name) and not confirmed():
        title = pick(host.infos[name].title)
        return ask(title=_("Switch off %(name)s?", name=title), consequence=plugin_off_consequence(),
                   confirm_label=_("Switch off"), cancel_url=url_for("admin.index"))
    db = get_session()
    set_enabled(db, name=name, enabled=enabled, actor_id=current_user.id, host=host)
    db.commit()
    host.refresh(current_app.extensions["engage.db"], force=True)
    info = host.infos[name]
    if request.headers.get("HX-Request"):
        return render("admin/index.html", block="plugin_row", info=info, host=host, form=ConfirmForm(),
                      trigger="pluginsChanged")
    flash(_("Plugin switched on.") if enabled else _("Plugin switched off."), "success")
    return redirect(url_for("admin.index"))


@bp.route("/users")
@role_required(Role.librarian)
def users():
    """Find a user by name, email or number."""
    form = UserSearchForm(request.args)
    query = select(User)
    q = (form.q.data or "").strip() if form.validate() else ""
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.display_name).like(like), func.lower(User.email).like(like),
                                func.lower(User.member_number).like(like)))
    db = get_session()
    count = db.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    ordered = query.order_by(User.display_name, User.id)  # the id breaks ties, so pages never overlap
    page = paginate(lambda offset, limit: db.execute(ordered.offset(offset).limit(limit)).scalars().all(),
                    per_page=USERS_PAGE, q=q)
    return render("admin/users.html", block="results", form=form, users=page.items, page=page, q=q, count=count)


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_page(user: User, adjust_form: AdjustForm | None = None, role_form: RoleForm | None = None,
               active_form: DeactivateForm | None = None, status: int = 200):
    db = get_session()
    adjust_form = adjust_form or AdjustForm(nonce=secrets.token_hex(16))
    role_form = role_form or RoleForm(role=user.role)
    active_form = active_form or DeactivateForm(prefix="account")
    return render("admin/user.html", user=user, total=user_total(db, user.id), periods=period_totals(db, user.id),
                  entries=history(db, user.id, None), adjust_form=adjust_form, role_form=role_form,
                  active_form=active_form, waiting=pending(db, user_id=user.id),
                  identities=external_identities(db, user_id=user.id),
                  limit=current_app.config.get("ADJUSTMENT_APPROVAL_ABOVE"), status=status)


@bp.route("/users/<int:user_id>")
@role_required(Role.librarian)
def user(user_id: int):
    """A user's points, history, and the forms to adjust points or change the role."""
    return _user_page(_user_or_404(user_id))


@bp.route("/users/<int:user_id>/adjust", methods=["POST"])
@role_required(Role.librarian)
def adjust_points(user_id: int):
    """Add or deduct points by hand, with a reason; the same form cannot pay twice."""
    user = _user_or_404(user_id)
    form = AdjustForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            outcome = request_adjustment(db, user_id=user.id, amount=form.amount.data, actor_id=current_user.id,
                                         reason=form.reason.data, nonce=form.nonce.data,
                                         max_amount=current_app.config["MAX_ADJUSTMENT"])
        except PointsError as exc:
            db.rollback()
            form.amount.errors.append(str(exc))
        else:
            db.commit()
            if outcome.request is not None:
                flash(_("%(amount)+d points for %(name)s wait for another librarian's approval.",
                        amount=outcome.request.amount, name=user.display_name), "info")
            elif outcome.result.paid:
                flash(_("%(amount)+d points recorded for %(name)s.", amount=outcome.result.amount,
                        name=user.display_name), "success")
            else:
                flash(_("This adjustment was already recorded."), "info")
            return redirect(url_for("admin.user", user_id=user.id))
    return _user_page(user, adjust_form=form, status=400)


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@role_required(Role.admin)
def change_role(user_id: int):
    """Make a user a student, librarian or administrator, with a reason."""
    user = _user_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        if user.id == current_user.id and form.role.data != Role.admin.value:
            form.role.errors.append(_("You cannot take away your own administrator role."))
        else:
            db = get_session()
            try:
                set_role(db, user=user, role=Role(form.role.data), actor_id=current_user.id, reason=form.reason.data)
            except AccountError as exc:
                db.rollback()
                form.reason.errors.append(str(exc))
            else:
                db.commit()
                flash(_("The role is saved."), "success")
                return redirect(url_for("admin.user", user_id=user.id))
    return _user_page(user, role_form=form, status=400)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required(Role.admin)
def set_account_active(user_id: int):
    """Deactivate an account (it is signed out everywhere at once) or reactivate it, with a reason."""
    user = _user_or_404(user_id)
    form = DeactivateForm(prefix="account")
    if form.validate_on_submit():
        if user.id == current_user.id:
            form.reason.errors.append(_("You cannot deactivate your own account."))
        else:
            db = get_session()
            active = request.form.get("active") == "1"
            try:
                set_active(db, user=user, active=active, actor_id=current_user.id, reason=form.reason.data)
            except AccountError as exc:
                db.rollback()
                form.reason.errors.append(str(exc))
            else:
                db.commit()
                flash(_("The account is reactivated.") if active else _("The account is deactivated."), "success")
                return redirect(url_for("admin.user", user_id=user.id))
    return _user_page(user, active_form=form, status=400)


@bp.route("/levels", methods=["GET", "POST"])
@role_required(Role.admin)
def levels():
    """The point thresholds of each level; they must start at 0 and rise."""
    db = get_session()
    form = LevelsForm()
    if request.method == "GET":
        for row, spec in zip(form.rows, list_levels(db)):
            row.threshold.data, row.name_en.data, row.name_zh.data = spec.threshold, spec.name_en, spec.name_zh
    elif form.validate_on_submit():
        table = [(row.threshold.data, row.name_en.data or "", row.name_zh.data or "") for row in form.rows
                 if row.threshold.data is not None or (row.name_en.data or row.name_zh.data)]
        try:
            if any(threshold is None for threshold, *_names in table):
                raise LevelError(_("Every level needs a number of points."))
            save_levels(db, levels=table, actor_id=current_user.id)
        except LevelError as exc:
            db.rollback()
            form.form_errors.append(str(exc))
        else:
            db.commit()
            flash(_("The levels are saved."), "success")
            return redirect(url_for("admin.levels"))
    status = 400 if request.method == "POST" else 200
    return render("admin/levels.html", form=form, status=status)


@bp.route("/jobs")
@role_required(Role.admin)
def jobs():
    """The background queue: its periodic jobs, how many jobs wait, and failed runs not yet cleared."""
    from core.jobs import failures

    queue = current_app.extensions["engage.jobs"]
    try:
        waiting = queue.huey.pending_count()
    except Exception:  # noqa: BLE001 — the queue's store may be away; say so rather than fail
        waiting = None
    host = get_host()
    periodic = [(job, job.plugin == "core" or host.is_enabled(job.plugin))
                for _name, job in sorted(queue.periodic.items())]
    return render("admin/jobs.html", waiting=waiting, periodic=periodic,
                  failures=failures(get_session(), limit=JOB_FAILURES_SHOWN), form=ConfirmForm())


@bp.route("/jobs/clear", methods=["POST"])
@role_required(Role.admin)
def clear_job_failures():
    """Mark every listed failure dealt with: `engage check` stops reporting them."""
    from core.jobs import clear_failures

    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    cleared = clear_failures(db)
    db.commit()
    flash(ngettext("%(num)d job failure cleared.", "%(num)d job failures cleared.", cleared), "success")
    return redirect(url_for("admin.jobs"))


@bp.route("/audit")
@role_required(Role.librarian)
def audit():
    """Every manual change of points, roles, plugin switches and terms, newest first."""
    db = get_session()
    query = select(AuditEntry, User.display_name).outerjoin(User, User.id == AuditEntry.actor_id)
    page = paginate(lambda offset, limit: db.execute(query.order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
                                                     ).all(), per_page=AUDIT_PAGE)
    targets = name_targets(db, {entry.target for entry, _actor in page.items if entry.target})
    return render("admin/audit.html", rows=page.items, page=page, targets=targets, describe_detail=describe_detail)
