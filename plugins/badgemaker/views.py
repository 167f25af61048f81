"""Librarians' pages: the badges they made, making one with a live preview, progress, retiring."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core import badge_artwork
from core.db import get_session
from core.i18n import pick
from core.models import Role, Term
from core.security import role_required
from core.ui import render

from . import service
from .blueprint import bp
from .forms import MakeBadgeForm, RetireForm
from .i18n import _
from .models import Backfill, MadeBadge, Requirement
from .rules import Need, Spec, criteria, qualifying


def what_choices(session) -> list[tuple[str, str]]:
    """Each criterion of the switched-on plugins, once per option: ``"criterion|option"``."""
    choices = [("", _("— nothing —"))]
    for key, criterion in criteria().items():
        label = pick(criterion.label) if isinstance(criterion.label, dict) else str(criterion.label)
        options = criterion.options(session) if criterion.options else [("", "")]
        for value, option_label in options:
            text = f"{label}: {option_label}" if option_label else label
            choices.append((f"{key}|{value}", text))
    return choices


def term_choices(session) -> list[tuple[str, str]]:
    terms = session.execute(select(Term).order_by(Term.starts_on.desc())).scalars().all()
    return [("", _("Any time"))] + [(t.key, pick({"en": t.name_en, "zh_Hans": t.name_zh})) for t in terms]


def build_form(session) -> MakeBadgeForm:
    form = MakeBadgeForm()
    whats = what_choices(session)
    for entry in form.needs:
        entry.form.what.choices = whats
    form.term.choices = term_choices(session)
    return form


def spec_from(form: MakeBadgeForm) -> tuple[Spec, list[str], bool]:
    """The spec the form asks for, messages about rows that make no sense, and whether only one
    of the two times of day was given."""
    needs, messages = [], []
    known = {value for value, _label in form.needs[0].form.what.choices}
    for entry in form.needs:
        what, goal = entry.form.what.data or "", entry.form.goal.data
        if not what:
            continue
        if what not in known:
            messages.append(_("Choose what counts from the list."))
            continue
        if goal is None:
            messages.append(_("Say how many of each thing a reader needs."))
            continue
        criterion, _sep, option = what.partition("|")
        needs.append(Need(criterion, option, goal))
    start, end = service.minutes(form.hours_from.data), service.minutes(form.hours_to.data)
    hours = (start, end) if start is not None and end is not None else None
    term = form.term.data or None
    if term and term not in {value for value, _label in form.term.choices}:
        messages.append(_("There is no such term."))
        term = None
    given = bool((form.hours_from.data or "").strip()), bool((form.hours_to.data or "").strip())
    return Spec(tuple(needs), term, hours), messages, given[0] != given[1]


def badge_or_404(badge_id: int) -> MadeBadge:
    badge = get_session().get(MadeBadge, badge_id)
    if badge is None:
        abort(404)
    return badge


@bp.route("/")
@role_required(Role.librarian)
def index():
    """The badges librarians made, newest first, with how many readers hold each."""
    db = get_session()
    made = db.execute(select(MadeBadge).order_by(MadeBadge.id.desc())).scalars().all()
    return render("badgemaker/index.html", made=made, holders={b.id: service.holder_count(db, b.key) for b in made})


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.librarian)
def new():
    """Make a badge: names, how to earn it, what counts, artwork; saved and granted to those who qualify."""
    db = get_session()
    form = build_form(db)
    messages, status = [], 200
    if request.method == "POST":
        status = 400
        valid = form.validate_on_submit()
        spec, messages, half = spec_from(form)
        image = None
        if form.artwork.data == "upload":
            upload = form.image.data
            image = upload.stream.read(badge_artwork.MAX_UPLOAD_BYTES + 1) if upload else b""
            if not image:
                form.image.errors.append(_("Choose an image to upload, or take the generated emblem."))
            elif len(image) > badge_artwork.MAX_UPLOAD_BYTES:
                form.image.errors.append(_("The image is larger than 1 MB."))
        if not valid and not messages and spec.needs:  # say what else is wrong at once
            messages = service.problems(db, spec, name_en=(form.name_en.data or "").strip(),
                                        name_zh=(form.name_zh.data or "").strip(), hours_half=half)
        if valid and not messages and not form.image.errors:
            try:
                badge = service.make(db, name_en=form.name_en.data, name_zh=form.name_zh.data,
                                     how_en=form.how_en.data, how_zh=form.how_zh.data, spec=spec,
                                     actor_id=current_user.id, image=image, hours_half=half)
            except service.MakeError as exc:
                db.rollback()
                messages = exc.messages
            else:
                db.commit()
                flash(_("%(name)s is saved. It is being given to the readers who already qualify.",
                        name=pick({"en": badge.name_en, "zh_Hans": badge.name_zh})), "success")
                return redirect(url_for("badgemaker.detail", badge_id=badge.id))
    return render("badgemaker/new.html", form=form, messages=messages, status=status)


@bp.route("/preview", methods=["POST"])
@role_required(Role.librarian)
def preview():
    """How many readers would hold the badge being drafted today, or why it cannot be made (htmx)."""
    db = get_session()
    form = build_form(db)
    spec, messages, half = spec_from(form)
    if not messages and spec.needs:
        messages = service.problems(db, spec, name_en=(form.name_en.data or "").strip(),
                                    name_zh=(form.name_zh.data or "").strip(), hours_half=half)
    count = None
    if not messages and spec.needs:
        count = len(qualifying(db, spec))
    return render("badgemaker/new.html", block="preview", form=form, messages=messages, count=count,
                  empty=not spec.needs)


def _describe(db, badge: MadeBadge) -> list[str]:
    offered = criteria()
    lines = []
    for need in db.execute(select(Requirement).where(Requirement.badge_id == badge.id)
                           .order_by(Requirement.position)).scalars():
        criterion = offered.get(need.criterion)
        if criterion is None:
            lines.append(_("%(goal)d × something a switched-off plugin counts", goal=need.goal))
            continue
        label = pick(criterion.label) if isinstance(criterion.label, dict) else str(criterion.label)
        option = dict(criterion.options(db)).get(need.option, need.option) if criterion.options else ""
        lines.append(f"{label}{': ' + str(option) if option else ''} ≥ {need.goal}")
    return lines


@bp.route("/<int:badge_id>")
@role_required(Role.librarian)
def detail(badge_id: int):
    """One made badge: what it asks, the first grant's progress (polled while it runs), retiring."""
    badge = badge_or_404(badge_id)
    db = get_session()
    backfill = db.execute(select(Backfill).where(Backfill.badge_id == badge.id)).scalar()
    term = db.get(Term, badge.term_key) if badge.term_key else None
    return render("badgemaker/detail.html", badge=badge, backfill=backfill, needs=_describe(db, badge), term=term,
                  holders=service.holder_count(db, badge.key), clock=service.clock, form=RetireForm(),
                  block="progress" if request.args.get("part") == "progress" else "content")


@bp.route("/<int:badge_id>/holders.csv")
@role_required(Role.librarian)
def holders_csv(badge_id: int):
    """Who holds the badge, earliest first (UTF-8 with a BOM; withdrawn awards marked)."""
    from core.exports import csv_response
    from core.localtime import to_local
    from core.models import BadgeAward, User

    badge = badge_or_404(badge_id)
    rows = get_session().execute(
        select(User.display_name, User.email, User.member_number, User.cohort, BadgeAward.granted_at,
               BadgeAward.revoked_at)
        .join(User, User.id == BadgeAward.user_id).where(BadgeAward.badge_key == badge.key)
        .order_by(BadgeAward.granted_at, BadgeAward.id)).all()
    header = [_("Name"), _("Email"), _("Member number"), _("Faculty"), _("Given on"), _("Withdrawn on")]
    when = lambda at: f"{to_local(at):%Y-%m-%d %H:%M}" if at else ""  # noqa: E731
    return csv_response(f"{badge.key.replace(':', '-')}-holders.csv", header,
                        ([name, email, number or "", cohort or "", when(given), when(withdrawn)]
                         for name, email, number, cohort, given, withdrawn in rows))


@bp.route("/<int:badge_id>/retire", methods=["POST"])
@role_required(Role.librarian)
def retire(badge_id: int):
    """Stop giving a badge; readers keep what they hold."""
    badge = badge_or_404(badge_id)
    form = RetireForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    service.retire(db, badge=badge, actor_id=current_user.id)
    db.commit()
    flash(_("%(name)s is retired. Readers who hold it keep it.",
            name=pick({"en": badge.name_en, "zh_Hans": badge.name_zh})), "success")
    return redirect(url_for("badgemaker.detail", badge_id=badge.id))
