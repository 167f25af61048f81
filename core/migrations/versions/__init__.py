"""Revisions of the core branch, oldest first by number."""
