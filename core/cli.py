"""The ``engage`` command: Flask's CLI conventions plus the library's own commands."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from core import serving
from core.backup import cli as backup_cli

from core.identity import cli as identity_cli
from core.mail import cli as mail_cli
from core.migrations import cli as migrations_cli
from core.models import Role


def _create_app():
    from core import create_app

    # The `db` commands must reach a database that is behind; every other command is refused there.
    app = create_app(check_schema=False)
    migrations_cli.refuse_if_behind(app)
    # Plugins add their own commands; a switched-off plugin's commands are left out.
    host = app.extensions["engage.plugins"]
    try:
        host.refresh(app.extensions["engage.db"], force=True)
    except Exception:  # noqa: BLE001 - before init-db there is no state yet: everything is on
        pass
    host.hooks.engage_cli_commands(cli=app.cli)
    return app


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             help="Library Engage: run the site and look after its data.")
def main():
    """The ``engage`` command group."""


def _db():
    return current_app.extensions["engage.db"]


main.add_command(migrations_cli.db_group)
main.add_command(migrations_cli.init_db)
backup_cli.register(main)

main.add_command(mail_cli.mail_group)
identity_cli.register(main)

from core.openbadges3 import cli as openbadges3_cli  # noqa: E402

main.add_command(openbadges3_cli.openbadges_group)

from core.identity.providers_cli import signin_group  # noqa: E402  sign-in settings from the command line

main.add_command(signin_group)


@main.command("create-admin")
@click.option("--email", prompt=True, help="The administrator's email, used to sign in.")
@click.option("--name", "display_name", prompt="Display name", help="Name shown in the site.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 8 characters.")
@with_appcontext
def create_admin(email: str, display_name: str, password: str):
    """Create an administrator account."""
    from core.accounts import AccountError, create_user

    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="--password")
    if "@" not in email:
        raise click.BadParameter("this is not an email address", param_hint="--email")
    try:
        with _db().write_session() as session:
            user = create_user(session, email=email, password=password, display_name=display_name, role=Role.admin)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Administrator {user.email} created.")


@main.group("plugins")
def plugins_group():
    """List plugins and switch them on or off."""


@plugins_group.command("list")
@with_appcontext
def plugins_list():
    """Show every installed plugin, whether it is on, and plugins that failed to load."""
    host = current_app.extensions["engage.plugins"]
    host.refresh(_db(), force=True)
    for info in host.infos.values():
        state = "on " if host.is_enabled(info.name) else "off"
        click.echo(f"{state}  {info.name:<16} {info.version:<8} {info.title['en']}")
    for failure in host.failures:
        click.echo(f"FAILED {failure.source}: {failure.error}", err=True)


def _switch(name: str, enabled: bool) -> None:
    from core.plugins import UnknownPlugin, set_enabled

    host = current_app.extensions["engage.plugins"]
    try:
        with _db().write_session() as session:
            changed = set_enabled(session, name=name, enabled=enabled, actor_id=None, host=host)
    except UnknownPlugin:
        known = ", ".join(host.infos) or "none"
        raise click.BadParameter(f"no plugin is called {name!r} (installed: {known})", param_hint="NAME") from None
    word = "on" if enabled else "off"
    click.echo(f"{name} switched {word}." if changed else f"{name} was already {word}.")


@plugins_group.command("enable")
@click.argument("name")
@with_appcontext
def plugins_enable(name: str):
    """Switch plugin NAME on for every running worker."""
    _switch(name, True)


@plugins_group.command("disable")
@click.argument("name")
@with_appcontext
def plugins_disable(name: str):
    """Switch plugin NAME off for every running worker (its data is kept)."""
    _switch(name, False)


def _progress_run(label: str, work):
    from core.points import ledger_size

    with _db().session() as session:
        size = ledger_size(session)
    with click.progressbar(length=max(size, 1), label=label) as bar:
        return work(bar.update)


@main.command("check")
@with_appcontext
def check():
    """Prove that every maintained total equals the sum of the ledger."""
    from core.points import check_totals

    def work(progress):
        with _db().session() as session:
            return check_totals(session, progress=progress)

    problems = _progress_run("Checking totals against the ledger", work)
    from core.rewards import failed

    with _db().session() as session:
        stuck = failed(session)
    for reward in stuck:
        click.echo(f"reward {reward.idempotency_key} for user {reward.user_id} failed {reward.attempts} times: "
                   f"{reward.last_error}", err=True)
    if problems:
        for line in problems[:50]:
            click.echo(line, err=True)
        click.echo(f"{len(problems)} totals differ from the ledger; run `engage rebuild-totals`.", err=True)
    if stuck:
        click.echo(f"{len(stuck)} queued rewards could not be paid; mend the cause, then run "
                   "`engage pay-rewards --retry`.", err=True)
    from core.jobs import failures

    with _db().session() as session:
        gave_up = failures(session, final_only=True)
    for failure in reversed(gave_up):
        click.echo(f"job {failure.task} ({failure.task_id}) failed at {failure.failed_at:%Y-%m-%d %H:%M} UTC "
                   f"with no retry left: {failure.error}", err=True)
    if gave_up:
        click.echo(f"{len(gave_up)} jobs failed for good; see Administration → Jobs, mend the cause, then clear "
                   "them there (or `engage jobs clear-failures`).", err=True)
    with _db().session() as session:
        unlisted = identity_cli.check_faculties_listed(session)
    if unlisted:  # a notice, not a failure: those readers' pages and boards show the text itself
        click.echo(unlisted, err=True)
    if problems or stuck or gave_up:
        sys.exit(1)
    click.echo("All totals equal the ledger; no reward is stuck in the queue.")
    click.echo("No background job failed for good.")
    if not unlisted:
        click.echo("Every reader's faculty is on the list of faculties.")


@main.command("pay-rewards")
@click.option("--retry", is_flag=True, help="Also retry rewards set aside after failing repeatedly.")
@with_appcontext
def pay_rewards(retry: bool):
    """Pay every reward waiting in the queue now (`engage worker` does this within seconds)."""
    from core.rewards import pay_all, retry_failed

    retried = retry_failed(_db()) if retry else 0
    paid = pay_all(_db())
    click.echo(f"{paid} rewards paid" + (f" ({retried} set-aside rewards retried)." if retry else "."))


@main.command("rebuild-totals")
@with_appcontext
def rebuild_totals_command():
    """Rebuild all-time and period totals from the ledger (after changing term dates, say)."""
    from core.points import rebuild_totals

    def work(progress):
        with _db().write_session() as session:
            return rebuild_totals(session, progress=progress)

    users = _progress_run("Rebuilding totals", work)
    click.echo(f"Totals rebuilt for {users} users.")


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="ENGAGE_DEMO_HOST")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), envvar="ENGAGE_DEMO_PORT")
@click.option("--reset", is_flag=True, help="Throw away the demo data and make it anew.")
@click.option("--no-serve", is_flag=True, help="Populate only; do not start the server.")
@click.option("--students", default=200, show_default=True, type=click.IntRange(1, 100_000),
              envvar="ENGAGE_DEMO_STUDENTS")
@click.option("--seed", default=2024, show_default=True, type=int)
@click.option("--destroy-non-demo-data", "destroy", is_flag=True,
              help="With --reset: throw away a database that holds a real library, not the demo.")
@with_appcontext
def demo(host: str, port: int, reset: bool, no_serve: bool, students: int, seed: int, destroy: bool):
    """Populate a demo library (students, librarians, an admin, a term of points), then serve it
    with gunicorn and a job worker until Ctrl-C (ENGAGE_DEMO_HOST, ENGAGE_DEMO_PORT and
    ENGAGE_DEMO_STUDENTS set the options from the environment).

    Only an empty database or an earlier demo is used: a real library is refused."""
    from core.backup.guard import NotADemo, refuse_unless_demo
    from core.demo import DEMO_PASSWORD, NotEmpty, populate, screen_addresses

    from core import migrations

    db = _db()
    try:
        refuse_unless_demo(db.url, action="engage demo" + (" --reset" if reset else ""), destroy_allowed=destroy,
                           can_destroy=reset)
    except NotADemo as exc:
        raise click.ClickException(str(exc)) from None
    if reset:
        migrations.drop_every_table(current_app)
    try:
        migrations_cli.tell(migrations.upgrade(current_app), "applied")
    except migrations.MigrationError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        made = populate(db, students=students, seed=seed, progress_label="Making demo points")
    except NotEmpty as exc:
        raise click.ClickException(f"The demo was not added: {exc}.") from None
    if not made:
        click.echo("The demo data is already there (use --reset to make it anew).")
    url = f"http://{host}:{port}/"
    env = {}
    if not current_app.config.get("PUBLIC_BASE_URL"):
        # The demo knows the one address it serves at: its Open Badges are verifiable there.
        current_app.config["PUBLIC_BASE_URL"] = url.rstrip("/")
        env["ENGAGE_PUBLIC_BASE_URL"] = url.rstrip("/")
    rows = [(role, email, f"password: {DEMO_PASSWORD}") for role, email in [
        ("admin", "admin@demo.library"), ("librarian", "librarian1@demo.library"), ("student", "student1@demo.library")]]
    rows += [("screen", name, address) for name, address in screen_addresses(db, url)]
    click.echo(f"\nLibrary Engage demo: {url}")
    for line in serving.table(rows):
        click.echo(line)
    click.echo()
    if not no_serve:
        click.echo("Serving with gunicorn and a job worker; Ctrl-C stops both.")
        serving.serve_with_worker(host, port, web_workers=2, env=env)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", "web_workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn worker processes.")
@with_appcontext
def run(host: str, port: int, web_workers: int):
    """Serve the site on one machine: gunicorn plus one `engage worker`, until Ctrl-C."""
    click.echo(f"Library Engage: http://{host}:{port}/ (gunicorn and a job worker; Ctrl-C stops both)")
    serving.serve_with_worker(host, port, web_workers=web_workers)


@main.command("worker")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Jobs run at once in this process.")
@click.option("--no-scheduler", is_flag=True,
              help="Run queued jobs only; leave periodic jobs to a worker that runs the scheduler.")
@with_appcontext
def worker(threads: int, no_scheduler: bool):
    """Run queued and periodic jobs (reward payments, closing what is due, reminders) until stopped.

    Run several (on one machine or several sharing ENGAGE_JOBS_URL=redis://…); periodic jobs are
    idempotent, but one scheduler is enough: give the others --no-scheduler.
    """
    jobs = current_app.extensions["engage.jobs"]
    if jobs.huey.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is on: jobs run where they are queued; no worker is needed.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    jobs.restart_rewards()  # pay what a previous run left, whether or not requests arrive
    where = current_app.config.get("JOBS_URL") or str(Path(current_app.instance_path) / "jobs.sqlite")
    click.echo(f"Worker {os.getpid()}: {threads} thread(s), queue {where.split('@')[-1]}, "
               f"scheduler {'off' if no_scheduler else 'on'} ({len(jobs.periodic)} periodic jobs).")
    # An idle worker looks at the queue at least every JOBS_POLL_SECONDS (Huey's default backs off to 10 s).
    consumer = jobs.huey.create_consumer(workers=threads, worker_type="thread", periodic=not no_scheduler,
                                         max_delay=float(current_app.config["JOBS_POLL_SECONDS"]))
    consumer.run()


@main.group("jobs")
def jobs_group():
    """Background jobs: failures and periodic jobs."""


@jobs_group.command("list")
@with_appcontext
def jobs_list():
    """Show every periodic job and its plugin."""
    for name, job in sorted(current_app.extensions["engage.jobs"].periodic.items()):
        click.echo(f"{name:<36} {job.plugin}")


@jobs_group.command("run")
@click.argument("name")
@with_appcontext
def jobs_run(name: str):
    """Run periodic job NAME once now, in this process."""
    jobs = current_app.extensions["engage.jobs"]
    if name not in jobs.periodic:
        raise click.BadParameter(f"no periodic job is called {name!r} (see `engage jobs list`)", param_hint="NAME")
    jobs.run_periodic(name)
    click.echo(f"{name} ran.")


@jobs_group.command("clear-failures")
@with_appcontext
def jobs_clear_failures():
    """Mark every recorded job failure as dealt with (after mending its cause)."""
    from core.jobs import clear_failures

    with _db().write_session() as session:
        cleared = clear_failures(session)
    click.echo(f"{cleared} job failures cleared.")
