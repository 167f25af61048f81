"""Revisions of the signin_cas branch, oldest first by number."""
