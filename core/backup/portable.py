"""The portable format: every table as JSON lines, parents before children, for any database.

Each table is one member ``tables/NNNN_<name>.jsonl``: a header line ``{"table", "columns",
"kinds"}`` and then one JSON array per row. Values JSON cannot carry are written by kind: bytes as
base64, times as ISO 8601 in UTC, dates as ISO dates. The tables are read from the database itself
(reflected), so a plugin's tables travel without the plugin telling anything; the schema's
version rows are in the manifest, not among the tables.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timezone
from typing import Callable, Iterable

import sqlalchemy as sa

from core.migrations.scripts import VERSION_TABLE

BATCH = 1000


def reflect(connection: sa.Connection) -> sa.MetaData:
    """The database's tables as they are (in the connection's schema)."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    return metadata


def data_tables(metadata: sa.MetaData) -> list[sa.Table]:
    """Every table but the schema's version table, parents before the tables that point at them."""
    return [table for table in metadata.sorted_tables if table.name != VERSION_TABLE]


def _kind(column: sa.Column) -> str:
    kind = column.type
    if isinstance(kind, sa.LargeBinary):
        return "bytes"
    if isinstance(kind, sa.DateTime):
        return "datetime"
    if isinstance(kind, sa.Date):
        return "date"
    return "plain"


def _utc(value: datetime) -> datetime:
    # SQLite keeps no time zone: the site writes UTC, so a naive time is UTC.
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _encode(kind: str, value):
    if value is None or kind == "plain":
        return value
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "datetime":
        return _utc(value).isoformat() if isinstance(value, datetime) else str(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def _decoder(kind: str, column: sa.Column) -> Callable:
    if kind == "bytes":
        return lambda value: None if value is None else base64.b64decode(value)
    if kind == "datetime":
        aware = bool(getattr(column.type, "timezone", False))

        def to_time(value):
            if value is None:
                return None
            moment = _utc(datetime.fromisoformat(value))
            return moment if aware else moment.replace(tzinfo=None)
        return to_time
    if kind == "date":
        return lambda value: None if value is None else date.fromisoformat(value)
    return lambda value: value


def dump_table(connection: sa.Connection, table: sa.Table, handle) -> int:
    """Write ``table``'s rows (in primary-key order) to the binary ``handle``; returns how many."""
    columns = list(table.columns)
    kinds = [_kind(column) for column in columns]
    handle.write(json.dumps({"table": table.name, "columns": [c.name for c in columns], "kinds": kinds},
                            ensure_ascii=False).encode() + b"\n")
    order = list(table.primary_key.columns) or columns
    rows = 0
    result = connection.execution_options(yield_per=BATCH).execute(sa.select(*columns).order_by(*order))
    for row in result:
        handle.write(json.dumps([_encode(kind, value) for kind, value in zip(kinds, row)],
                                ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        rows += 1
    return rows


class FormatError(ValueError):
    """A table member does not fit the database it is loaded into."""


def load_table(connection: sa.Connection, table: sa.Table, lines: Iterable[bytes]) -> int:
    """Insert the rows of one member into ``table``; returns how many."""
    lines = iter(lines)
    try:
        header = json.loads(next(lines))
    except (StopIteration, ValueError) as exc:
        raise FormatError(f"{table.name}: no header line ({exc})") from None
    names = header.get("columns") or []
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise FormatError(f"{table.name} has no column {', '.join(missing)} here")
    decoders = [_decoder(kind, table.columns[name]) for kind, name in zip(header.get("kinds") or [], names)]
    if len(decoders) != len(names):
        raise FormatError(f"{table.name}: the header's kinds do not match its columns")
    count, batch = 0, []
    for line in lines:
        if not line.strip():
            continue
        values = json.loads(line)
        if len(values) != len(names):
            raise FormatError(f"{table.name}: row {count + 1} has {len(values)} values for {len(names)} columns")
        batch.append({name: decode(value) for name, decode, value in zip(names, decoders, values)})
        count += 1
        if len(batch) >= BATCH:
            connection.execute(table.insert(), batch)
            batch = []
    if batch:
        connection.execute(table.insert(), batch)
    return count


def reset_sequences(connection: sa.Connection, tables: Iterable[sa.Table]) -> int:
    """On PostgreSQL, move each table's id sequence past the highest id; returns how many moved."""
    if connection.dialect.name != "postgresql":
        return 0
    moved = 0
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            sequence = connection.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": _qualified(connection, table), "c": column.name}).scalar()
            if not sequence:
                continue
            top = connection.execute(sa.select(sa.func.max(column))).scalar()
            connection.execute(sa.text("SELECT setval(:s, :v, :called)"),
                               {"s": sequence, "v": top or 1, "called": top is not None})
            moved += 1
    return moved


def _qualified(connection: sa.Connection, table: sa.Table) -> str:
    preparer = connection.dialect.identifier_preparer
    return preparer.format_table(table)


def count_rows(connection: sa.Connection, tables: Iterable[sa.Table]) -> dict[str, int]:
    """Rows per table."""
    return {table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in tables}


def stored_files(connection: sa.Connection, tables: Iterable[sa.Table]) -> dict[str, int]:
    """How many stored files (rows with a binary column) and their bytes, across ``tables``."""
    files = size = 0
    for table in tables:
        binary = [column for column in table.columns if isinstance(column.type, sa.LargeBinary)]
        if not binary:
            continue
        row = connection.execute(sa.select(sa.func.count(), *[sa.func.coalesce(sa.func.sum(
            sa.func.length(column)), 0) for column in binary]).select_from(table)).one()
        files += row[0]
        size += sum(row[1:])
    return {"files": files, "bytes": int(size)}
