"""``engage openbadges rotate-key``: a new Open Badges 3.0 signing key, the old one kept as retired."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from core.openbadges3 import keys


@click.group("openbadges")
def openbadges_group():
    """Open Badges: the issuer's signing key."""


@openbadges_group.command("rotate-key")
@with_appcontext
def rotate_key():
    """Sign new Open Badges 3.0 downloads with a new key; credentials already handed out still verify
    (the issuer profile keeps listing the retired key)."""
    try:
        ring = keys.rotate(current_app.config, current_app.instance_path)
    except keys.IssuerKeyError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"New signing key: {ring.current}")
    for retired in ring.retired:
        click.echo(f"Retired, still listed: {retired}")
