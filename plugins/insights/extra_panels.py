"""The panels read through other parts: campaign reach and readers' satisfaction."""

from __future__ import annotations


def build(session, calendar, *, start, end, today) -> dict:
    """The campaign and satisfaction panels for the dashboard's range."""
    return {}
