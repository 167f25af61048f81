"""Plugin object for `badgemaker`: badges librarians make from criteria any plugin offers.

Importing this module registers everything: the tables (models), the blueprint and its routes
(views) and the hook implementations below.
"""

from __future__ import annotations

import click
from flask import render_template
from markupsafe import Markup
from sqlalchemy import func, select

from core.db import get_db, get_session
from core.hookspecs import hookimpl
from core.ui import Panel

from . import criteria, demo, models, rules, service, views  # noqa: F401  (views adds its routes)
from .blueprint import bp
from .i18n import _

NAME = "badgemaker"
VERSION = "0.1.0"
TITLE = {"en": "Badges you make", "zh_Hans": "自制徽章"}
DESCRIPTION = {
    "en": "Librarians make badges from what readers do (points, activities, weeks in a row, events…), without a developer.",
    "zh_Hans": "馆员根据读者的参与（积分、活动、连续周数、活动出席等）自行设计徽章，无需开发人员。",
}


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_rate_limits():
    # The preview is asked as a librarian types.
    return {"badgemaker.preview": "120 per minute"}


@hookimpl
def engage_badge_criteria():
    """Points, activities of any plugin's kind and weeks in a row, from core's records."""
    return criteria.offered()


@hookimpl
def engage_runtime_badge_rules(session):
    """Every made badge, retired ones included, as a rule core grants in the earning transaction."""
    return rules.all_rules(session)


def _grant_waiting() -> int:
    return service.grant_waiting(get_db())


@hookimpl
def engage_jobs():
    """Give new badges to the readers who already qualify (queued on save; the schedule catches up)."""
    from core.jobs import PeriodicJob, every_minutes

    return [PeriodicJob(service.JOB, NAME, _grant_waiting, every_minutes(1))]


@hookimpl
def engage_cli_commands(cli):
    @cli.command("badgemaker-grant")
    def grant_command():
        """Give new made badges to the readers who already qualify, now."""
        click.echo(f"{_grant_waiting()} badge(s) given.")


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    demo.populate(session, rng, students, librarians)


@hookimpl
def engage_admin_panels(user):
    session = get_session()
    active = session.execute(select(func.count()).select_from(models.MadeBadge)
                             .where(models.MadeBadge.retired_at.is_(None))).scalar_one()
    return Panel(_("Badges you make"), Markup(render_template("badgemaker/_panel_admin.html", active=active)), 55,
                 "badgemaker-admin")
