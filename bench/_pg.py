"""PostgreSQL schemas for the benchmarks: each run works in a schema of its own."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def schema_url(url: str, schema: str) -> str:
    """``url`` with its search_path set to ``schema``."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def fresh_schema_url(url: str, schema: str) -> str:
    """Recreate ``schema`` (empty) and return ``url`` with its search_path set to it."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return schema_url(url, schema)
