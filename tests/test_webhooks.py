"""Webhooks out: signed deliveries to a real receiver on loopback, retries, switching a failing
endpoint off, refused private addresses, redelivery, plugin events and the admin pages."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

import example_plugin
from core.mail.models import MailOutbox
from core.models import Notification, Role
from core.points import award
from core.testing import PASSWORD, create_test_user
from core.webhooks import emit, service
from core.webhooks.addresses import AddressRefused, check_url
from core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

DELIVER = "core:deliver-webhooks"


class Receiver:
    """An HTTP server on loopback that keeps what it receives and answers with ``statuses`` in turn
    (the last one repeats)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        self.statuses = [204]
        self.delay = 0.0  # seconds before answering
        self.answer = b"ok"  # the body of every answer
        self.cut_off = False  # the sender hung up before reading a whole answer
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("content-length", str(len(receiver.answer)))
                self.end_headers()
                try:
                    self.wfile.write(receiver.answer)
                except OSError:  # the sender stopped reading, as it should with a huge answer
                    receiver.cut_off = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def hook_app(app_factory):
    """Loopback receivers are allowed here explicitly (a deployment refuses them by default)."""
    example_plugin.events.clear()
    return app_factory(plugins=(example_plugin,), WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_RETRY_SECONDS=0,
                       WEBHOOK_MAX_ATTEMPTS=3, WEBHOOK_DISABLE_AFTER=4, WEBHOOK_TIMEOUT_SECONDS=5)


def subscribe(app, url, types=("points.awarded",)):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        endpoint = service.create_endpoint(session, url=url, event_types=list(types), actor_id=None)
        session.flush()
        return endpoint.id, endpoint.secret


def pay(app, user, amount=5, key="k1"):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        award(session, user_id=user.id, amount=amount, rule="read", plugin="example", idempotency_key=key)


def rows(app, model, **where):
    with app.extensions["engage.db"].session() as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(session.execute(query.order_by(model.id)).scalars())


def run_deliveries(app):
    with app.app_context():
        app.extensions["engage.jobs"].run_periodic(DELIVER)


def test_an_award_is_delivered_signed_in_the_standard_webhooks_format(hook_app, receiver):
    endpoint_id, secret = subscribe(hook_app, receiver.url)
    assert secret.startswith("whsec_")
    reader = create_test_user(hook_app)
    pay(hook_app, reader, 7)
    assert len(receiver.received) == 1  # sent as the award's transaction committed
    headers, body = receiver.received[0]
    event = Webhook(secret).verify(body, headers)
    assert event["type"] == "points.awarded"
    assert event["data"] == {"user_id": reader.id, "amount": 7, "total": 7}
    assert headers["webhook-id"].startswith("msg_")
    with pytest.raises(WebhookVerificationError):
        Webhook(service.new_secret()).verify(body, headers)
    [delivery] = rows(hook_app, WebhookDelivery)
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("delivered", 204, 1)
    [attempt] = rows(hook_app, WebhookAttempt)
    assert (attempt.number, attempt.response_code) == (1, 204)


def test_nothing_is_queued_for_events_no_endpoint_subscribes_to(hook_app, receiver):
    subscribe(hook_app, receiver.url, types=("example.quest_done",))
    pay(hook_app, create_test_user(hook_app))
    assert rows(hook_app, WebhookDelivery) == [] and receiver.received == []


def test_a_rolled_back_event_sends_nothing(hook_app, receiver):
    subscribe(hook_app, receiver.url)
    reader = create_test_user(hook_app)
    with hook_app.app_context():
        session = hook_app.extensions["engage.db"].session(write=True)
        award(session, user_id=reader.id, amount=3, rule="read", plugin="example", idempotency_key="gone")
        session.rollback()
        session.close()
    assert rows(hook_app, WebhookDelivery) == [] and receiver.received == []


def test_badges_and_levels_are_delivered(hook_app, receiver):
    subscribe(hook_app, receiver.url, types=("badge.granted", "level.reached"))
    reader = create_test_user(hook_app)
    pay(hook_app, reader, 60)  # the example plugin's 50-point badge, and past the first level
    types = sorted(json.loads(body)["type"] for _headers, body in receiver.received)
    assert "badge.granted" in types and "level.reached" in types
    badges = {json.loads(body)["data"]["badge"]: json.loads(body)["data"] for _h, body in receiver.received
              if b"badge.granted" in body}
    assert "example:rich" in badges and badges["example:rich"]["user_id"] == reader.id


def test_a_plugin_event_declared_through_the_hook_is_delivered(hook_app, receiver):
    subscribe(hook_app, receiver.url, types=("example.quest_done",))
    with hook_app.app_context(), hook_app.extensions["engage.db"].write_session() as session:
        assert emit(session, "example.quest_done", {"quest": 3}) == 1
    headers, body = receiver.received[0]
    assert json.loads(body)["type"] == "example.quest_done" and json.loads(body)["data"] == {"quest": 3}


def test_a_failing_receiver_is_retried_then_the_endpoint_is_switched_off_and_admins_told(hook_app, receiver):
    admin = create_test_user(hook_app, Role.admin)
    endpoint_id, _secret = subscribe(hook_app, receiver.url)
    receiver.statuses = [500]
    reader = create_test_user(hook_app)
    pay(hook_app, reader, 1, "a")
    [delivery] = rows(hook_app, WebhookDelivery)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    run_deliveries(hook_app)
    run_deliveries(hook_app)
    [delivery] = rows(hook_app, WebhookDelivery)
    assert (delivery.status, delivery.attempts) == ("failed", 3)  # WEBHOOK_MAX_ATTEMPTS
    assert [a.number for a in rows(hook_app, WebhookAttempt)] == [1, 2, 3]
    assert rows(hook_app, WebhookEndpoint)[0].enabled
    pay(hook_app, reader, 1, "b")  # the fourth failure in a row switches it off
    [endpoint] = rows(hook_app, WebhookEndpoint)
    assert not endpoint.enabled and endpoint.disabled_at is not None and endpoint.failures == 4
    assert len(receiver.received) == 4
    [notice] = rows(hook_app, Notification, user_id=admin.id)
    assert notice.kind == "webhook-disabled" and receiver.url in notice.text_en and "webhook" in notice.text_zh.lower()
    [mail] = rows(hook_app, MailOutbox, user_id=admin.id)  # and by email, at once by default
    assert mail.kind == "core:webhooks" and mail.notification_id == notice.id
    pay(hook_app, reader, 1, "c")  # nothing more goes to a switched-off endpoint
    run_deliveries(hook_app)
    assert len(receiver.received) == 4


def test_a_success_starts_the_failure_count_again(hook_app, receiver):
    subscribe(hook_app, receiver.url)
    receiver.statuses = [503, 503, 200]
    reader = create_test_user(hook_app)
    pay(hook_app, reader, 1, "a")
    run_deliveries(hook_app)
    assert rows(hook_app, WebhookEndpoint)[0].failures == 2
    run_deliveries(hook_app)
    assert rows(hook_app, WebhookEndpoint)[0].failures == 0
    assert rows(hook_app, WebhookDelivery)[0].status == "delivered"


def test_an_unreachable_receiver_counts_as_a_failed_attempt(hook_app, receiver):
    url = receiver.url
    receiver.close()
    subscribe(hook_app, url)
    pay(hook_app, create_test_user(hook_app))
    [delivery] = rows(hook_app, WebhookDelivery)
    assert delivery.status == "pending" and delivery.response_code is None and delivery.last_error


def test_a_slow_receiver_times_out_and_a_huge_answer_is_not_read_whole(app_factory, receiver):
    app = app_factory(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_TIMEOUT_SECONDS=0.3, WEBHOOK_RESPONSE_BYTES=1024)
    subscribe(app, receiver.url)
    receiver.delay = 1.0
    pay(app, create_test_user(app), 1, "slow")
    [delivery] = rows(app, WebhookDelivery)
    assert delivery.status == "pending" and "Timeout" in delivery.last_error
    receiver.delay, receiver.answer = 0.0, b"x" * 20_000_000
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        session.get(WebhookDelivery, delivery.id).due_at = delivery.created_at
    run_deliveries(app)
    assert rows(app, WebhookDelivery)[0].status == "delivered"
    deadline = time.monotonic() + 30
    while not receiver.cut_off and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receiver.cut_off  # the sender read its 1 KB and hung up on the other 20 MB


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/x", "http://localhost/x", "http://10.1.2.3/",
                                 "http://192.168.0.5/", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
                                 "ftp://example.org/", "http://user:pw@example.org/", "not a url"])
def test_private_local_and_odd_addresses_are_refused(app, url):
    with app.test_request_context():
        with pytest.raises(AddressRefused):
            check_url(url)


def test_a_host_that_resolves_to_a_private_address_is_refused(app):
    def rebinding(host, port, **kw):
        return [(2, 1, 6, "", ("10.0.0.7", port))]
    with app.test_request_context():
        with pytest.raises(AddressRefused, match="10.0.0.7"):
            check_url("https://hooks.example.org/x", resolve=rebinding)
        assert check_url("https://hooks.example.org/x", resolve=lambda h, p, **k: [
            (2, 1, 6, "", ("93.184.216.34", p))]).address == "93.184.216.34"


def test_the_address_is_checked_again_at_delivery(hook_app, receiver):
    """An endpoint saved while allowed (or before its DNS changed) is refused when it is sent to."""
    subscribe(hook_app, receiver.url)
    hook_app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    pay(hook_app, create_test_user(hook_app))
    assert receiver.received == []
    [delivery] = rows(hook_app, WebhookDelivery)
    assert delivery.status == "pending" and "private" in delivery.last_error


def test_an_address_of_this_site_by_another_name_is_refused(app_factory):
    app = app_factory(PUBLIC_BASE_URL="https://engage.library.example.edu")

    def resolve(host, port, **kw):
        return [(2, 1, 6, "", ("93.184.216.34", port or 0))]
    with app.test_request_context():
        with pytest.raises(AddressRefused, match="this site"):
            check_url("https://engage.library.example.edu/hook", resolve=resolve)
        with pytest.raises(AddressRefused, match="this site"):
            check_url("https://93.184.216.34/hook", resolve=resolve)


def test_redelivery_sends_the_same_event_again_with_a_new_id(hook_app, receiver):
    subscribe(hook_app, receiver.url)
    pay(hook_app, create_test_user(hook_app))
    [first] = rows(hook_app, WebhookDelivery)
    with hook_app.app_context(), hook_app.extensions["engage.db"].write_session() as session:
        service.redeliver(session, delivery=session.get(WebhookDelivery, first.id), actor_id=None)
    assert len(receiver.received) == 2
    (h1, b1), (h2, b2) = receiver.received
    assert b1 == b2 and h1["webhook-id"] != h2["webhook-id"]


# --- the administration pages -------------------------------------------------------------

@pytest.fixture
def admin_client(hook_app):
    admin = create_test_user(hook_app, Role.admin)
    client = hook_app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD})
    return client


def test_an_admin_subscribes_a_url_and_sees_the_secret_once(hook_app, admin_client, receiver):
    page = admin_client.post("/admin/webhooks/new", data={"url": receiver.url, "description": "Catalogue",
                                                           "event_types": ["points.awarded", "example.quest_done"]})
    assert page.status_code == 200
    [endpoint] = rows(hook_app, WebhookEndpoint)
    assert endpoint.secret in page.get_data(as_text=True)
    assert endpoint.types == ["points.awarded", "example.quest_done"]
    assert endpoint.secret not in admin_client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    pay(hook_app, create_test_user(hook_app))
    listing = admin_client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "Delivered" in listing
    [delivery] = rows(hook_app, WebhookDelivery)
    assert admin_client.get(f"/admin/webhooks/deliveries/{delivery.id}").status_code == 200
    assert admin_client.post(f"/admin/webhooks/deliveries/{delivery.id}/again").status_code == 302
    assert len(receiver.received) == 2


def test_a_private_address_is_refused_on_the_form_and_nothing_is_saved(app_factory):
    app = app_factory()
    admin = create_test_user(app, Role.admin)
    client = app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD})
    page = client.post("/admin/webhooks/new", data={"url": "http://127.0.0.1:9/x", "event_types": ["points.awarded"]})
    assert page.status_code == 400 and "private or local" in page.get_data(as_text=True)
    page = client.post("/admin/webhooks/new", data={"url": "https://93.184.216.34/x", "event_types": ["nope"]},
                       headers={"Accept-Language": "zh"})
    assert page.status_code == 400 and "未知的事件类型：nope" in page.get_data(as_text=True)
    assert rows(app, WebhookEndpoint) == []


def test_switching_off_and_on_and_deleting(hook_app, admin_client, receiver):
    endpoint_id, _secret = subscribe(hook_app, receiver.url)
    assert admin_client.post(f"/admin/webhooks/{endpoint_id}/switch").status_code == 302
    assert not rows(hook_app, WebhookEndpoint)[0].enabled
    pay(hook_app, create_test_user(hook_app))
    assert receiver.received == []
    admin_client.post(f"/admin/webhooks/{endpoint_id}/switch")
    assert rows(hook_app, WebhookEndpoint)[0].enabled
    assert admin_client.post(f"/admin/webhooks/{endpoint_id}/delete", data={"confirmed": "1"}).status_code == 302
    assert rows(hook_app, WebhookEndpoint) == []


def test_readers_and_librarians_may_not_see_webhooks(hook_app):
    for role in (Role.student, Role.librarian):
        user = create_test_user(hook_app, role)
        client = hook_app.test_client()
        client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert client.get("/admin/webhooks/").status_code == 403


def test_a_readers_deliveries_are_in_their_copy_and_forgotten_with_them(hook_app, receiver):
    from core.webhooks import privacy

    subscribe(hook_app, receiver.url)
    reader, other = create_test_user(hook_app), create_test_user(hook_app)
    pay(hook_app, reader, 4, "r")
    pay(hook_app, other, 2, "o")
    with hook_app.app_context(), hook_app.extensions["engage.db"].write_session() as session:
        [row] = privacy.user_data(session, reader.id)["webhook_deliveries"]
        assert row["body"]["data"] == {"user_id": reader.id, "amount": 4, "total": 4} and row["status"] == "delivered"
        privacy.forget_user(session, reader.id)
    assert [d.user_id for d in rows(hook_app, WebhookDelivery)] == [other.id]
    assert len(rows(hook_app, WebhookAttempt)) == 1
