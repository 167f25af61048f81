"""Writing revisions (``engage db revision``).

A revision id is readable: ``<branch>_<number>_<words of the message>``. Core's revisions go
to ``core/migrations/versions``; a plugin's to ``migrations/versions`` beside its module, and
its first one starts the plugin's branch (labelled with its name, after core's current head).
Autogenerate compares the models with the database and keeps to the branch's own tables.
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.util import CommandError
from flask import Flask
from sqlalchemy import TypeDecorator

from core.migrations.runner import MigrationError, migration_engine
from core.migrations.scripts import VERSION_TABLE, branch_folders, load_scripts, make_config, table_owner


class UnknownBranch(ValueError):
    """No branch (core or an installed plugin) has this name."""


class BadMessage(ValueError):
    """A revision message that cannot become a docstring and an id."""


def _next_number(folder: Path, branch: str) -> int:
    numbers = [int(m.group(1)) for path in folder.glob(f"{branch}_*.py")
               if (m := re.match(rf"{re.escape(branch)}_(\d+)", path.stem))]
    return max(numbers, default=0) + 1


def _slug(message: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40].rstrip("_")


def _start_branch(folder: Path, branch: str) -> None:
    """Make a plugin's migrations folder a package, so it ships with the plugin."""
    folder.mkdir(parents=True, exist_ok=True)
    for package, doc in ((folder.parent, f"The {branch} plugin's schema history (an Alembic branch)."),
                         (folder, f"Revisions of the {branch} branch, oldest first by number.")):
        init = package / "__init__.py"
        if not init.exists():
            init.write_text(f'"""{doc}"""\n')


def _render_item(type_, obj, autogen_context):
    # Frozen history names plain SQLAlchemy types, never the app's (UTCDateTime, AutoString…).
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def _autogenerate_options(branch: str, branches: list[str]) -> dict:
    from sqlmodel import SQLModel

    def owned(name: str, type_: str) -> bool:
        return type_ != "table" or (name != VERSION_TABLE and table_owner(name, branches) == branch)

    return {
        "target_metadata": SQLModel.metadata,
        "include_name": lambda name, type_, parent_names: owned(name, type_),
        "include_object": lambda obj, name, type_, reflected, compare_to: owned(name, type_),
        "render_item": _render_item,
    }


def new_revision(app: Flask, *, branch: str, message: str, autogenerate: bool = False) -> Path:
    """Write the next revision of ``branch`` and return its file."""
    host = app.extensions["engage.plugins"]
    branches = ["core", *host.infos]
    if branch not in branches:
        raise UnknownBranch(f"no branch is called {branch!r} (branches: {', '.join(branches)})")
    message = " ".join(message.split())
    if not message or '"' in message or "\\" in message:
        raise BadMessage("say in a few words what the revision does, without quotes or backslashes")
    folders = branch_folders(host)
    folder = folders.get(branch) or host.folder(branch) / "migrations" / "versions"
    script = load_scripts(folders)
    where = {"head": f"{branch}@head"}
    if not any(branch in rev.branch_labels for rev in script.walk_revisions()):
        # A plugin's first revision starts its branch, after core's current head.
        where = {"head": "base", "branch_label": branch, "depends_on": script.get_revision("core@head").revision}
        _start_branch(folder, branch)
        folders = {**folders, branch: folder}
    slug = _slug(message)
    rev_id = f"{branch}_{_next_number(folder, branch):04d}" + (f"_{slug}" if slug else "")

    def keep_if_changed(context, revision, directives):
        if autogenerate and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    engine = migration_engine(app.config["DATABASE_URL"]) if autogenerate else None
    connection = None
    try:
        connection = engine.connect() if engine else None
        options = _autogenerate_options(branch, branches) if autogenerate else {}
        config = make_config(folders, connection=connection, options=options)
        written = command.revision(config, message=message, autogenerate=autogenerate, version_path=str(folder),
                                   rev_id=rev_id, process_revision_directives=keep_if_changed, **where)
    except CommandError as exc:
        if "not up to date" in str(exc):
            raise MigrationError("The database is not at every head; run `engage db upgrade` before "
                                 "autogenerating.") from None
        raise MigrationError(str(exc)) from None
    finally:
        if connection is not None:
            connection.close()
        if engine is not None:
            engine.dispose()
    if not written:
        raise MigrationError(f"The models and the database agree on {branch}'s tables: nothing to write.")
    return folder / f"{rev_id}.py"
