"""Revisions of the contributions branch, oldest first by number."""
