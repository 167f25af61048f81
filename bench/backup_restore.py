"""Backup, restore, export and import of the demo library: seconds and file sizes.

Makes the demo (``engage demo --no-serve``, 200 students by default) in a temporary SQLite file,
and with ``--database-url`` also in PostgreSQL (schema ``engage_bench_backup``, recreated), then
times each operation through the same functions the ``engage`` commands call, restoring into an
emptied database and checking that every total equals the ledger afterwards.

    python bench/backup_restore.py [--students 200] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pg import fresh_schema_url  # noqa: E402


def app_for(url: str, instance: Path):
    from core import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "REWARD_JOBS": False,
                       "SCHEMA_CHECK": False, "PLUGIN_ENTRY_POINT_GROUP": None}, instance_path=str(instance))


def demo(url: str, instance: Path, students: int) -> None:
    from click.testing import CliRunner

    from core.cli import main

    os.environ.update(ENGAGE_DATABASE_URL=url, ENGAGE_INSTANCE_PATH=str(instance), ENGAGE_SECRET_KEY="bench")
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--students", str(students)])
    if result.exit_code:
        raise SystemExit(result.output)


def check(app) -> bool:
    from core.points import check_totals

    with app.app_context(), app.extensions["engage.db"].session() as session:
        return not check_totals(session)


def timed(work):
    started = time.perf_counter()
    value = work()
    return value, time.perf_counter() - started


def run(label: str, url: str, folder: Path, students: int, sqlite_export: Path | None) -> Path:
    from core.backup import service
    from core.migrations.runner import drop_every_table

    instance = folder / f"instance-{label}"
    _, made = timed(lambda: demo(url, instance, students))
    app = app_for(url, instance)
    with app.app_context():
        report, backup_s = timed(lambda: service.backup(app, folder / f"{label}.zip"))
        rows = sum(report.manifest.tables.values())
        export, export_s = timed(lambda: service.export(app, folder / f"{label}-export.zip"))
        drop_every_table(app)
        _, restore_s = timed(lambda: service.restore(app, report.path))
        restored_ok = check(app)
        _, import_s = timed(lambda: service.import_library(app, export.path, force=True))
        imported_ok = check(app)
        lines = [f"{label}: demo of {students} students, {rows} rows ({made:.1f} s to make)",
                 f"  {'backup  (' + report.manifest.method + ')':<34}{backup_s:6.2f} s  {report.path.stat().st_size / 1024:8.1f} kB",
                 f"  restore into an empty database    {restore_s:6.2f} s  totals equal ledger: {restored_ok}",
                 f"  export  (portable)                {export_s:6.2f} s  {export.path.stat().st_size / 1024:8.1f} kB",
                 f"  import  (--force)                 {import_s:6.2f} s  totals equal ledger: {imported_ok}"]
        if sqlite_export is not None:
            _, cross_s = timed(lambda: service.import_library(app, sqlite_export, force=True))
            lines.append(f"  import of the SQLite export       {cross_s:6.2f} s  totals equal ledger: {check(app)}")
    app.extensions["engage.db"].dispose()
    print("\n".join(lines), flush=True)
    return export.path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--database-url", help="also measure this PostgreSQL database")
    parser.add_argument("--schema", default="engage_bench_backup")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        exported = run("SQLite", f"sqlite:///{folder / 'bench.sqlite'}", folder, args.students, None)
        if args.database_url:
            run("PostgreSQL", fresh_schema_url(args.database_url, args.schema), folder, args.students, exported)


if __name__ == "__main__":
    main()
