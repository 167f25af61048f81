"""``engage mail deliver`` and ``engage mail digests``: the job queue's mail work, run by hand."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("mail")
def mail_group():
    """Send queued email and digests by hand (the job queue normally does)."""


@mail_group.command("deliver")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Send at most this many messages.")
@with_appcontext
def deliver(limit: int):
    """Send the messages waiting in the outbox."""
    from core.mail import deliver_pending

    app = current_app._get_current_object()
    started, sent = time.perf_counter(), 0
    while sent < limit:
        batch = deliver_pending(app, min(100, limit - sent))
        if not batch:
            break
        sent += batch
    click.echo(f"{sent} messages sent in {time.perf_counter() - started:.1f} s.")


@mail_group.command("digests")
@with_appcontext
def digests():
    """Queue the daily and weekly digests that are due now (then run `engage mail deliver`)."""
    from core.mail import send_digests

    queued = send_digests(current_app._get_current_object())
    click.echo(f"{queued} digests queued.")
