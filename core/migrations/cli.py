"""The ``engage db`` commands (and ``engage init-db``, an alias of ``engage db upgrade``).

The ``engage`` command builds its app without the start-up check and calls ``refuse_if_behind``
instead, which lets these commands (and ``engage demo``, which upgrades first) reach a database
that is behind, empty or made before migrations; every other command is refused there.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import NoAppException, with_appcontext

from core.migrations import authoring
from core.migrations.check import schema_problem, unknown_message
from core.migrations.runner import MigrationError, Outcome, Run, downgrade, drop_every_table, upgrade
from core.migrations.scripts import applied, by_branch, dependencies, in_order, positions

# First words of the commands that may run against a database that is not current (a backup or
# export reads any revision; a restore or import fills an empty database).
SCHEMA_COMMANDS = frozenset({"db", "init-db", "demo", "backup", "export", "restore", "import"})


class DatabaseNotCurrent(NoAppException):
    """The database is not at every head. Flask's command group reports a NoAppException where it
    lists or looks up commands; run as a command's error, it is one sentence and status 1."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", file=file, err=True)


def refuse_if_behind(app) -> None:
    """Stop an ``engage`` command other than SCHEMA_COMMANDS when the database is not current."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None and ctx.parent.parent is not None:
        ctx = ctx.parent
    if ctx is not None and ctx.parent is not None and ctx.info_name in SCHEMA_COMMANDS:
        return
    if app.config["SCHEMA_CHECK"]:
        problem = schema_problem(app)
        if problem:
            raise DatabaseNotCurrent(problem)


def _url() -> str:
    return current_app.extensions["engage.db"].engine.url.render_as_string(hide_password=True)


def _positions(positions: dict) -> str:
    return "".join(f"\n  {branch:<16} {revision or '(none)'}" for branch, revision in positions.items())


def tell(outcome: Outcome, verb: str) -> None:
    """Say what a run did: the copy it made, what adopting changed, each revision, where it ends."""
    if outcome.backup:
        click.echo(f"Copied the database first to {outcome.backup}")
    if outcome.adopted is not None:
        click.echo("The database was made before schema migrations; adopted it:")
        for note in outcome.adopted or ["nothing was missing"]:
            click.echo(f"  - {note}")
        if outcome.rebuilt_users is not None:
            click.echo(f"  - rebuilt totals and rank counts from the ledger ({outcome.rebuilt_users} users)")
    for step in outcome.steps:
        click.echo(f"  {verb} {step}")
    if not outcome.steps and outcome.adopted is None:
        click.echo(f"Nothing to do; the database is at:{_positions(outcome.after)}")
    else:
        click.echo(f"The database is now at:{_positions(outcome.after)}")


def _fail(exc: Exception):
    raise click.ClickException(str(exc)) from None


@click.group("db")
def db_group():
    """Upgrade the database schema, look at its history, write new revisions."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision: str):
    """Upgrade the database to REVISION (default: every head). One transaction; SQLite is copied first."""
    click.echo(f"Upgrading {_url()}")
    try:
        tell(upgrade(current_app, revision), "applied")
    except MigrationError as exc:
        _fail(exc)


@db_group.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def db_downgrade(revision: str, yes: bool):
    """Undo revisions down to REVISION (e.g. feedback@base, core_0001_baseline; base drops every table)."""
    if not yes:
        click.confirm(f"Downgrading {_url()} undoes revisions and may drop tables with their data. Continue?",
                      abort=True)
    try:
        tell(downgrade(current_app, revision), "undid")
    except MigrationError as exc:
        _fail(exc)


@db_group.command("current")
@with_appcontext
def db_current():
    """Show where each branch of the database stands and what is pending."""
    run = Run(current_app)
    try:
        state = run.state()
    finally:
        run.dispose()
    click.echo(f"Database: {_url()}")
    if state.unknown:
        raise click.ClickException(unknown_message(state.unknown))
    if state.legacy:
        click.echo("No schema version: made before migrations. `engage db upgrade` adopts it.")
        return
    if state.empty and not state.current:
        click.echo("Empty: no tables yet. `engage db upgrade` creates them.")
    heads = set(run.script.get_heads())
    for branch, revision in positions(run.script, state.current).items():
        click.echo(f"  {branch:<16} {revision or '(none)'}" + (" (head)" if revision in heads else ""))
    done = applied(run.script, state.current)
    pending = [rev.revision for rev in in_order(run.script) if rev.revision not in done]
    if pending:
        click.echo(f"Pending: {', '.join(pending)}. Run `engage db upgrade`.")
    else:
        click.echo("Up to date.")


@db_group.command("history")
@with_appcontext
def db_history():
    """List every revision, branch by branch, oldest first; marks where the database stands."""
    run = Run(current_app)
    try:
        state = run.state()
    finally:
        run.dispose()
    reached = set(positions(run.script, state.current).values())
    for branch, revisions in by_branch(run.script).items():
        click.echo(f"{branch}:")
        for rev in revisions:
            after = f" (after {', '.join(dependencies(rev))})" if dependencies(rev) else ""
            marks = [word for word, on in (("current", rev.revision in reached), ("head", rev.is_head)) if on]
            title = rev.doc.strip().splitlines()[0] if rev.doc else ""
            click.echo(f"  {rev.revision}{after}  {title}" + (f"  [{', '.join(marks)}]" if marks else ""))


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the revision does, in a few words.")
@click.option("--branch", required=True, help="core, or the name of the plugin whose tables change.")
@click.option("--autogenerate", is_flag=True,
              help="Compare the models with the database (at every head) and write the difference.")
@with_appcontext
def db_revision(message: str, branch: str, autogenerate: bool):
    """Write a new revision file for BRANCH's tables (for developers)."""
    try:
        path = authoring.new_revision(current_app, branch=branch, message=message, autogenerate=autogenerate)
    except authoring.UnknownBranch as exc:
        raise click.BadParameter(str(exc), param_hint="--branch") from None
    except authoring.BadMessage as exc:
        raise click.BadParameter(str(exc), param_hint="--message") from None
    except MigrationError as exc:
        _fail(exc)
    click.echo(f"Wrote {path}")
    click.echo("Read it, then run `engage db upgrade`; the models-versus-migrations test checks the two agree.")


@click.command("init-db")
@click.option("--drop", is_flag=True, help="Drop every table first (all data is lost); only a demo or an "
              "empty database unless --destroy-non-demo-data is given too.")
@click.option("--destroy-non-demo-data", "destroy", is_flag=True,
              help="With --drop: also drop a database that holds a real library, not the demo.")
@with_appcontext
def init_db(drop: bool, destroy: bool):
    """Create or upgrade the tables (the same as `engage db upgrade`)."""
    if drop:
        from core.backup.guard import NotADemo, refuse_unless_demo

        try:
            refuse_unless_demo(current_app.config["DATABASE_URL"], action="engage init-db --drop",
                               destroy_allowed=destroy, can_destroy=True)
        except NotADemo as exc:
            _fail(exc)
        click.confirm("Drop every table and lose all data?", abort=True)
        dropped = drop_every_table(current_app)
        click.echo(f"Dropped {len(dropped)} tables.")
    try:
        tell(upgrade(current_app), "applied")
    except MigrationError as exc:
        _fail(exc)
    click.echo(f"Database ready: {_url()}")

