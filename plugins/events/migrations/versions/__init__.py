"""Revisions of the events branch, oldest first by number."""
