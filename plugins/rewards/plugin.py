"""Plugin object for `rewards`: its name, version, titles, and its hooks.

Importing this module registers everything: the tables (models), the blueprint and its routes
(views, manage, draw_views) and the hook implementations below.
"""

from __future__ import annotations

import click
from flask import render_template, url_for
from markupsafe import Markup
from sqlalchemy import select

from core.db import get_db, get_session
from core.hookspecs import MailKind, hookimpl
from core.models import Role
from core.ui import MenuItem, Panel, Slide

from . import models  # noqa: F401  (the tables must exist before create_all)
from . import demo, draw_views, draws, manage, service, views  # noqa: F401  (routes on the blueprint)
from .blueprint import bp
from .i18n import _, _l
from .models import Draw, Perk

NAME = service.NAME
VERSION = "0.1.0"
TITLE = {"en": "Rewards", "zh_Hans": "积分兑换"}
DESCRIPTION = {
    "en": "A catalogue of perks readers buy with points, vouchers librarians fulfil, and prize draws anyone can check.",
    "zh_Hans": "读者用积分兑换的权益目录、馆员兑现的凭证，以及人人可核验的抽奖。",
}


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_rate_limits():
    return {"rewards.redeem": "30 per minute", "rewards.buy_ticket": "30 per minute"}


@hookimpl
def engage_mail_kinds():
    return [MailKind("rewards:vouchers", _l("Your vouchers"), kinds=("voucher-issued", "voucher-fulfilled",
                                                                     "voucher-cancelled"), default="never", order=70),
            MailKind("rewards:draws", _l("Prize draw results"), kinds=("draw-won",), default="immediate", order=71)]


def _draw_due() -> int:
    with get_db().write_session() as session:
        return draws.run_due(session)


@hookimpl
def engage_jobs():
    """Draws are drawn at their set time, whether or not anyone visits."""
    from core.jobs import PeriodicJob, every_minutes

    return [PeriodicJob(f"{NAME}:draw-due", NAME, _draw_due, every_minutes(1))]


@hookimpl
def engage_cli_commands(cli):
    """``engage rewards draw-due`` and ``check``."""
    @cli.group("rewards")
    def rewards_group():
        """Rewards: perks, vouchers and prize draws."""

    @rewards_group.command("draw-due")
    def draw_due_command():
        """Draw every draw whose time has come (what the worker does each minute)."""
        click.echo(f"{_draw_due()} draw(s) drawn.")

    @rewards_group.command("check")
    def check_command():
        """Prove every wallet equals its spending ledger."""
        with get_db().session() as session:
            problems = service.check_wallets(session)
        for problem in problems:
            click.echo(problem)
        if problems:
            raise SystemExit(1)
        click.echo("Every wallet agrees with the spending ledger.")


@hookimpl
def engage_activities_recorded(session, activities):
    """Activity earns tickets in open draws that give them: a ticket per activity."""
    draws.earn_tickets_for(session, [activity.user_id for activity in activities])


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    demo.populate(session, rng, students, librarians)


@hookimpl
def engage_menu_items(user):
    if not user.is_authenticated:
        return MenuItem(_("Prize draws"), url_for("rewards.draw_list"), 75, "rewards-draws")
    items = [MenuItem(_("Rewards"), url_for("rewards.index"), 75, "rewards", also=(url_for("rewards.draw_list"),))]
    if user.has_role(Role.librarian):
        items.append(MenuItem(_("Rewards desk"), url_for("rewards.manage"), 76, "rewards-manage"))
    return items


@hookimpl
def engage_home_panels(user):
    """The wallet: points to spend, vouchers waiting at the desk."""
    if not user.is_authenticated:
        return None
    session = get_session()
    waiting = [(v, p) for v, p in service.vouchers_of(session, user.id) if v.state == "issued"][:3]
    html = render_template("rewards/_panel.html", balance=service.balance(session, user.id), waiting=waiting)
    return Panel(_("Your wallet"), Markup(html), 45, "rewards-wallet")


@hookimpl
def engage_screen_slides(screen):
    """The perks on offer and the next draw, for lobby screens."""
    session = get_session()
    perks = session.execute(select(Perk).where(Perk.active.is_(True), Perk.audience == "")
                            .order_by(Perk.position, Perk.id).limit(4)).scalars().all()
    upcoming = session.execute(select(Draw).where(Draw.drawn_at.is_(None)).order_by(Draw.draw_at).limit(1)).scalar()
    html = render_template("rewards/_slide.html", perks=perks, draw=upcoming)
    return Slide("perks", _("Spend your points"), Markup(html), url_for("rewards.index", _external=True), 45)


# --- readers' rights (core.identity.privacy) ----------------------------------------------

@hookimpl
def engage_user_data(session, user_id):
    from . import privacy

    return privacy.user_data(session, user_id)


@hookimpl
def engage_forget_user(session, user_id):
    from . import privacy

    privacy.forget_user(session, user_id)
