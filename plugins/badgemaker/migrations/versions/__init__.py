"""Revisions of the badgemaker branch, oldest first by number."""
