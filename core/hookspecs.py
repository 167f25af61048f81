"""Every extension point a plugin can use. Reading this file tells you what a plugin can do.

Start-up hooks run once per app for every installed plugin (Flask needs all blueprints before
the first request). Per-request and event hooks go through a caller that leaves out the
plugins switched off, so a disabled plugin's menu items, panels and listeners are gone at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pluggy

hookspec = pluggy.HookspecMarker("engage")
hookimpl = pluggy.HookimplMarker("engage")


@dataclass(frozen=True)
class AnswerRating:
    """A user's rating (1–5) of a librarian's answer, offered to other plugins (``engage_answer_rated``).

    ``source_ref`` names the rated thing within ``plugin`` (e.g. ``"feedback:item:12"``) so a
    listener can count each rating once; ``rated_at`` is timezone-aware (UTC).
    """

    staff_id: int
    score: int
    plugin: str
    source_ref: str
    rated_at: datetime


@dataclass(frozen=True)
class ContentTarget:
    """Something of a plugin's that others may link to (``engage_content_targets``): a story
    episode, a contribution challenge. ``key`` is stable and unique, ``"<plugin>:<kind>:<id>"``;
    ``url`` is a path on this site (``url_for`` without ``_external``)."""

    key: str
    title: str
    url: str
    order: int = 100


@dataclass(frozen=True)
class MailKind:
    """A kind of notification a reader may also get by email (``engage_mail_kinds``), and how often.

    ``key`` is ``"<plugin>:<name>"``; it covers the notifications of that plugin whose ``kind``
    is in ``kinds`` (or, left empty, every other kind of that plugin). ``label`` is lazy text or
    ``{"en": …, "zh_Hans": …}``; ``default`` is ``"immediate"``, ``"daily"``, ``"weekly"`` or
    ``"never"``; ``staff_only`` kinds are offered to librarians and administrators alone.
    """

    key: str
    label: object
    kinds: tuple = ()
    default: str = "daily"
    staff_only: bool = False
    order: int = 100


# --- start-up ---------------------------------------------------------------------------

@hookspec
def engage_blueprints():
    """Return a Flask blueprint, or a list of them, whose name is the plugin's name or starts with ``<name>_``."""


@hookspec
def engage_cli_commands(cli):
    """Add click commands to the ``engage`` command group ``cli``."""


@hookspec
def engage_jobs():
    """Return core.jobs.PeriodicJob objects (or a list): work the plugin needs done on a schedule
    whether or not anyone visits (closing what is due, reminders, clean-ups), run by ``engage worker``
    in library time and skipped while the plugin is off. Each must be idempotent: a run may repeat."""


@hookspec
def engage_rate_limits():
    """Return ``{endpoint: limit}`` for the plugin's writes a reader can repeat (votes, submissions,
    likes…), e.g. ``{"myplugin.vote": "30 per minute"}``; counted per signed-in account, else per
    address. Writes left out get ``WRITE_RATE_LIMIT``; a deployment may override any in ``RATE_LIMITS``."""


@hookspec
def engage_demo_data(session, rng, students, librarians):
    """Populate demo data in ``session`` for these ``students`` and ``librarians``, using ``rng`` (random.Random)."""


@hookspec
def engage_point_rules():
    """Return ``{rule: label}`` naming the points rules this plugin pays (a label is lazy text or ``{"en": …, "zh_Hans": …}``), so readers' points history reads well."""


@hookspec
def engage_badge_rules():
    """Return core.badges.BadgeRule objects (or a list): the badges this plugin offers and how each is earned."""


@hookspec
def engage_mail_kinds():
    """Return MailKind objects (or a list): the kinds of this plugin's notifications a reader may get by email, with their defaults."""


# --- per request ------------------------------------------------------------------------

@hookspec
def engage_menu_items(user):
    """Return MenuItem objects (or a list) for the main menu as seen by ``user`` (may be anonymous)."""


@hookspec
def engage_home_panels(user):
    """Return Panel objects (or a list) to show on the home page for ``user`` (may be anonymous)."""


@hookspec
def engage_profile_panels(user, subject):
    """Return Panel objects for ``subject``'s profile page as seen by ``user``."""


@hookspec
def engage_admin_panels(user):
    """Return Panel objects for the administration page, seen by a librarian or admin ``user``."""


@hookspec
def engage_screen_slides(screen):
    """Return Slide objects (core.ui.Slide, or a list) a library ``screen`` can rotate through (its id is None while a librarian creates it)."""


@hookspec
def engage_content_targets(user):
    """Return ContentTarget objects (or a list): this plugin's content that anyone may see (published, never a draft), which ``user`` (a librarian) may link other things to; the link's title and URL (a path on this site) are shown to readers."""


# --- events -----------------------------------------------------------------------------

@hookspec
def engage_points_awarded(session, entry, user_id, amount, total):
    """React to a new ledger ``entry`` (a PointEntry) paying ``amount`` to ``user_id``, whose all-time total is now ``total``, inside the transaction that wrote it (``entry`` is built only when a listener names it)."""


@hookspec
def engage_activity_recorded(session, activity):
    """React to a recorded ``activity`` (an ActivityEntry), inside the transaction that wrote it."""


@hookspec
def engage_notification_created(session, notification):
    """React to a new ``notification`` (a Notification) in a user's inbox, e.g. to forward it elsewhere."""


@hookspec
def engage_badge_granted(session, award):
    """React to a badge ``award`` (a BadgeAward) just granted to a user, inside the transaction that granted it."""


@hookspec
def engage_answer_rated(session, rating):
    """React to an AnswerRating: a user rated a librarian's answer, inside the transaction that stored the rating."""


# --- webhooks out -------------------------------------------------------------------------

@hookspec
def engage_webhook_events():
    """Return core.webhooks.WebhookEvent objects (or a list): the plugin's event types an administrator may subscribe a URL to; the plugin sends one with ``core.webhooks.emit(session, event_type, data)``."""
