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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import EmailField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from core import badges, openbadges
from core.db import get_session
from core.forms import Form
from core.models import BadgeAward, User
from core.openbadges3 import checking
from core.openbadges3.keys import IssuerKeyError
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


class CredentialCheckForm(Form):
    """Anyone checks an Open Badges 3.0 credential: its text pasted, or its file or baked PNG uploaded."""

    text = TextAreaField(_l("The credential's text (JSON)"), validators=[Optional(), Length(max=checking.MAX_BYTES)],
                         description=_l("Paste the whole credential, or upload its file below."))
    upload = FileField(_l("Or its file: the JSON or the badge image (PNG)"))
    email = EmailField(_l("The holder's email address (optional)"), validators=[Optional(), Email(), Length(max=254)],
                       filters=[lambda value: value.strip() if value else value],
                       description=_l("To confirm the badge was awarded to someone you know."))


UPLOAD_LIMIT = 2 * 1024 * 1024  # a baked PNG: the badge image (at most 1 MB) plus the credential


@bp.route("/credential", methods=["GET", "POST"])
def credential():
    """Check an Open Badges 3.0 credential of this library's: signature, issuer key, withdrawal."""
    if openbadges.problems(get_session()):
        abort(404)  # no credentials are issued: there is nothing this page could vouch for
    form, result, status = CredentialCheckForm(), None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.upload.data
            data = upload.read(UPLOAD_LIMIT + 1) if upload else (form.text.data or "").encode("utf-8")
            if len(data) > UPLOAD_LIMIT:
                form.upload.errors.append(_("That file is too large to be a badge (at most 2 MB)."))
            elif not data.strip():
                form.text.errors.append(_("Paste a credential or choose its file."))
            else:
                try:
                    result = checking.check(get_session(), data, form.email.data or None)
                except IssuerKeyError:
                    current_app.logger.error("Open Badges 3.0: the signing key cannot be read", exc_info=True)
                    abort(503)
        if result is None:  # the form itself was wrong; a credential that fails its check is an answer
            status = 400
    return render("badges/verify_credential.html", form=form, result=result, status=status,
                  issuer=current_app.config["LIBRARY_NAME"])
