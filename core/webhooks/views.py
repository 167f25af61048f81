"""The administrators' webhook pages under ``/admin/webhooks``: the list, a new subscription (its
secret shown once), one endpoint with its delivery log, a delivery with its attempts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from core.confirm import ask, confirmed
from core.db import get_session
from core.forms import ConfirmForm
from core.i18n import pick
from core.models import Role
from core.pagination import paginate
from core.security import role_required
from core.ui import render
from core.webhooks import service
from core.webhooks.addresses import AddressRefused
from core.webhooks.events import registry
from core.webhooks.forms import EndpointForm
from core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")
DELIVERIES_PER_PAGE = 25


def _labels() -> dict[str, str]:
    return {event.key: pick(event.label) if isinstance(event.label, dict) else str(event.label)
            for event in registry()}


def _form(endpoint: WebhookEndpoint | None = None) -> EndpointForm:
    form = EndpointForm(obj=endpoint) if endpoint and request.method == "GET" else EndpointForm()
    form.event_types.choices = list(_labels().items())
    if endpoint is not None and request.method == "GET":
        form.event_types.data = endpoint.types
    return form


def _endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    endpoint = get_session().get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


@bp.route("/")
@role_required(Role.admin)
def index():
    """Every endpoint with its state and its deliveries' counts."""
    db = get_session()
    endpoints = list(db.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars())
    table = WebhookDelivery.__table__.c
    counts = {(endpoint_id, status): count for endpoint_id, status, count in db.execute(
        select(table.endpoint_id, table.status, func.count()).group_by(table.endpoint_id, table.status))}
    return render("webhooks/index.html", endpoints=endpoints, counts=counts, labels=_labels())


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.admin)
def create():
    """Subscribe a URL; the page that follows shows its signing secret, once."""
    form = _form()
    if form.validate_on_submit():
        db = get_session()
        try:
            endpoint = service.create_endpoint(db, url=form.url.data, event_types=form.event_types.data or [],
                                               description=form.description.data or "", actor_id=current_user.id)
        except AddressRefused as exc:
            form.url.errors = [str(exc)]
        except service.WebhookError as exc:
            form.event_types.errors = [str(exc)]
        else:
            db.commit()
            return render("webhooks/secret.html", endpoint=endpoint, secret=endpoint.secret)
        return render("webhooks/edit.html", form=form, endpoint=None, status=400)
    return render("webhooks/edit.html", form=form, endpoint=None, status=400 if request.method == "POST" else 200)


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def endpoint(endpoint_id: int):
    """One endpoint: its settings (editable) and its delivery log, newest first."""
    found = _endpoint_or_404(endpoint_id)
    form = _form(found)
    db = get_session()
    if form.validate_on_submit():
        try:
            service.update_endpoint(db, endpoint=found, url=form.url.data, event_types=form.event_types.data or [],
                                    description=form.description.data or "", actor_id=current_user.id)
        except AddressRefused as exc:
            form.url.errors = [str(exc)]
        except service.WebhookError as exc:
            form.event_types.errors = [str(exc)]
        else:
            db.commit()
            flash(_("The webhook is saved."), "success")
            return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
    table = WebhookDelivery.__table__.c
    page = paginate(lambda offset, limit: list(db.execute(
        select(WebhookDelivery).where(table.endpoint_id == endpoint_id).order_by(table.id.desc())
        .offset(offset).limit(limit)).scalars()), per_page=DELIVERIES_PER_PAGE)
    status = 400 if request.method == "POST" else 200
    return render("webhooks/endpoint.html", block="deliveries", endpoint=found, form=form, page=page,
                  actions=ConfirmForm(), labels=_labels(), status=status)


@bp.route("/<int:endpoint_id>/switch", methods=["POST"])
@role_required(Role.admin)
def switch(endpoint_id: int):
    """Switch an endpoint on (its failure count starts again) or off."""
    found = _endpoint_or_404(endpoint_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = get_session()
    service.set_enabled(db, endpoint=found, enabled=not found.enabled, actor_id=current_user.id)
    db.commit()
    flash(_("The webhook is on.") if found.enabled else _("The webhook is off."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/secret", methods=["POST"])
@role_required(Role.admin)
def rotate(endpoint_id: int):
    """A new signing secret, shown once; the old one stops at once."""
    found = _endpoint_or_404(endpoint_id)
    if not confirmed():
        return ask(title=_("Give this webhook a new secret?"),
                   consequence=_("Its receiver rejects every event until it has the new secret."),
                   confirm_label=_("Make a new secret"), cancel_url=url_for("webhooks.endpoint", endpoint_id=endpoint_id))
    db = get_session()
    secret = service.rotate_secret(db, endpoint=found, actor_id=current_user.id)
    db.commit()
    return render("webhooks/secret.html", endpoint=found, secret=secret)


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@role_required(Role.admin)
def delete(endpoint_id: int):
    """Delete an endpoint and its delivery log."""
    found = _endpoint_or_404(endpoint_id)
    if not confirmed():
        return ask(title=_("Delete the webhook to %(url)s?", url=found.url),
                   consequence=_("No more events go there, and its delivery log is deleted. This cannot be undone."),
                   confirm_label=_("Delete the webhook"), cancel_url=url_for("webhooks.endpoint", endpoint_id=endpoint_id))
    db = get_session()
    service.delete_endpoint(db, endpoint=found, actor_id=current_user.id)
    db.commit()
    flash(_("The webhook is deleted."), "success")
    return redirect(url_for("webhooks.index"))


@bp.route("/deliveries/<int:delivery_id>")
@role_required(Role.admin)
def delivery(delivery_id: int):
    """One delivery: the body sent and every attempt."""
    db = get_session()
    found = db.get(WebhookDelivery, delivery_id)
    if found is None:
        abort(404)
    attempts = list(db.execute(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                               .order_by(WebhookAttempt.id)).scalars())
    return render("webhooks/delivery.html", delivery=found, endpoint=db.get(WebhookEndpoint, found.endpoint_id),
                  attempts=attempts, actions=ConfirmForm(), labels=_labels())


@bp.route("/deliveries/<int:delivery_id>/again", methods=["POST"])
@role_required(Role.admin)
def redeliver(delivery_id: int):
    """Send a delivery's event again, as a new delivery."""
    db = get_session()
    found = db.get(WebhookDelivery, delivery_id)
    if found is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.redeliver(db, delivery=found, actor_id=current_user.id)
    except service.WebhookError as exc:
        flash(str(exc), "error")
        return redirect(url_for("webhooks.delivery", delivery_id=delivery_id))
    endpoint_id = found.endpoint_id
    db.commit()
    flash(_("The event is on its way again."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
