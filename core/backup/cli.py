"""The ``engage backup | restore | export | import`` commands (see ``core.backup.service``)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import click
from flask import current_app
from flask.cli import with_appcontext

from core.backup import service
from core.backup.archive import BackupError

_FILE = click.Path(dir_okay=False, path_type=Path)


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{size / 1024:.1f} kB"


def _summary(report: service.Report) -> None:
    manifest = report.manifest
    rows = sum(manifest.tables.values())
    stored = manifest.stored_files or {}
    uploads = sum(1 for name in manifest.members if name.startswith(service.UPLOADS + "/"))
    click.echo(f"  {len(manifest.tables)} tables, {rows} rows, {stored.get('files', 0)} stored files "
               f"({stored.get('bytes', 0)} bytes), {uploads} files from the uploads folder")
    click.echo(f"  schema: {', '.join(manifest.revisions) or '(none)'}")
    for note in report.notes:
        click.echo(f"  {note}")


def _run(step: Callable[[], service.Report]) -> service.Report:
    """Run a backup step; a refusal (``BackupError``) becomes the command's one-line error."""
    try:
        return step()
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


def _new_file(file: Path, overwrite: bool) -> None:
    if file.exists() and not overwrite:
        raise click.BadParameter(f"{file} exists; choose another name or add --overwrite.", param_hint="FILE")


@click.command("backup")
@click.argument("file", type=_FILE)
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@with_appcontext
def backup_command(file: Path, overwrite: bool):
    """Write a consistent backup of the database and uploaded files to FILE, while the site serves."""
    _new_file(file, overwrite)
    report = _run(lambda: service.backup(current_app, file))
    click.echo(f"Backed up the {report.manifest.database} database ({report.manifest.method}) to {file} "
               f"({_size(file)}) in {report.seconds:.2f} s")
    _summary(report)


@click.command("restore")
@click.argument("file", type=_FILE)
@click.option("--force", is_flag=True, help="Replace a database that is not empty (everything in it is lost).")
@with_appcontext
def restore_command(file: Path, force: bool):
    """Restore the backup FILE into this (empty) database, then bring it to this release's schema."""
    report = _run(lambda: service.restore(current_app, file, force=force))
    click.echo(f"Restored {file} (made {report.manifest.created_at} by release {report.manifest.release}) "
               f"in {report.seconds:.2f} s")
    _summary(report)
    click.echo("Run `engage check` to prove the totals equal the ledger.")


@click.command("export")
@click.argument("file", type=_FILE)
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@with_appcontext
def export_command(file: Path, overwrite: bool):
    """Write every table and uploaded file to FILE in a portable format any database can import."""
    _new_file(file, overwrite)
    report = _run(lambda: service.export(current_app, file))
    click.echo(f"Exported the {report.manifest.database} database to {file} ({_size(file)}) "
               f"in {report.seconds:.2f} s")
    _summary(report)


@click.command("import")
@click.argument("file", type=_FILE)
@click.option("--force", is_flag=True, help="Replace a database that is not empty (everything in it is lost).")
@with_appcontext
def import_command(file: Path, force: bool):
    """Load an `engage export` FILE into this (empty) database, SQLite or PostgreSQL."""
    report = _run(lambda: service.import_library(current_app, file, force=force))
    click.echo(f"Imported {file} (from {report.manifest.database}, made {report.manifest.created_at}) "
               f"in {report.seconds:.2f} s")
    _summary(report)
    click.echo("Run `engage check` to prove the totals equal the ledger.")


def register(group: click.Group) -> None:
    """Add the commands to the ``engage`` group."""
    for command in (backup_command, restore_command, export_command, import_command):
        group.add_command(command)
