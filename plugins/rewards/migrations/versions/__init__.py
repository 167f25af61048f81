"""Revisions of the rewards branch, oldest first by number."""
