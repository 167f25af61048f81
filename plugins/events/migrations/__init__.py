"""The events plugin's Alembic branch."""
