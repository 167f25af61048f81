"""Background jobs: periodic jobs of core and plugins, retries, failures, and real worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime

import pytest
from sqlalchemy import func, select

from core import rewards
from core.cli import check
from core.jobs import PeriodicJob, crontab, every_minutes, run_soon_after_commit
from core.models import JobFailure, PendingReward, PointEntry, Role
from core.testing import PASSWORD, create_test_user

REDIS_URL = os.environ.get("ENGAGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def counts(app, model, **where):
    with app.extensions["engage.db"].session() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalar_one()


def queue_reward(app, user, key):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        rewards.defer_award(session, user_id=user.id, amount=3, rule="quest", plugin="example",
                            idempotency_key=key, source_ref=key)


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


# --- periodic jobs ----------------------------------------------------------------------------

def test_core_and_every_plugin_declare_their_periodic_jobs_and_each_runs_cleanly(app):
    jobs = app.extensions["engage.jobs"]
    assert {"core:pay-rewards", "brand_stories:close-due", "feedback:auto-close", "feedback:sla-alerts",
            "staff_scores:round-notices", "staff_scores:remind"} <= set(jobs.periodic)
    for name in jobs.periodic:
        jobs.run_periodic(name)
    assert counts(app, JobFailure) == 0


def test_schedules_are_read_in_library_time(app):
    jobs = app.extensions["engage.jobs"]
    jobs.add_periodic(PeriodicJob("core:morning", "core", lambda: None, crontab(minute="0", hour="9")))
    task = jobs.huey._registry.string_to_task("core.jobs.core:morning")()
    assert task.validate_datetime(datetime(2026, 3, 2, 1, 0))  # 01:00 UTC is 09:00 in Shanghai
    assert not task.validate_datetime(datetime(2026, 3, 2, 9, 0))


def test_two_periodic_jobs_may_not_share_a_name(app):
    with pytest.raises(ValueError, match="example"):
        for _ in range(2):
            app.extensions["engage.jobs"].add_periodic(PeriodicJob("example", "core", lambda: None, every_minutes(1)))


def test_a_run_asked_for_in_a_transaction_waits_for_its_commit_not_a_savepoint(app):
    runs = []
    jobs = app.extensions["engage.jobs"]
    jobs.add_periodic(PeriodicJob("core:noted", "core", lambda: runs.append("noted"), every_minutes(60)))
    db = app.extensions["engage.db"]
    with app.app_context():
        with db.write_session() as session:
            with session.begin_nested():
                run_soon_after_commit(session, "core:noted")
            assert runs == []  # the SAVEPOINT is released; the transaction goes on
            run_soon_after_commit(session, "core:noted")  # asked twice: one run
        assert runs == ["noted"]
        with pytest.raises(RuntimeError), db.write_session() as session:
            run_soon_after_commit(session, "core:noted")
            raise RuntimeError("the request failed")
        assert runs == ["noted"]  # rolled back: no run


# --- failures -----------------------------------------------------------------------------------

def _boom():
    raise RuntimeError("the catalogue server is away")


def test_a_failing_job_is_recorded_and_retried_later_with_a_growing_delay(app):
    jobs = app.extensions["engage.jobs"]
    jobs.add_periodic(PeriodicJob("core:flaky", "core", _boom, every_minutes(1), retries=2, retry_delay=30))
    jobs.run_periodic("core:flaky")
    with app.extensions["engage.db"].session() as session:
        failure = session.execute(select(JobFailure)).scalar_one()
    assert (failure.task, failure.retries_left, failure.final) == ("core:flaky", 2, False)
    assert "RuntimeError: the catalogue server is away" in failure.error
    [retry] = jobs.huey.scheduled()
    assert retry.retries == 1 and retry.retry_delay == 60  # next time, twice as long


def test_engage_check_reports_a_job_that_gave_up_until_it_is_cleared(app, runner):
    jobs = app.extensions["engage.jobs"]
    jobs.add_periodic(PeriodicJob("core:broken", "core", _boom, every_minutes(1), retries=0))
    jobs.run_periodic("core:broken")
    result = runner.invoke(check)
    assert result.exit_code == 1
    assert "job core:broken" in result.output and "1 jobs failed for good" in result.output
    from core.cli import jobs_clear_failures

    assert "1 job failures cleared." in runner.invoke(jobs_clear_failures).output
    assert runner.invoke(check).exit_code == 0


def test_the_admin_jobs_page_lists_failures_for_admins_only_in_both_languages(app, client, make_user):
    jobs = app.extensions["engage.jobs"]
    jobs.add_periodic(PeriodicJob("core:broken", "core", _boom, every_minutes(1), retries=0))
    jobs.run_periodic("core:broken")
    for role in (Role.student, Role.librarian):
        client.post("/auth/login", data={"email": make_user(role).email, "password": PASSWORD})
        assert client.get("/admin/jobs").status_code == 403
        assert client.post("/admin/jobs/clear").status_code == 403
        client.post("/auth/logout")
    client.post("/auth/login", data={"email": make_user(Role.admin).email, "password": PASSWORD})
    page = client.get("/admin/jobs", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Background jobs" in page and "core:broken" in page and "the catalogue server is away" in page
    assert "brand_stories:close-due" in page
    chinese = client.get("/admin/jobs", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "后台任务" in chinese and "core:broken" in chinese
    assert client.post("/admin/jobs/clear", follow_redirects=True).status_code == 200
    assert "No job has failed." in client.get("/admin/jobs", headers={"Accept-Language": "en"}).get_data(as_text=True)


# --- real worker processes ----------------------------------------------------------------------

def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


class Workers:
    """``engage worker`` processes on the test's database and instance folder."""

    def __init__(self, database_url, instance, tmp_path, **env):
        self.env = {**os.environ, "ENGAGE_DATABASE_URL": database_url, "ENGAGE_INSTANCE_PATH": str(instance),
                    "ENGAGE_SECRET_KEY": "test-secret", "ENGAGE_SCHEMA_CHECK": "false", **env}
        self.tmp_path = tmp_path
        self.processes = []

    def start(self, *args):
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "w")  # noqa: SIM115 — closed in stop()
        process = subprocess.Popen([sys.executable, "-m", "core", "worker", *args], env=self.env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((process, log))

    def stop(self):
        for process, _log in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        for process, log in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()

    def logs(self):
        return "\n".join(log.name + ":\n" + open(log.name).read() for _p, log in self.processes)


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_worker_processes_pay_rewards_from_before_a_restart_and_as_ballots_commit(store, app_factory, database_url,
                                                                                 tmp_path):
    env = {}
    config = {"JOBS_IMMEDIATE": False}
    if store == "redis":
        _redis_or_skip()
        env = {"ENGAGE_JOBS_URL": REDIS_URL, "ENGAGE_JOBS_NAME": f"engage-test-{uuid.uuid4().hex[:8]}"}
        config |= {"JOBS_URL": env["ENGAGE_JOBS_URL"], "JOBS_NAME": env["ENGAGE_JOBS_NAME"]}
    before = app_factory(REWARD_JOBS=False, **config)
    reader = create_test_user(before)
    queue_reward(before, reader, "restart:1")  # queued before a restart: no job was queued for it
    workers = Workers(database_url, tmp_path / "instance", tmp_path, **env)
    try:
        workers.start()
        if store == "redis":
            workers.start("--no-scheduler")  # a second server's worker
        assert wait_for(lambda: counts(before, PointEntry, user_id=reader.id) == 1), workers.logs()
        app = app_factory(REWARD_JOBS=True, **config)  # the web app: each committed ballot queues a job
        for n in range(20):
            queue_reward(app, reader, f"ballot:{n}")
        assert wait_for(lambda: counts(app, PendingReward) == 0), workers.logs()
        assert counts(app, PointEntry, user_id=reader.id) == 21
        assert counts(app, JobFailure) == 0
    finally:
        workers.stop()
        if store == "redis":
            before.extensions["engage.jobs"].huey.flush()
    assert "Traceback" not in workers.logs()
