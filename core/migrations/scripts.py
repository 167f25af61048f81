"""Where the revisions live and how Alembic is configured, without any alembic.ini.

Core's history is the branch ``core`` in ``core/migrations/versions``; each installed plugin
with a ``migrations/versions`` folder beside its module (found the way its translations are)
adds a branch named after the plugin. A table belongs to the branch whose name prefixes it.
"""

from __future__ import annotations

import os
from argparse import Namespace
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from alembic.util import to_tuple

VERSION_TABLE = "core_alembic_version"
HERE = Path(__file__).resolve().parent
CORE_VERSIONS = HERE / "versions"


def branch_folders(host) -> dict[str, Path]:
    """Branch name → folder of its revisions: ``core`` first, then each plugin that has one."""
    return {"core": CORE_VERSIONS, **host.migration_dirs()}


def make_config(folders: dict[str, Path], **attributes) -> Config:
    """An Alembic Config built in code; ``attributes`` reach env.py (the connection, options)."""
    config = Config(attributes=attributes, cmd_opts=Namespace(quiet=True))  # the commands say what happened
    # ConfigParser interpolates "%": double it in paths, and the file template is the revision id.
    config.set_main_option("script_location", str(HERE).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", _joined(folders.values()))
    config.set_main_option("file_template", "%%(rev)s")
    return config


def _joined(paths) -> str:
    return os.pathsep.join(str(path).replace("%", "%%") for path in dict.fromkeys(paths))


def load_scripts(folders: dict[str, Path]) -> ScriptDirectory:
    """The revisions in ``folders``, read from disk now (for commands that change them)."""
    return ScriptDirectory.from_config(make_config(folders))


@dataclass(frozen=True)
class Heads:
    """What the start-up check compares a database with."""

    at_heads: frozenset[str]  # the version table's rows once every head is applied
    known: frozenset[str]     # every revision id


@lru_cache(maxsize=16)
def _heads(locations: tuple[str, ...]) -> Heads:
    script = load_scripts({str(i): Path(p) for i, p in enumerate(locations)})
    return Heads(at_heads(script), frozenset(r.revision for r in script.walk_revisions()))


def cached_heads(folders: dict[str, Path]) -> Heads:
    """The heads of these folders' revisions, read once per process (the files do not change)."""
    return _heads(tuple(str(path) for path in folders.values()))


def applied(script: ScriptDirectory, current) -> set[str]:
    """The revisions a database whose version table holds ``current`` has: those and all they build on."""
    if not current:
        return set()
    return {rev.revision for rev in script.iterate_revisions(tuple(current), "base")}


def outermost(script: ScriptDirectory, revisions) -> frozenset[str]:
    """The version table's rows for a database that has ``revisions``: Alembic keeps only those
    no other applied revision builds on (a revision another branch ``depends_on`` is implied)."""
    revisions = set(revisions)
    implied = set().union(*(applied(script, [revision]) - {revision} for revision in revisions))
    return frozenset(revisions - implied)


def at_heads(script: ScriptDirectory) -> frozenset[str]:
    """The version table's rows once every head is applied."""
    return outermost(script, script.get_heads())


def table_owner(table: str, branches) -> str | None:
    """The branch a table belongs to: the longest branch name that prefixes it (``<name>_…``)."""
    owners = [name for name in branches if table.startswith(name + "_")]
    return max(owners, key=len) if owners else None


def in_order(script: ScriptDirectory) -> list[Script]:
    """Every revision, each after the ones it builds on."""
    return list(reversed(list(script.walk_revisions())))


def branch_name(rev: Script, branches=()) -> str:
    """The branch a revision belongs to (its label, inherited from the branch's first revision)."""
    labels = sorted(rev.branch_labels)
    return labels[0] if labels else (table_owner(rev.revision, branches) or "?")


def by_branch(script: ScriptDirectory) -> dict[str, list[Script]]:
    """Revisions grouped by branch, ``core`` first, each oldest first."""
    groups: dict[str, list[Script]] = {}
    for rev in in_order(script):
        groups.setdefault(branch_name(rev), []).append(rev)
    return dict(sorted(groups.items(), key=lambda item: (item[0] != "core", item[0])))


def dependencies(rev: Script) -> tuple[str, ...]:
    """The revisions of other branches this one needs first (its ``depends_on``)."""
    return to_tuple(rev.dependencies, default=())


def positions(script: ScriptDirectory, current) -> dict[str, str | None]:
    """Each branch's newest applied revision (None where the branch has none applied yet)."""
    done = applied(script, current)
    return {branch: next((rev.revision for rev in reversed(revisions) if rev.revision in done), None)
            for branch, revisions in by_branch(script).items()}
