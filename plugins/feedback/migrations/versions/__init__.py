"""Revisions of the feedback branch, oldest first by number."""
