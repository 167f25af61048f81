"""Revisions of the brand_stories branch, oldest first by number."""
