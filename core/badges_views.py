"""Badge pages: the catalogue, one badge with its holders, artwork, manual awards and uploads."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from core import badge_artwork, badges
from core.db import get_session
from core.files import file_response
from core.forms import Form
from core.models import BadgeImage, Role, User
from core.security import role_required
from core.ui import render

bp = Blueprint("badges", __name__, url_prefix="/badges")


class ManualBadgeForm(Form):
    who = StringField(_l("Reader's email or member number"), validators=[DataRequired(), Length(max=254)])
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("A reason is required.")),
                                                   Length(min=3, max=500)])


class ArtworkForm(Form):
    image = FileField(_l("Image (PNG, JPEG, WebP or GIF, at most 1 MB)"))


@bp.app_template_global()
def badges_of(user_id: int) -> list[badges.BadgeView]:
    """A user's badges (for the profile pages): issued credentials stay, whatever their plugin's state."""
    db = get_session()
    mine = badges.user_awards(db, user_id)
    rules = sorted((rule for key in mine for rule in [badges.known_rule(key)] if rule is not None),
                   key=lambda r: (r.order, r.key))
    return [badges.BadgeView(r, 0, 0.0, mine[r.key]) for r in rules]


@bp.app_template_global()
def rarity_share(view: badges.BadgeView) -> str:
    """The share of readers who hold a badge. A badge someone holds never reads "0%": a share
    that would round to nothing reads "<1%"."""
    if view.holders and view.share < 0.005:
        return "<" + format_percent(0.01)
    return format_percent(view.share)


@bp.app_template_global()
def badge_kind_label(kind: str) -> str:
    return str(badges.KIND_LABELS.get(kind, kind))


def _rule_or_404(key: str) -> badges.BadgeRule:
    """An active badge, or an issued one whose plugin is switched off (its holders keep it)."""
    rule = badges.shown_rule(get_session(), key)
    if rule is None:
        abort(404)
    return rule


def _active_or_404(key: str) -> badges.BadgeRule:
    """An active badge: only these are awarded."""
    rule = badges.get_rule(key)
    if rule is None:
        abort(404)
    return rule


@bp.route("/")
def index():
    """Every badge: how to earn it, how rare it is, and your progress toward it."""
    db = get_session()
    user_id = current_user.id if current_user.is_authenticated else None
    return render("badges/index.html", badges=badges.views(db, user_id))


@bp.route("/<key>")
def detail(key: str):
    """One badge: how to earn it, who holds it (opted-out readers only counted), your progress."""
    rule = _rule_or_404(key)
    db = get_session()
    user_id = current_user.id if current_user.is_authenticated else None
    view = badges.views(db, user_id, [rule])[0]
    public, others = badges.holders(db, rule.key)
    return render("badges/detail.html", badge=view, holders=public, others=others,
                  paused=badges.get_rule(key) is None)


@bp.route("/<key>/image")
def image(key: str):
    """The badge's artwork: the uploaded PNG, else a generated SVG emblem."""
    rule = _rule_or_404(key)  # a badge anyone may see: its artwork is public
    row = get_session().get(BadgeImage, rule.key)
    if row is not None:
        body, content_type, max_age = row.data, row.content_type, 3600
    else:
        body, content_type, max_age = badge_artwork.emblem_svg(rule).encode(), "image/svg+xml", 86400
    return file_response(body, content_type, visible=True, public=True, max_age=max_age)


def _find_user(db, who: str) -> User | None:
    who = who.strip()
    return db.execute(select(User).where((func.lower(User.email) == who.lower()) | (User.member_number == who))
                      ).scalar()


def _act_on_holder(rule: badges.BadgeRule, act, done: str, **page):
    """The award and withdraw pages: find the reader, act with a reason, report in their language."""
    form = ManualBadgeForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            db = get_session()
            user = _find_user(db, form.who.data)
            if user is None or not user.is_active:
                form.who.errors.append(_("No reader has this email or member number."))
            else:
                try:
                    act(db, user_id=user.id, key=rule.key, actor_id=current_user.id, reason=form.reason.data)
                except badges.BadgeError as exc:
                    db.rollback()
                    form.who.errors.append(str(exc))
                else:
                    db.commit()
                    flash(done % {"badge": rule.label, "name": user.display_name}, "success")
                    return redirect(url_for("badges.detail", key=rule.key))
    return render("badges/award.html", badge=rule, form=form, status=status, **page)


@bp.route("/<key>/award", methods=["GET", "POST"])
@role_required(Role.librarian)
def award(key: str):
    """A librarian awards a manual badge to a reader, with a reason (audited)."""
    rule = _active_or_404(key)
    if rule.kind != "manual":
        abort(404)
    return _act_on_holder(rule, badges.award_manually, _("%(badge)s awarded to %(name)s."),
                          heading=_("Award a badge"), submit=_("Award"))


@bp.route("/<key>/revoke", methods=["GET", "POST"])
@role_required(Role.librarian)
def revoke(key: str):
    """A librarian withdraws a badge from a reader, with a reason (audited, and the reader is told)."""
    rule = _rule_or_404(key)
    return _act_on_holder(rule, badges.revoke, _("%(badge)s withdrawn from %(name)s."),
                          heading=_("Withdraw a badge"), submit=_("Withdraw"),
                          explain=_("The reader is told, with your reason, and the badge's verification address "
                                    "then answers that it was withdrawn."))


@bp.route("/manage")
@role_required(Role.admin)
def manage():
    """Administrators: every badge with its artwork and an upload form."""
    db = get_session()
    uploaded = set(db.execute(select(BadgeImage.badge_key)).scalars())
    return render("badges/manage.html", rules=badges.active_rules().ordered(), uploaded=uploaded, form=ArtworkForm())


@bp.route("/<key>/artwork", methods=["POST"])
@role_required(Role.admin)
def artwork(key: str):
    """Upload artwork for a badge; the file is checked by content, re-encoded and stripped."""
    rule = _active_or_404(key)
    form = ArtworkForm()
    status = 400
    if form.validate_on_submit():
        upload = form.image.data
        data = upload.stream.read(badge_artwork.MAX_UPLOAD_BYTES + 1) if upload else b""
        if not data:
            form.image.errors.append(_("Choose an image to upload."))
        elif len(data) > badge_artwork.MAX_UPLOAD_BYTES:
            form.image.errors.append(_("The image is larger than 1 MB."))
            status = 413
        else:
            db = get_session()
            try:
                badge_artwork.save_artwork(db, key=rule.key, data=data, actor_id=current_user.id)
            except badges.BadgeError as exc:
                db.rollback()
                form.image.errors.append(str(exc))
            else:
                db.commit()
                flash(_("The artwork for %(badge)s is saved.", badge=rule.label), "success")
                return redirect(url_for("badges.manage"))
    db = get_session()
    uploaded = set(db.execute(select(BadgeImage.badge_key)).scalars())
    return render("badges/manage.html", rules=badges.active_rules().ordered(), uploaded=uploaded, form=form,
                  failed=rule.key, status=status)
