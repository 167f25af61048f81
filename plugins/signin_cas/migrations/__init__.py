"""The signin_cas plugin's schema history (an Alembic branch)."""
