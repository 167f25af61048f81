"""Plugin object for `contributions`: its name, version, titles and hook implementations.

Importing this module registers everything: the tables (``models``), the blueprint
(``views`` with ``manage_views``) and the hooks below.
"""

from __future__ import annotations

from flask import render_template, url_for
from markupsafe import Markup

from core.badges import BadgeRule
from core.db import get_session
from core.hookspecs import ContentTarget, MailKind, hookimpl
from core.ui import MenuItem, Panel, Slide

from . import models  # noqa: F401  (the tables exist once the plugin is imported)
from . import moderation, queries, service
from .demo import populate_demo
from .i18n import _, _l
from .views import bp

NAME = "contributions"
VERSION = "0.1.0"
TITLE = {"en": "Knowledge contributions", "zh_Hans": "知识贡献"}
DESCRIPTION = {
    "en": "Challenges in which readers contribute book reviews, photos, stories and local knowledge; moderated, shown in a gallery.",
    "zh_Hans": "读者参与书评、摄影、故事与地方文献等知识贡献挑战；经审核后在作品廊展示。",
}


def _is_librarian(user) -> bool:
    return bool(user.is_authenticated and user.has_role("librarian"))


@hookimpl
def engage_blueprints():
    """The readers' and librarians' pages, all under /contributions."""
    return bp


@hookimpl
def engage_mail_kinds():
    """Decisions on a reader's work come at once; librarians hear of work waiting for review daily."""
    return [MailKind("contributions:decisions", _l("Decisions on your contributions"),
                     kinds=("approve", "reject", "changes", "featured"), default="immediate", order=30),
            MailKind("contributions:moderation", _l("Contributions waiting for review"), kinds=("moderation",),
                     default="daily", staff_only=True, order=31)]


@hookimpl
def engage_rate_limits():
    return {"contributions.submit": "20 per hour", "contributions.edit": "30 per hour",
            "contributions.withdraw": "20 per hour", "contributions.like": "60 per minute",
            "contributions.unlike": "60 per minute"}


@hookimpl
def engage_menu_items(user):
    """"Challenges" for everyone; "Moderation" with the number waiting for librarians."""
    items = [MenuItem(_("Challenges"), url_for("contributions.index"), 30, "contributions")]
    if _is_librarian(user):
        pending = moderation.pending_count(get_session())
        label = _("Moderation (%(n)d)", n=pending) if pending else _("Moderation")
        items.append(MenuItem(label, url_for("contributions.moderation"), 31, "contributions-moderation"))
    return items


@hookimpl
def engage_home_panels(user):
    """Open challenges with their deadlines, and what opens next."""
    db = get_session()
    html = render_template("contributions/_panel_home.html", open=service.challenges(db, "open")[:5],
                           upcoming=service.challenges(db, "upcoming")[:3])
    return Panel(_("Contribution challenges"), Markup(html), 30, "contributions-home")


@hookimpl
def engage_profile_panels(user, subject):
    """The subject's approved contributions (what anyone may see of them)."""
    items = queries.of_user(get_session(), subject.id, approved_only=True, limit=10)
    html = render_template("contributions/_panel_profile.html", items=items)
    return Panel(_("Contributions"), Markup(html), 30, "contributions-profile")


@hookimpl
def engage_admin_panels(user):
    """Links to the moderation queue and challenge admin, with the queue's length."""
    html = render_template("contributions/_panel_admin.html", pending=moderation.pending_count(get_session()))
    return Panel(_("Contribution challenges"), Markup(html), 30, "contributions-admin")


@hookimpl
def engage_badge_rules():
    """First approved contribution, five approved, and a featured piece."""
    approved = ("contributions", "approved")
    return [
        BadgeRule("contributions:first", {"en": "First contribution", "zh_Hans": "初次贡献"},
                  {"en": "Have a contribution approved.", "zh_Hans": "有一份贡献通过审核。"},
                  kind="activity_count", activity=approved, count=1, order=30),
        BadgeRule("contributions:five", {"en": "Knowledge keeper", "zh_Hans": "知识守护者"},
                  {"en": "Have five contributions approved.", "zh_Hans": "有五份贡献通过审核。"},
                  kind="activity_count", activity=approved, count=5, order=31),
        BadgeRule("contributions:featured", {"en": "Featured", "zh_Hans": "精选作者"},
                  {"en": "Have a contribution featured by the library.", "zh_Hans": "有作品被图书馆评为精选。"},
                  kind="activity_count", activity=("contributions", "featured"), count=1, order=32),
    ]


@hookimpl
def engage_screen_slides(screen):
    """The latest featured piece, its QR code opening its challenge."""
    items = queries.featured(get_session(), limit=1)
    if items:
        item = items[0]
        url = url_for("contributions.challenge", challenge_id=item.challenge.id, _external=True)
    else:
        item, url = None, url_for("contributions.index", _external=True)
    html = render_template("contributions/_slide.html", item=item)
    return Slide("featured", _("Featured contribution"), Markup(html), url, 30)


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    """A few challenges in both languages (open, upcoming, closed) with work in every state."""
    populate_demo(session, rng, students, librarians)


@hookimpl
def engage_content_targets(user):
    """Each challenge (every one is public, upcoming ones too), so other plugins (feedback) can
    link a reader's item to it."""
    return [ContentTarget(f"contributions:challenge:{c.id}", service.title_of(c),
                          url_for("contributions.challenge", challenge_id=c.id), 30)
            for c in service.challenges(get_session())]


@hookimpl
def engage_activity_kinds():
    """Names for the activities this plugin records (dashboards, badge criteria)."""
    return {"approved": _l("Contribution approved"), "featured": _l("Contribution featured")}


@hookimpl
def engage_point_rules():
    """Names for this plugin's points in readers' history."""
    return {"contributions:approved": _l("Contribution approved"), "contributions:featured": _l("Contribution featured")}


# --- readers' rights (core.identity.privacy) ----------------------------------------------

@hookimpl
def engage_user_data(session, user_id):
    from . import privacy

    return privacy.user_data(session, user_id)


@hookimpl
def engage_forget_user(session, user_id):
    from . import privacy

    privacy.forget_user(session, user_id)
