"""The human-readable page behind an Open Badge: who earned what, when, from whom, and whether it holds.

``/badges/verify/<id>`` is what a reader shares and what profile pages link to; the hosted
JSON a verifier fetches stays at ``/openbadges/assertions/<id>``, byte for byte as before, one
click further. The holder's name shows only when they keep a public page (award ids are
sequential: anyone could walk them). Share previews (Open Graph) use ``PUBLIC_BASE_URL`` for
their absolute addresses, never the request's Host header; without it they are left out.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from core import badges, openbadges
from core.db import get_session
from core.forms import Form
from core.models import BadgeAward, User
from core.ui import render

bp = Blueprint("verify", __name__, url_prefix="/badges/verify")


@dataclass(frozen=True)
class Verification:
    """One award as the verification page tells it."""

    award: BadgeAward
    rule: badges.BadgeRule
    holder: User | None  # None: the holder keeps their name private (or has left)
    issuer: str

    @property
    def withdrawn(self) -> bool:
        return self.award.revoked_at is not None

    @property
    def granted_at(self) -> datetime:
        return self.award.granted_at


def verification(award_id: int) -> Verification | None:
    """The award ``award_id`` with its badge and shareable holder, or None when there is none to show."""
    db = get_session()
    award = db.get(BadgeAward, award_id)
    if award is None:
        return None
    rule = badges.known_rule(award.badge_key)
    if rule is None:  # no installed plugin describes this badge any more (its JSON answers 404 too)
        return None
    user = db.get(User, award.user_id)
    holder = user if user is not None and user.is_active and user.public_profile else None
    return Verification(award, rule, holder, current_app.config["LIBRARY_NAME"])


def share_links(award_id: int, rule: badges.BadgeRule) -> dict:
    """Absolute addresses for share previews, on ``PUBLIC_BASE_URL``; empty when it is not set."""
    if not current_app.config.get("PUBLIC_BASE_URL"):
        return {}
    return {"url": openbadges.public_url("verify.page", award_id=award_id),
            "image": openbadges.public_url("openbadges.badge_image", key=rule.key)}


@bp.app_template_global()
def public_address(endpoint: str, **values) -> str:
    """The address to share for a page: on ``PUBLIC_BASE_URL`` when set, else as this request reached it."""
    if current_app.config.get("PUBLIC_BASE_URL"):
        return openbadges.public_url(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


class RecipientForm(Form):
    """A verifier asks whether the badge was awarded to an email address they know."""

    email = EmailField(_l("The holder's email address"), validators=[DataRequired(), Email(), Length(max=254)],
                       filters=[lambda value: value.strip() if value else value])


def awarded_to(award: BadgeAward, email: str) -> bool:
    """Whether ``email`` is the award's recipient, compared as a verifier does: by the salted hash."""
    holder = get_session().get(User, award.user_id)
    if holder is None:
        return False
    salt = openbadges.salt_of(award)
    return hmac.compare_digest(openbadges.recipient_identity(email, salt),
                               openbadges.recipient_identity(holder.email, salt))


@bp.route("/<int:award_id>", methods=["GET", "POST"])
def page(award_id: int):
    """Anyone may check a badge: valid or withdrawn, with the Open Badge JSON one click away.

    POST checks an email address against the hashed recipient, which the assertion already
    publishes with its salt (so it tells nothing a verifier could not work out); offered only
    while the Open Badge documents are served, and under the site's limit for writes."""
    found = verification(award_id)
    if found is None:
        abort(404)
    form, match, status = None, None, 200
    if not openbadges.problems(get_session()):
        form = RecipientForm()
        if request.method == "POST":
            if form.validate_on_submit():
                match = awarded_to(found.award, form.email.data)
            else:
                status = 400
    elif request.method == "POST":
        abort(404)
    return render("badges/verify.html", v=found, share=share_links(award_id, found.rule), form=form, match=match,
                  status=status)
