"""Administration of faculties and roster imports, on the administration blueprint."""

from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.admin import bp
from core.db import get_session
from core.forms import ConfirmForm
from core.identity import imports
from core.identity.faculties import Faculty, FacultyError, delete_faculty, list_faculties, members, save_faculty
from core.identity.faculty_import import check_faculties
from core.identity.forms import FacultyForm, ImportForm
from core.identity.roster import check_users
from core.identity.tables import TableError, read_table
from core.models import Role
from core.security import role_required
from core.ui import render


@bp.route("/faculties", methods=["GET", "POST"])
@role_required(Role.admin)
def faculties():
    """The list of faculties readers choose from; ``?faculty=<id>`` edits one."""
    db = get_session()
    editing = None
    if request.args.get("faculty"):
        editing = db.get(Faculty, request.args.get("faculty", type=int) or 0)
        if editing is None:
            abort(404)
    form = FacultyForm(obj=editing if request.method == "GET" else None)
    if editing is not None:
        form.code.data = editing.code  # fixed once saved, whatever was posted
    if form.validate_on_submit():
        try:
            save_faculty(db, code=form.code.data, name_en=form.name_en.data, name_zh=form.name_zh.data,
                         active=form.active.data, order=form.order.data or 0,
                         faculty_id=editing.id if editing else None, actor_id=current_user.id)
        except FacultyError as exc:
            db.rollback()
            getattr(form, exc.field or "code").errors.append(str(exc))
        else:
            db.commit()
            flash(_("The faculty is saved."), "success")
            return redirect(url_for("admin.faculties"))
    listed = list_faculties(db)
    return render("admin/faculties.html", form=form, faculties=listed, editing=editing, delete_form=ConfirmForm(),
                  counts={f.code: members(db, f.code) for f in listed}, status=400 if form.errors else 200)


@bp.route("/faculties/<int:faculty_id>/delete", methods=["POST"])
@role_required(Role.admin)
def remove_faculty(faculty_id: int):
    """Delete a faculty nobody belongs to."""
    db = get_session()
    try:
        delete_faculty(db, faculty_id=faculty_id, actor_id=current_user.id)
    except FacultyError as exc:
        db.rollback()
        if db.get(Faculty, faculty_id) is None:
            abort(404)
        flash(str(exc), "error")
    else:
        db.commit()
        flash(_("The faculty is deleted."), "success")
    return redirect(url_for("admin.faculties"))


@bp.route("/roster", methods=["GET", "POST"])
@role_required(Role.admin)
def roster():
    """Upload a roster or faculties table; answers with its check: errors row by row, or what it
    would change and a button to apply it."""
    form = ImportForm()
    plan, problem = None, None
    if form.validate_on_submit():
        upload = form.file.data
        config = current_app.config
        db = get_session()
        try:
            if upload is None or not getattr(upload, "filename", ""):
                raise TableError(_("Choose a file to upload."))
            data = upload.read(config["ROSTER_MAX_BYTES"] + 1)
            table = read_table(data, upload.filename, max_bytes=config["ROSTER_MAX_BYTES"],
                               max_rows=config["ROSTER_MAX_ROWS"])
            plan = (check_users if form.kind.data == "users" else check_faculties)(db, table)
        except TableError as exc:
            problem = str(exc)
        if plan is not None and plan.ok:
            record = imports.keep(db, kind=form.kind.data, plan=plan, filename=upload.filename,
                                  actor_id=current_user.id)
            db.commit()
            return redirect(url_for("admin.roster_import", import_id=record.id))
        db.rollback()
    bad = problem is not None or (plan is not None and not plan.ok) or bool(form.errors)
    return render("admin/roster.html", form=form, plan=plan, problem=problem, status=400 if bad else 200)


def _import_or_404(import_id: int) -> imports.RosterImport:
    record = get_session().get(imports.RosterImport, import_id)
    if record is None:
        abort(404)
    return record


@bp.route("/roster/<int:import_id>")
@role_required(Role.admin)
def roster_import(import_id: int):
    """A checked import: what it will change and the button to apply it, then its progress
    (the page polls its ``progress`` block) and its result."""
    record = _import_or_404(import_id)
    changes = json.loads(record.plan).get("changes", []) if record.state == "ready" else []
    return render("admin/roster_import.html", block="progress", record=record, percent=imports.percent(record),
                  changes=changes, form=ConfirmForm())


@bp.route("/roster/<int:import_id>/apply", methods=["POST"])
@role_required(Role.admin)
def apply_roster(import_id: int):
    """Queue a checked import to be applied in one transaction by the job queue."""
    db = get_session()
    record = _import_or_404(import_id)
    if imports.queue(db, record):
        db.commit()
    return redirect(url_for("admin.roster_import", import_id=import_id))
