"""The backup file: a zip archive holding a manifest, the database and the instance's uploads.

Members:
- ``manifest.json``: what this is (``format``), its ``format_version``, the database kind and how
  it was copied (``method``), when, by which release, the schema revisions (Alembic's version
  rows), the rows per table, the stored files, and each other member's size and SHA-256;
- the database: ``database.sqlite`` (SQLite's online backup API), ``database.pgdump`` (``pg_dump``'s
  custom format) or ``tables/NNNN_<table>.jsonl`` (the portable format: one JSON line per row);
- ``uploads/…``: the files of the instance's ``uploads`` folder, if it has one (the site keeps
  the pictures people upload in the database itself, so they travel in the rows above).

An archive is written under a temporary name and renamed when whole; reading one checks every
member against the manifest before anything is changed.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

FORMAT = "library-engage-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup, restore, export or import cannot go on; ``str()`` says why and what to do."""


def release() -> str:
    """This installation's version of Library Engage."""
    try:
        from importlib.metadata import version

        return version("library-engage")
    except Exception:  # noqa: BLE001 - run from a checkout that is not installed
        return "unknown"


@dataclass
class Manifest:
    """What an archive holds (see the module docstring)."""

    kind: str                       # "backup" or "export"
    database: str                   # "sqlite" or "postgresql": where it came from
    method: str                     # "sqlite-backup-api", "pg_dump-custom" or "portable"
    revisions: list[str]
    tables: dict[str, int] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)    # portable: tables in dependency order
    stored_files: dict[str, int] = field(default_factory=dict)
    pg_schema: str | None = None
    members: dict[str, dict] = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    release: str = field(default_factory=release)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "Manifest":
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in known})


class _Hashing:
    """A writable wrapper that counts and hashes what passes through."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.sha, self.size = target, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.target.write(data)


class Writer:
    """Writes an archive to ``path`` via ``path.partial``; ``close(manifest)`` makes it whole."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.zip = zipfile.ZipFile(self.partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.members: dict[str, dict] = {}

    def open(self, name: str, *, compress: bool = True):
        """A member to write, hashed; call ``done(name, handle)`` after closing it."""
        info = zipfile.ZipInfo(name, date_time=datetime.now(timezone.utc).timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        return _Member(self, name, self.zip.open(info, "w", force_zip64=True))

    def add_file(self, name: str, source: Path, *, compress: bool = True) -> None:
        with self.open(name, compress=compress) as member, open(source, "rb") as handle:
            while chunk := handle.read(CHUNK):
                member.write(chunk)

    def close(self, manifest: Manifest) -> Path:
        manifest.members = self.members
        self.zip.writestr(MANIFEST, manifest.to_json())
        self.zip.close()
        self.partial.replace(self.path)
        return self.path

    def abandon(self) -> None:
        try:
            self.zip.close()
        except Exception:  # noqa: BLE001 - the partial file goes anyway
            pass
        self.partial.unlink(missing_ok=True)


class _Member(_Hashing):
    def __init__(self, writer: Writer, name: str, handle) -> None:
        super().__init__(handle)
        self.writer, self.name = writer, name

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.target.close()
        self.writer.members[self.name] = {"size": self.size, "sha256": self.sha.hexdigest()}


def read(path: Path, *, known_revisions: set[str]) -> tuple[zipfile.ZipFile, Manifest]:
    """Open and check an archive: ours, a format and schema this release knows, every member whole.

    Raises BackupError (naming the file) when it is not; changes nothing.
    """
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"{path} is not a Library Engage backup or export (not a zip archive: {exc}); "
                          "nothing was changed.") from None
    try:
        manifest = _manifest(archive, path)
        _check_version(manifest, path, known_revisions)
        _check_members(archive, manifest, path)
    except BaseException:
        archive.close()
        raise
    return archive, manifest


def _manifest(archive: zipfile.ZipFile, path: Path) -> Manifest:
    foreign = (f"{path} is not a Library Engage backup or export (it has no Library Engage manifest); "
               "nothing was changed.")
    try:
        data = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupError(foreign) from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise BackupError(f"{path} is damaged: its manifest cannot be read ({exc}); nothing was changed.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(foreign)
    if not isinstance(data.get("format_version"), int) or not isinstance(data.get("revisions"), list) \
            or not isinstance(data.get("members"), dict):
        raise BackupError(f"{path} is damaged: its manifest is incomplete; nothing was changed.")
    return Manifest.from_dict(data)


def _check_version(manifest: Manifest, path: Path, known_revisions: set[str]) -> None:
    if manifest.format_version > FORMAT_VERSION:
        raise BackupError(f"{path} was written by a newer release of Library Engage ({manifest.release}, file "
                          f"format {manifest.format_version}; this release reads up to {FORMAT_VERSION}). "
                          "Restore it with that release or a later one; nothing was changed.")
    unknown = sorted(set(manifest.revisions) - known_revisions)
    if unknown:
        raise BackupError(f"{path} holds a database at schema revision {', '.join(unknown)}, which this "
                          f"installation does not know: it comes from a newer release ({manifest.release}) or "
                          "has a plugin that is not installed here. Install that release or plugin, then "
                          "restore; nothing was changed.")


def _check_members(archive: zipfile.ZipFile, manifest: Manifest, path: Path) -> None:
    names = set(archive.namelist()) - {MANIFEST}
    missing = sorted(set(manifest.members) - names)
    extra = sorted(names - set(manifest.members))
    if missing or extra:
        what = f"missing {', '.join(missing[:5])}" if missing else f"unexpected {', '.join(extra[:5])}"
        raise BackupError(f"{path} is damaged ({what}); nothing was changed.")
    for name, expected in manifest.members.items():
        sha = hashlib.sha256()
        try:
            with archive.open(name) as handle:
                while chunk := handle.read(CHUNK):
                    sha.update(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise BackupError(f"{path} is damaged: {name} cannot be read ({exc}); nothing was changed.") from None
        if sha.hexdigest() != expected.get("sha256"):
            raise BackupError(f"{path} is damaged: {name} is not what was written (checksum differs); "
                              "nothing was changed.")
