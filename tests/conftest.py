"""The migration tests' fixtures (tests/migration_support.py), for tests/test_migrations_*.py."""

from migration_support import clean_url, engage_command, migration_app, postgresql_only, sqlite_only  # noqa: F401
