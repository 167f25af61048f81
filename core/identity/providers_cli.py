"""``engage signin``: the sign-in settings from the command line (the way back in when no
administrator can sign in any more, say after a campus server went away)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("signin")
def signin_group():
    """Ways to sign in."""


@signin_group.command("passwords")
@click.argument("state", type=click.Choice(["on", "off"]))
@with_appcontext
def passwords(state: str):
    """Switch sign-in with a local password ON or OFF (off is allowed here even when no other
    provider is set up: the command line is for those who know what they do)."""
    from core.identity.providers import set_password_sign_in

    with current_app.test_request_context(), current_app.extensions["engage.db"].write_session() as session:
        changed = set_password_sign_in(session, enabled=state == "on", actor_id=None, check=False)
    click.echo(f"Sign-in with a password switched {state}." if changed else f"Sign-in with a password was already {state}.")


@signin_group.command("list")
@with_appcontext
def list_links():
    """How many accounts each provider has linked, and whether passwords are on."""
    from sqlalchemy import func, select

    from core.identity.providers import password_sign_in_on
    from core.identity.providers_models import IdentityLink

    with current_app.extensions["engage.db"].session() as session:
        click.echo(f"password: {'on' if password_sign_in_on(session) else 'off'}")
        for provider, count in session.execute(select(IdentityLink.provider, func.count())
                                               .group_by(IdentityLink.provider).order_by(IdentityLink.provider)):
            click.echo(f"{provider}: {count} linked account(s)")
