"""Badges librarians make: defined in the administration pages from criteria any plugin offers."""
