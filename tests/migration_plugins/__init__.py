"""Plugins that exist only for the migration tests, each carrying its own migrations folder."""
