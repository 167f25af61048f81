"""Revisions of the staff_scores branch, oldest first by number."""
