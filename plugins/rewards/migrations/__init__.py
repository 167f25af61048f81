"""Revisions of the rewards branch."""
