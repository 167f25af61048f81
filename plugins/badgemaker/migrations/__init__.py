"""The badgemaker plugin's schema history: an Alembic branch named after the plugin (see docs/plugins.md)."""
