"""Librarians' pages: the rules (with their preview and replays), unmatched numbers, CSV uploads."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core.api.awarding import readers_by_number
from core.db import get_session
from core.models import Role, utcnow
from core.security import role_required
from core.ui import render

from . import matching, paying, replay, upload
from .blueprint import bp
from .forms import ConfirmForm, MatchForm, RuleForm, UploadForm
from .i18n import _
from .models import InboundEvent, InboundReplay, InboundRule, InboundUpload

PREVIEW_DAYS = (30, 90)


def known_kinds(session) -> list[str]:
    """Event types in the rules and the stored events."""
    kinds = set(session.execute(select(InboundRule.kind).distinct()).scalars())
    kinds |= set(session.execute(select(InboundEvent.kind).distinct().limit(200)).scalars())
    return sorted(kinds)


def _clock(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str | None) -> int | None:
    if not text:
        return None
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _fill(rule: InboundRule, form: RuleForm) -> None:
    rule.name, rule.kind, rule.points = form.name.data.strip(), form.kind.data.strip(), form.points.data
    rule.day_points, rule.day_count = form.day_points.data, form.day_count.data
    rule.week_points, rule.week_count = form.week_points.data, form.week_count.data
    rule.window_start, rule.window_end = _minutes(form.window_from.data), _minutes(form.window_to.data)
    rule.weekdays = "".join(sorted(set(form.weekdays.data or [])))
    rule.active = bool(form.active.data)


def _form_for(rule: InboundRule | None) -> RuleForm:
    if rule is None or request.method == "POST":
        return RuleForm()
    form = RuleForm(obj=rule)
    form.window_from.data, form.window_to.data = _clock(rule.window_start), _clock(rule.window_end)
    form.weekdays.data = list(rule.weekdays)
    return form


def _describe(rule: InboundRule) -> str:
    parts = []
    if rule.window_start is not None:
        parts.append(_("from %(start)s to %(end)s", start=_clock(rule.window_start), end=_clock(rule.window_end)))
    for value, text in ((rule.day_points, _("at most %(n)d points a day")), (rule.day_count, _("at most %(n)d a day")),
                        (rule.week_points, _("at most %(n)d points a week")),
                        (rule.week_count, _("at most %(n)d a week"))):
        if value is not None:
            parts.append(text % {"n": value})
    return "; ".join(parts)


@bp.route("/")
@role_required(Role.librarian)
def rules():
    """Every rule, with what it does and how its last replay went."""
    session = get_session()
    rows = session.execute(select(InboundRule).order_by(InboundRule.kind, InboundRule.id)).scalars().all()
    counts = dict(session.execute(select(InboundEvent.kind, func.count()).group_by(InboundEvent.kind)).all())
    unmatched = session.execute(select(func.count()).select_from(InboundEvent)
                                .where(InboundEvent.user_id.is_(None))).scalar_one()
    return render("inbound/rules.html", rules=rows, counts=counts, unmatched=unmatched, describe=_describe)


@bp.route("/rules/new", methods=["GET", "POST"])
@role_required(Role.librarian)
def new_rule():
    return _edit(None)


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@role_required(Role.librarian)
def edit_rule(rule_id: int):
    rule = get_session().get(InboundRule, rule_id)
    if rule is None:
        abort(404)
    return _edit(rule)


def _edit(rule: InboundRule | None):
    """Make or change a rule; "Preview" shows what the form's rule would have paid, saving nothing."""
    session = get_session()
    form = _form_for(rule)
    previews = None
    status = 200
    if request.method == "POST":
        if form.validate():
            draft = InboundRule()
            _fill(draft, form)
            if request.form.get("action") == "preview":
                previews = [paying.preview(session, draft, days=d) for d in PREVIEW_DAYS]
            else:
                target = rule or InboundRule(created_by=current_user.id)
                changed = rule is None or any(getattr(rule, k) != getattr(draft, k) for k in (
                    "kind", "points", "day_points", "day_count", "week_points", "week_count", "window_start",
                    "window_end", "weekdays", "active"))
                _fill(target, form)
                target.updated_at = utcnow()
                session.add(target)
                session.flush()
                session.commit()
                if changed and target.active:
                    flash(_("Rule saved. It pays new events from now on; replay the stored events to pay past ones."),
                          "success")
                else:
                    flash(_("Rule saved."), "success")
                return redirect(url_for("inbound.edit_rule", rule_id=target.id))
        else:
            status = 400
    elif rule is not None:
        previews = [paying.preview(session, rule, days=d) for d in PREVIEW_DAYS]
    replays = []
    if rule is not None:
        replays = session.execute(select(InboundReplay).where(InboundReplay.rule_id == rule.id)
                                  .order_by(InboundReplay.id.desc()).limit(5)).scalars().all()
    return render("inbound/rule.html", form=form, rule=rule, previews=previews, replays=replays,
                  confirm=ConfirmForm(), kinds=known_kinds(session)), status


@bp.route("/rules/<int:rule_id>/replay", methods=["POST"])
@role_required(Role.librarian)
def replay_rule(rule_id: int):
    """Pay the stored events for a rule that is on; what it paid before is not paid again."""
    session = get_session()
    rule = session.get(InboundRule, rule_id)
    if rule is None:
        abort(404)
    if not ConfirmForm().validate():
        abort(400)
    if not rule.active:
        flash(_("Switch the rule on before replaying events for it."), "error")
        return redirect(url_for("inbound.edit_rule", rule_id=rule.id)), 409
    replay.request_replay(session, rule=rule, actor_id=current_user.id)
    session.commit()
    flash(_("The replay has started; this page shows its progress."), "success")
    return redirect(url_for("inbound.edit_rule", rule_id=rule.id))


@bp.route("/rules/<int:rule_id>/replays")
@role_required(Role.librarian)
def replay_progress(rule_id: int):
    """The rule's replays (the part of its page that refreshes while one runs)."""
    session = get_session()
    rule = session.get(InboundRule, rule_id)
    if rule is None:
        abort(404)
    replays = session.execute(select(InboundReplay).where(InboundReplay.rule_id == rule.id)
                              .order_by(InboundReplay.id.desc()).limit(5)).scalars().all()
    return render("inbound/_replays.html", block="replays", rule=rule, replays=replays)


@bp.route("/unmatched", methods=["GET", "POST"])
@role_required(Role.librarian)
def unmatched():
    """Numbers no reader had: give their events to a reader, who is then paid by the rules."""
    session = get_session()
    form = MatchForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            number, reader = form.number.data.strip(), form.reader.data.strip()
            found = readers_by_number(session, {reader})
            if reader not in found:
                form.reader.errors = list(form.reader.errors) + [_("No reader has this number.")]
                status = 400
            else:
                count, points = matching.link(session, {number: found[reader]}, actor_id=current_user.id)
                session.commit()
                if count:
                    flash(_("%(count)d events given to %(reader)s; %(points)d points paid.", count=count,
                            reader=reader, points=points), "success")
                else:
                    flash(_("No unmatched events have this number."), "error")
                return redirect(url_for("inbound.unmatched"))
        else:
            status = 400
    return render("inbound/unmatched.html", numbers=matching.unmatched_numbers(session), form=form), status


@bp.route("/upload", methods=["GET", "POST"])
@role_required(Role.librarian)
def upload_file():
    """A CSV of events: its rows checked and shown first; nothing is stored until applied."""
    session = get_session()
    form = UploadForm()
    verdicts, pending, status = None, None, 200
    if request.method == "POST":
        file = request.files.get("file")
        if not form.validate():
            status = 400
        elif file is None or not file.filename:
            form.file.errors = [_("Choose a file.")]
            status = 400
        else:
            try:
                pending, verdicts = upload.read_upload(session, file.read(upload.MAX_BYTES + 1), file.filename,
                                                       actor_id=current_user.id)
                session.commit()
            except upload.UploadError as error:
                session.rollback()
                form.file.errors = [str(error)]
                status = 400
    return render("inbound/upload.html", form=form, verdicts=verdicts, pending=pending, confirm=ConfirmForm()), status


@bp.route("/upload/<int:upload_id>/apply", methods=["POST"])
@role_required(Role.librarian)
def apply_upload(upload_id: int):
    session = get_session()
    pending = session.get(InboundUpload, upload_id)
    if pending is None:
        abort(404)
    if not ConfirmForm().validate():
        abort(400)
    try:
        answer = upload.apply_upload(session, pending)
    except upload.UploadError as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(url_for("inbound.upload_file")), 409
    session.commit()
    flash(_("%(stored)d events stored (%(unmatched)d without a known reader), %(duplicate)d already there; "
            "%(points)d points paid.", **answer), "success")
    return redirect(url_for("inbound.upload_file"))
