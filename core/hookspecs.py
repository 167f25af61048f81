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


@dataclass(frozen=True)
class Satisfaction:
    """Readers' satisfaction as one plugin measured it over a span (``engage_satisfaction``).

    ``ratings`` counts readers' ratings by score (1–5); ``changes`` is "you said, we did": what
    readers raised that led to a visible change; ``answered`` what the library answered.
    """

    plugin: str
    ratings: dict
    changes: int = 0
    answered: int = 0

    @property
    def csat(self) -> float | None:
        """The share of 4–5 ratings (None without ratings)."""
        rated = sum(self.ratings.values())
        return sum(n for score, n in self.ratings.items() if score >= 4) / rated if rated else None


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


# --- the JSON API (core.api) -------------------------------------------------------------

@hookspec
def engage_api_blueprints():
    """Return ``core.api.blueprint.Blueprint`` objects (flask-smorest), each named ``<plugin>_…`` with
    a ``url_prefix`` under ``/api/v1/<plugin>``: the plugin's API endpoints, in the OpenAPI document,
    each guarded by ``core.api.auth.needs(scope)``; they answer 404 while the plugin is off."""


@hookspec
def engage_api_scopes():
    """Return ``{scope: label}`` for the scopes the plugin's API endpoints need (``"<plugin>:<verb>"``,
    the label lazy text), offered when an administrator makes a key."""


@hookspec
def engage_api_activities():
    """Return a list of ``{"plugin", "key", "name", "description"}`` dicts (texts in the current
    language): what readers can do for points in this plugin, listed by ``GET /api/v1/activities``."""


@hookspec
def engage_demo_data(session, rng, students, librarians):
    """Populate demo data in ``session`` for these ``students`` and ``librarians``, using ``rng`` (random.Random)."""


@hookspec
def engage_point_rules():
    """Return ``{rule: label}`` naming the points rules this plugin pays (a label is lazy text or ``{"en": …, "zh_Hans": …}``), so readers' points history reads well."""


@hookspec
def engage_activity_kinds():
    """Return ``{kind: label}`` naming the kinds of activity this plugin records
    (``core.activity.record_activity``; a label is lazy text or ``{"en": …, "zh_Hans": …}``), so
    dashboards and badge criteria name them in the reader's language (``core.views.activity_label``)."""


@hookspec
def engage_badge_rules():
    """Return core.badges.BadgeRule objects (or a list): the badges this plugin offers and how each is earned."""


@hookspec
def engage_badge_criteria():
    """Return core.badge_criteria.BadgeCriterion objects (or a list): what this plugin can count for
    badges librarians make (events attended, say), with a function that counts it per reader."""


@hookspec
def engage_runtime_badge_rules(session):
    """Return core.badges.BadgeRule objects defined at run time from the plugin's own tables (badges
    librarians make), retired ones included; asked again after ``core.badges.runtime_rules_changed``."""


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
def engage_points_awarded_many(session, awards):
    """React to the awards one call paid (a list of ``core.points.Awarded``: entry id, user, amount
    and the user's total after it, in (user, entry) order; one for ``award``, up to thousands for
    ``award_many``), inside the transaction that wrote them. Heard before ``engage_points_awarded``;
    a listener that can handle many at once implements this one instead (not both)."""


@hookspec
def engage_activity_recorded(session, activity):
    """React to a recorded ``activity`` (an ActivityEntry), inside the transaction that wrote it;
    called once per activity. A listener that can handle many at once implements
    ``engage_activities_recorded`` instead (not both)."""


@hookspec
def engage_activities_recorded(session, activities):
    """React to the activities one call recorded (a list of ``core.activity.Activity``, in (user,
    id) order; one for ``record_activity``, up to thousands for ``record_activities``), inside the
    transaction that wrote them. Cheaper than ``engage_activity_recorded`` when a plugin records in
    bulk: a listener can read what it needs for every user in one query."""


@hookspec
def engage_notification_created(session, notification):
    """React to a new ``notification`` (a Notification) in a user's inbox, e.g. to forward it elsewhere.
    A listener that can handle many at once implements ``engage_notifications_created`` instead."""


@hookspec
def engage_notifications_created(session, notifications):
    """React to the notifications one call put in inboxes (a list of ``core.notifications.Created``:
    one for ``notify``, many for ``notify_many``), inside the transaction that wrote them; heard
    before ``engage_notification_created`` hears each one. Implement one of the two, not both."""


@hookspec
def engage_badge_granted(session, award):
    """React to a badge ``award`` (a BadgeAward) just granted to a user, inside the transaction that granted it.
    A listener that can handle many at once implements ``engage_badges_granted`` instead."""


@hookspec
def engage_badges_granted(session, awards):
    """React to the badges one call granted (a list of ``core.badges.Granted``: one for ``grant``,
    many when a batch of awards or activities earns them), inside the transaction that granted
    them; heard before ``engage_badge_granted`` hears each one. Implement one of the two, not both."""


@hookspec
def engage_satisfaction(session, start, end):
    """Return Satisfaction objects (or a list): readers' ratings, answers and "you said, we did"
    changes from ``start`` (included) to ``end`` (excluded), timezone-aware instants; for dashboards."""


@hookspec
def engage_answer_rated(session, rating):
    """React to an AnswerRating: a user rated a librarian's answer, inside the transaction that stored the rating."""


# --- readers' rights --------------------------------------------------------------------
# Called for every installed plugin, switched on or off: a plugin's data is kept while it is
# off, so it is exported and forgotten too.

@hookspec
def engage_user_data(session, user_id):
    """Return ``{file stem: [row, …]}``: everything this plugin holds about ``user_id`` (JSON-serialisable rows; datetimes are fine), for the reader's "My data" download."""


@hookspec
def engage_forget_user(session, user_id):
    """Remove or anonymise what this plugin holds about ``user_id`` (account deleted, or retention), in the caller's transaction; never commit. Ledger rows stay; core then anonymises the account itself."""


# --- sign-in providers ------------------------------------------------------------------

@dataclass(frozen=True)
class ProviderSetting:
    """One thing an administrator sets for a sign-in provider (``SignInProvider.settings``), shown
    on its settings page. ``kind``: ``"text"``, ``"url"``, ``"number"`` or ``"secret"`` (stored
    encrypted, never shown again; ``SIGNIN_SECRETS[key]`` in the configuration wins over it).
    ``choices`` (``(value, label)`` pairs) makes it a choice among those values."""

    name: str
    label: object
    kind: str = "text"
    required: bool = False
    default: str = ""
    help: object = ""
    choices: tuple = ()


@dataclass(frozen=True)
class SignInProvider:
    """A way to sign in a plugin offers (``engage_sign_in_providers``).

    ``key`` is stable (identity links are stored under it); ``label`` is the button's text (lazy
    text or ``{"en": …, "zh_Hans": …}``); ``start_url`` a path on this site that begins the sign-in
    (a redirect to the campus server, or a form). The plugin's callback turns what the server
    sent into a ``VerifiedIdentity`` and hands it to ``core.identity.providers_signin.finish``,
    which maps the attributes, finds, links or creates the account and starts the session.
    ``configured`` is False while the admin has not set the provider up (no button is shown).
    ``default_mapping`` pre-fills the attribute mapping (``core.identity.providers_mapping``).
    ``logout_url`` (optional) is called with the signed-out browser's provider data and returns
    the address that ends the session at the provider too (single logout), or None.
    """

    key: str
    label: object
    start_url: str
    order: int = 100
    settings: tuple = ()
    configured: bool = True
    default_mapping: dict | None = None
    logout_url: object = None


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who a provider vouched for: ``subject`` is its stable id for the person; ``attributes`` maps
    names to lists of strings (what the server released). ``email_verified`` is False when the
    provider says the address was not checked (then it never links an existing account)."""

    provider: str
    subject: str
    attributes: dict
    email_verified: bool = True


@hookspec
def engage_sign_in_providers():
    """Return SignInProvider objects (or a list): the ways to sign in this plugin offers, as seen in this request."""


# --- webhooks out -------------------------------------------------------------------------

@hookspec
def engage_webhook_events():
    """Return core.webhooks.WebhookEvent objects (or a list): the plugin's event types an administrator may subscribe a URL to; the plugin sends one with ``core.webhooks.emit(session, event_type, data)``."""
