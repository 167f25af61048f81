"""``engage users import``, ``engage faculties import`` and ``engage faculties adopt``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core.identity.faculties import adopt_cohorts, unlisted_cohorts
from core.identity.faculty_import import apply_faculties, check_faculties
from core.identity.roster import RosterChanged, apply_users, check_users
from core.identity.tables import TableError, read_table


def _import(path: str, *, kind: str, dry_run: bool) -> None:
    config, database = current_app.config, current_app.extensions["engage.db"]
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    check, write = (check_users, apply_users) if kind == "users" else (check_faculties, apply_faculties)
    try:
        table = read_table(data, file.name, max_bytes=config["ROSTER_MAX_BYTES"], max_rows=config["ROSTER_MAX_ROWS"])
        with database.write_session() as session:
            plan = check(session, table)
            if plan.errors:
                for error in plan.errors[:200]:
                    where = f"line {error.line}" if error.line else "file"
                    click.echo(f"{file.name}, {where}{', ' + error.column if error.column else ''}: {error.message}",
                               err=True)
                if len(plan.errors) > 200:
                    click.echo(f"… and {len(plan.errors) - 200} more.", err=True)
                raise click.ClickException(f"{len(plan.errors)} problems; nothing was changed.")
            summary = f"{plan.created} new, {plan.updated} changed, {plan.unchanged} unchanged"
            if plan.ignored:
                click.echo(f"Columns left out: {', '.join(plan.ignored)}")
            if dry_run:
                session.rollback()
                click.echo(f"{file.name} ({table.encoding}) is fine: {summary}. Nothing was changed (--dry-run).")
                return
            with click.progressbar(length=max(len(plan.rows), 1), label=f"Importing {file.name}") as bar:
                def progress(done: int, total: int, seen=[0]) -> None:  # noqa: B006 — the bar's last position
                    bar.update(done - seen[0])
                    seen[0] = done
                write(session, plan, actor_id=None, source=file.name, progress=progress)
    except TableError as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    except RosterChanged as exc:
        raise click.ClickException(f"the accounts changed while importing; nothing was changed: {exc}") from None
    click.echo(f"Imported {file.name}: {summary}.")


@click.group("users")
def users_group():
    """Readers' and staff accounts."""


@users_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and say what would change, changing nothing.")
@with_appcontext
def users_import(file: str, dry_run: bool):
    """Create or update accounts from a roster (CSV or .xlsx: number, name, email, and optionally
    faculty, role, active), matched by number; importing it twice changes nothing."""
    _import(file, kind="users", dry_run=dry_run)


@click.group("faculties")
def faculties_group():
    """The managed list of faculties and colleges."""


@faculties_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and say what would change, changing nothing.")
@with_appcontext
def faculties_import(file: str, dry_run: bool):
    """Create or update faculties from a table (code, name_en, name_zh, and optionally active,
    order), matched by code."""
    _import(file, kind="faculties", dry_run=dry_run)


@faculties_group.command("adopt")
@with_appcontext
def faculties_adopt():
    """Add a faculty for every faculty readers typed as free text that is not on the list."""
    with current_app.extensions["engage.db"].write_session() as session:
        added = adopt_cohorts(session)
    click.echo(f"{added} faculties added from readers' free text." if added else "Every reader's faculty is on the list.")


def check_faculties_listed(session) -> str | None:
    """For ``engage check``: a problem line when readers' faculties are missing from the list."""
    missing = unlisted_cohorts(session)
    if not missing:
        return None
    return (f"{len(missing)} faculties readers belong to are not on the list (e.g. {missing[0]!r}); "
            "run `engage faculties adopt`.")


def register(group: click.Group) -> None:
    """Add the commands to the ``engage`` group."""
    group.add_command(users_group)
    group.add_command(faculties_group)
