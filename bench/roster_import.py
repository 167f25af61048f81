"""Benchmark: importing a roster of ``--rows`` readers (``core.identity``), as the job queue does.

Writes a GBK-encoded CSV (as Excel on a Chinese Windows saves it) and the same roster as an .xlsx,
then times each step: reading and decoding the file, checking every row (formats, duplicates,
faculties, accounts), applying it in one transaction, and importing it again (every row
unchanged, nothing written). Prints seconds and rows per second for each step.

    python bench/roster_import.py                                  # SQLite, a temporary file
    python bench/roster_import.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

from _pg import fresh_schema_url

FACULTIES = [("CS", "Computer Science", "计算机学院"), ("PHYS", "Physics", "物理学院"), ("LAW", "Law", "法学院"),
             ("MED", "Medicine", "医学院"), ("ARTS", "Liberal Arts", "文学院"), ("BUS", "Business", "商学院")]


def roster_rows(count: int) -> list[list[str]]:
    rows = [["学号", "姓名", "邮箱", "学院", "身份"]]
    for n in range(count):
        code, en, zh = FACULTIES[n % len(FACULTIES)]
        rows.append([f"2024{n:06d}", f"读者{n}", f"reader{n}@bench.uni.edu.cn", zh if n % 2 else code,
                     "学生" if n % 50 else "馆员"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="roster rows (default 20000)")
    parser.add_argument("--database-url", help="PostgreSQL URL; default is a temporary SQLite file")
    parser.add_argument("--schema", default="engage_bench", help="PostgreSQL schema to (re)create")
    args = parser.parse_args(argv)

    from openpyxl import Workbook

    from core import create_app
    from core.identity.faculties import Faculty
    from core.identity.roster import apply_users, check_users
    from core.identity.tables import read_table
    from core.migrations import upgrade

    tmp = tempfile.TemporaryDirectory(prefix="engage-bench-")
    if args.database_url:
        url, label = fresh_schema_url(args.database_url, args.schema), f"PostgreSQL (schema {args.schema})"
    else:
        url, label = f"sqlite:///{Path(tmp.name) / 'bench.sqlite'}", "SQLite (WAL, temp file)"
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url}, instance_path=str(Path(tmp.name) / "instance"),
                     check_schema=False)
    upgrade(app)
    db = app.extensions["engage.db"]
    rows = roster_rows(args.rows)
    csv_bytes = "\r\n".join(",".join(row) for row in rows).encode("gbk")
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    xlsx_bytes = out.getvalue()
    limits = {"max_bytes": 64 * 1024 * 1024, "max_rows": args.rows + 1}
    print(f"{label}: a roster of {args.rows} readers; CSV (GBK) {len(csv_bytes) / 1e6:.1f} MB, "
          f"XLSX {len(xlsx_bytes) / 1e6:.1f} MB")

    def step(name: str, work):
        t0 = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - t0
        print(f"  {name:<34} {seconds:7.2f} s  {args.rows / seconds:9,.0f} rows/s")
        return result

    with app.test_request_context():
        with db.write_session() as session:
            for code, en, zh in FACULTIES:
                session.add(Faculty(code=code, name_en=en, name_zh=zh))
        table = step("read CSV (detect GBK, parse)", lambda: read_table(csv_bytes, "roster.csv", **limits))
        step("read XLSX (openpyxl, read-only)", lambda: read_table(xlsx_bytes, "roster.xlsx", **limits))
        with db.session() as session:
            plan = step("check rows (the preview)", lambda: check_users(session, table))
        assert plan.ok, plan.errors[:3]

        def apply_once():
            with db.write_session() as session:
                fresh = check_users(session, table)
                return apply_users(session, fresh, actor_id=None, source="roster.csv")

        first = step("check + apply in one transaction", apply_once)
        again = step("re-import (all unchanged)", apply_once)
    print(f"  first import: {first}; again: {again}")
    assert first["created"] == args.rows and again["unchanged"] == args.rows
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
