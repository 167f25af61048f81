"""Running it: /healthz, /metrics (with the checks and gauges other parts add) and request-id logs."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from core.hookspecs import hookimpl
from core.models import PendingReward, utcnow
from core.monitoring import health, metrics


def _get(client, path, **kwargs):
    """A request whose answer is read and closed, as a real server does (the middleware counts
    and logs a request when its answer is closed)."""
    return client.get(path, buffered=True, **kwargs)


def _sample(text: str, name: str, **labels) -> float | None:
    """The value of one series in a Prometheus text answer."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, value = line.rsplit(" ", 1)
        found = dict(re.findall(r'(\w+)="([^"]*)"', series))
        if series.split("{")[0] == name and found == {k: str(v) for k, v in labels.items()}:
            return float(value)
    return None


# --- /healthz ------------------------------------------------------------------------------------

def test_healthz_answers_200_when_every_check_passes(client):
    response = _get(client, "/healthz")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["status"] == "ok"
    assert set(answer["checks"]) >= {"database", "storage"}
    assert all(check["status"] == "ok" for check in answer["checks"].values())
    assert answer["checks"]["database"]["detail"] in ("sqlite", "postgresql")
    assert answer["checks"]["storage"]["detail"]["free_mb"] > 0
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_healthz_sets_no_cookie_even_for_a_signed_in_reader(client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    response = _get(client, "/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers  # the session was never opened


def test_healthz_answers_head(client):
    response = client.head("/healthz", buffered=True)
    assert response.status_code == 200 and response.data == b""


def test_healthz_is_not_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, WRITE_RATE_LIMIT="1 per minute")
    client = app.test_client()
    assert {_get(client, "/healthz").status_code for _ in range(30)} == {200}


def test_healthz_answers_503_when_the_database_is_unreachable(app, client, monkeypatch, tmp_path):
    broken = create_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'engage.sqlite'}")
    monkeypatch.setattr(app.extensions["engage.db"], "engine", broken)
    response = _get(client, "/healthz")
    assert response.status_code == 503
    answer = response.get_json()
    assert answer["status"] == "fail"
    assert answer["checks"]["database"] == {"status": "fail", "error": "OperationalError",
                                            "ms": answer["checks"]["database"]["ms"]}
    assert "missing-folder" not in response.get_data(as_text=True)  # no paths to strangers


def test_healthz_fails_storage_that_cannot_be_written(app_factory, tmp_path):
    not_a_folder = tmp_path / "uploads"
    not_a_folder.write_text("a file where the upload folder should be")
    response = _get(app_factory(UPLOAD_FOLDER=str(not_a_folder)).test_client(), "/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"]["error"] == "the uploads folder is not writable"


def test_healthz_checks_the_instance_uploads_folder_when_there_is_one(app):
    uploads = Path(app.instance_path) / "uploads"
    uploads.write_text("a file where the uploads folder should be")
    response = _get(app.test_client(), "/healthz")
    assert response.get_json()["checks"]["storage"]["error"] == "the uploads folder is not writable"
    uploads.unlink()
    uploads.mkdir()
    assert _get(app.test_client(), "/healthz").status_code == 200


def test_healthz_fails_storage_when_the_disk_is_nearly_full(app_factory):
    response = _get(app_factory(HEALTH_MIN_FREE_MB=10**12).test_client(), "/healthz")
    assert response.status_code == 503
    assert "MB free" in response.get_json()["checks"]["storage"]["error"]


def test_add_check_reports_its_detail_and_its_failure(app):
    health.add_check("webhooks", lambda: {"waiting": 3}, app=app)
    with app.app_context():
        health.add_check("search", lambda: True)  # the current app by default
    client = app.test_client()
    checks = _get(client, "/healthz").get_json()["checks"]
    assert checks["webhooks"]["detail"] == {"waiting": 3} and checks["search"]["status"] == "ok"

    def stuck():
        raise health.CheckFailed("12 jobs waited over 5 minutes")

    def broken():
        raise RuntimeError("password=hunter2 at /srv/secret")

    health.add_check("stuck", stuck, app=app)
    health.add_check("broken", broken, app=app)
    health.add_check("off", lambda: False, app=app)
    response = _get(client, "/healthz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["stuck"]["error"] == "12 jobs waited over 5 minutes"
    assert checks["broken"]["error"] == "RuntimeError"
    assert checks["off"]["status"] == "fail"
    assert "hunter2" not in response.get_data(as_text=True)


def test_add_check_refuses_a_name_taken(app):
    with pytest.raises(ValueError, match="added twice"):
        health.add_check("database", lambda: None, app=app)
    with pytest.raises(ValueError):
        health.add_check("no spaces", lambda: None, app=app)


# --- /metrics -------------------------------------------------------------------------------------

def test_metrics_count_requests_by_endpoint_method_and_status(client):
    _get(client, "/auth/login")
    _get(client, "/auth/login")
    _get(client, "/no/such/page")
    client.post("/auth/login", data={"email": "nobody@test.library", "password": "wrong"}, buffered=True)
    response = _get(client, "/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    assert _sample(text, "engage_http_requests_total", endpoint="auth.login", method="GET", status=200) == 2
    assert _sample(text, "engage_http_requests_total", endpoint="auth.login", method="POST", status=400) == 1
    assert _sample(text, "engage_http_requests_total", endpoint="none", method="GET", status=404) == 1
    assert _sample(text, "engage_http_request_duration_seconds_count", endpoint="auth.login", method="GET") == 2
    assert _sample(text, "engage_http_request_duration_seconds_bucket", endpoint="auth.login", method="GET",
                   le="+Inf") == 2


def test_metrics_label_unknown_methods_as_other(client):
    client.open("/auth/login", method="BREW", buffered=True)
    text = _get(client, "/metrics").get_data(as_text=True)
    assert "BREW" not in text
    assert _sample(text, "engage_http_requests_total", endpoint="none", method="other", status=405) == 1


def test_reward_outbox_depth_and_age_are_gauges(app, db, make_user, client):
    reader = make_user()
    with db.write_session() as session:
        for n in range(3):
            session.add(PendingReward(user_id=reader.id, amount=5, rule="vote", plugin="core",
                                      idempotency_key=f"outbox-{n}", created_at=utcnow() - timedelta(minutes=n)))
    text = _get(client, "/metrics").get_data(as_text=True)
    assert _sample(text, "engage_reward_outbox_depth") == 3
    assert 115 <= _sample(text, "engage_reward_outbox_oldest_seconds") < 600
    assert _sample(text, "engage_metrics_gauge_up", gauge="engage_reward_outbox_depth") == 1


def test_add_gauge_reads_the_value_when_asked(app, client):
    depth = {"mail": 4, "default": 1}
    metrics.add_gauge("engage_webhooks_waiting", "Webhooks waiting, by queue.", lambda: depth, labels=("queue",), app=app)
    metrics.add_gauge("engage_webhooks_failed", "Webhooks that failed for good.", lambda: 2, app=app)

    def broken():
        raise RuntimeError("the queue is down")

    metrics.add_gauge("engage_jobs_broken", "A gauge that cannot be read.", broken, app=app)
    depth["mail"] = 7
    response = _get(client, "/metrics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert _sample(text, "engage_webhooks_waiting", queue="mail") == 7
    assert _sample(text, "engage_webhooks_waiting", queue="default") == 1
    assert _sample(text, "engage_webhooks_failed") == 2
    assert _sample(text, "engage_jobs_broken") is None
    assert _sample(text, "engage_metrics_gauge_up", gauge="engage_jobs_broken") == 0


def test_add_gauge_refuses_bad_and_taken_names(app):
    with pytest.raises(ValueError, match="added twice"):
        metrics.add_gauge("engage_reward_outbox_depth", "again", lambda: 1, app=app)
    with pytest.raises(ValueError):
        metrics.add_gauge("queue depth", "spaces", lambda: 1, app=app)
    with pytest.raises(ValueError):
        metrics.add_gauge("engage_http_requests", "the requests' own", lambda: 1, app=app)


@pytest.mark.parametrize(("config", "headers", "address", "status"), [
    ({}, {}, "127.0.0.1", 200),
    ({}, {}, "10.1.2.3", 403),
    ({"METRICS_ALLOW": "10.1.0.0/16, 192.0.2.7"}, {}, "10.1.2.3", 200),
    ({"METRICS_ALLOW": ["10.1.0.0/16"]}, {}, "10.2.0.1", 403),
    ({"METRICS_TOKEN": "s3cret-token"}, {"Authorization": "Bearer s3cret-token"}, "203.0.113.9", 200),
    ({"METRICS_TOKEN": "s3cret-token"}, {"Authorization": "Bearer wrong"}, "203.0.113.9", 403),
    ({"METRICS_ALLOW": []}, {}, "127.0.0.1", 403),
    # Through a proxy nobody said to trust, the client is unknown, even when the proxy is local.
    ({}, {"X-Forwarded-For": "127.0.0.1"}, "127.0.0.1", 403),
    # Behind one trusted proxy, the address it reports is the one judged.
    ({"TRUSTED_PROXIES": 1}, {"X-Forwarded-For": "198.51.100.4"}, "127.0.0.1", 403),
    ({"TRUSTED_PROXIES": 1}, {"X-Forwarded-For": "127.0.0.1"}, "127.0.0.1", 200),
    ({"METRICS_ENABLED": False}, {}, "127.0.0.1", 404),
])
def test_who_may_read_the_metrics(app_factory, config, headers, address, status):
    client = app_factory(**config).test_client()
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address}, buffered=True)
    assert response.status_code == status


def test_a_bad_metrics_allow_stops_the_app(app_factory):
    with pytest.raises(ValueError, match="METRICS_ALLOW"):
        app_factory(METRICS_ALLOW=["the library"])


# --- request ids and logs -------------------------------------------------------------------------

def test_a_request_id_is_made_and_echoed(client):
    first = _get(client, "/auth/login").headers["X-Request-ID"]
    second = _get(client, "/auth/login").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


@pytest.mark.parametrize(("proxies", "given", "kept"), [
    (1, "req-1234.abcd", True),
    (0, "req-1234.abcd", False),  # without a trusted proxy, a client could forge anything
    (1, "bad id with spaces", False),
    (1, "x" * 200, False),
])
def test_a_trusted_proxy_request_id_is_kept(app_factory, proxies, given, kept):
    client = app_factory(TRUSTED_PROXIES=proxies).test_client()
    echoed = _get(client, "/auth/login", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert (echoed == given) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", echoed)


def _json_lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_json_logs_carry_the_request_and_its_id(app_factory, make_user, capsys):
    app = app_factory(LOG_FORMAT="json")

    @app.route("/_test/log")
    def _log_something():
        logging.getLogger("plugins.example").warning("something to look at")
        return "ok"

    reader = make_user()
    client = app.test_client()
    client.post("/auth/login", data={"email": reader.email, "password": "correct horse battery"}, buffered=True)
    capsys.readouterr()
    response = client.get("/_test/log?token=secret", buffered=True)
    request_id = response.headers["X-Request-ID"]
    lines = _json_lines(capsys.readouterr().err)
    warning = next(line for line in lines if line["logger"] == "plugins.example")
    assert warning["request_id"] == request_id and warning["level"] == "WARNING"
    assert warning["message"] == "something to look at"
    done = next(line for line in lines if line["logger"] == "engage.request")
    assert done["request_id"] == request_id
    assert done["level"] == "INFO"
    assert (done["method"], done["path"], done["status"]) == ("GET", "/_test/log", 200)
    assert done["user_id"] == reader.id
    assert done["duration_ms"] >= 0
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", done["timestamp"])
    assert "secret" not in json.dumps(done)  # no query strings: they may carry tokens


def test_probes_are_logged_at_debug_only(app_factory, capsys):
    client = app_factory(LOG_FORMAT="json").test_client()
    capsys.readouterr()
    _get(client, "/healthz")
    _get(client, "/metrics")
    assert not [line for line in _json_lines(capsys.readouterr().err) if line["logger"] == "engage.request"]


def test_text_logs_are_one_readable_line(app_factory, capsys):
    client = app_factory(LOG_FORMAT="text").test_client()
    capsys.readouterr()
    request_id = _get(client, "/no/such/page").headers["X-Request-ID"]
    err = capsys.readouterr().err
    assert re.search(rf"^\S+Z INFO engage\.request \[{request_id}\] GET /no/such/page 404 [\d.]+ms user=-$", err,
                     re.MULTILINE), err


def test_a_bad_log_format_stops_the_app(app_factory):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        app_factory(LOG_FORMAT="xml")


def test_log_format_from_the_environment(monkeypatch, tmp_path, database_url):
    from core.testing import make_app

    monkeypatch.setenv("ENGAGE_LOG_FORMAT", "json")
    app = make_app(database_url, tmp_path)
    try:
        assert app.config["LOG_FORMAT"] == "json"
    finally:
        app.extensions["engage.db"].dispose()


def test_polls_the_screens_answer_before_flask_are_counted_under_their_endpoint(app_factory):
    import example_plugin  # the plugin the screens' tests use

    from core.testing import create_test_user

    app = app_factory(plugins=(example_plugin,), SCREEN_VERSION_SECONDS=60, PLUGIN_REFRESH_SECONDS=60)
    librarian = app.test_client()
    user = create_test_user(app, "librarian")
    librarian.post("/auth/login", data={"email": user.email, "password": "correct horse battery"})
    form = {"name": "Main lobby", "locale": "en", "seconds_per_slide": "12", "slides": ["board:all"]}
    librarian.post("/screens/new", data=form)
    address = re.search(r'value="http://localhost(/screen/[^"]+)"', librarian.get("/screens/").get_data(as_text=True))[1]
    tv = app.test_client()
    etag = tv.get(address + "/slide?n=0", buffered=True).headers["ETag"]
    again = tv.get(address + "/slide?n=0", headers={"If-None-Match": etag}, buffered=True)
    assert again.status_code == 304 and again.headers["X-Request-ID"]
    text = _get(tv, "/metrics").get_data(as_text=True)
    endpoint = app.url_map.bind("localhost").match(address + "/slide")[0]
    assert _sample(text, "engage_http_requests_total", endpoint=endpoint, method="GET", status=304) == 1


class _LibrarySystemPlugin:
    """A plugin that reports on its own connection, from its blueprint's set-up (which runs
    before core's monitoring is set up)."""

    NAME = "library_system"
    TITLE = {"en": "Library system", "zh_Hans": "图书馆系统"}
    DESCRIPTION = {"en": "Loans become points.", "zh_Hans": "借阅换积分。"}

    def __init__(self) -> None:
        from flask import Blueprint

        self.bp = Blueprint("library_system", __name__, url_prefix="/library-system")
        self.bp.record_once(self._report)

    @staticmethod
    def _report(state) -> None:
        health.add_check("library_system", lambda: {"last_sync_seconds": 42}, app=state.app)
        metrics.add_gauge("engage_library_system_loans_waiting", "Loans not yet turned into points.",
                          lambda: 5, app=state.app)

    @hookimpl
    def engage_blueprints(self):
        return self.bp


def test_a_plugin_adds_a_check_and_a_gauge_from_its_blueprint(app_factory):
    client = app_factory(plugins=(_LibrarySystemPlugin(),)).test_client()
    assert _get(client, "/healthz").get_json()["checks"]["library_system"]["detail"] == {"last_sync_seconds": 42}
    text = _get(client, "/metrics").get_data(as_text=True)
    assert _sample(text, "engage_library_system_loans_waiting") == 5
    assert _sample(text, "engage_http_requests_total", endpoint="healthz", method="GET", status=200) == 1


def test_the_job_queue_and_the_mail_report_themselves(app):
    """The queue adds its check and gauges, the mail its outbox depth, as any part may."""
    client = app.test_client()
    checks = _get(client, "/healthz").get_json()["checks"]
    assert checks["queue"]["status"] == "ok" and checks["queue"]["detail"] == {"waiting": 0, "failed": 0}
    text = _get(client, "/metrics").get_data(as_text=True)
    for gauge in ("engage_jobs_waiting", "engage_jobs_failed", "engage_mail_outbox_depth"):
        assert _sample(text, gauge) == 0
