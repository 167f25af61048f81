"""What the library offers: badges (and a reader's, and a manual award), boards, faculties, activities."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import badges, boards
from core.api import schemas as s
from core.api.auth import audit, current_key, needs
from core.api.blueprint import Blueprint, documented
from core.api.problems import Problem
from core.api.readers import bp as readers_bp
from core.api.readers import reader_or_404
from core.db import get_session
from core.identity.faculties import list_faculties
from core.models import User

bp = Blueprint("api_catalogue", __name__, url_prefix="/api/v1", title=_l("Badges, boards and activities"),
               description="Badges, leaderboards, faculties and the activities plugins offer.")


def _badge(view) -> dict:
    rule = view.rule
    return {"key": rule.key, "name": rule.label, "how_to_earn": rule.how, "kind": rule.kind,
            "plugin": rule.plugin or "core", "holders": view.holders}


@bp.route("/badges")
@needs("boards:read")
@bp.response(200, s.BadgeListSchema)
@documented
def list_badges():
    """Every badge that can be earned now, in the caller's language, with how many hold it."""
    return {"items": [_badge(v) for v in badges.views(get_session(), None)]}


@readers_bp.route("/<string:number>/badges")
@needs("readers:read")
@readers_bp.response(200, s.HeldBadgeListSchema)
@documented
def reader_badges(number):
    """The badges a reader holds (withdrawn ones left out)."""
    user = reader_or_404(number)
    items = []
    for key, held in sorted(badges.user_awards(get_session(), user.id).items(), key=lambda kv: kv[1].granted_at):
        rule = badges.known_rule(key)
        items.append({"key": key, "name": rule.label if rule else key, "granted_at": held.granted_at,
                      "reason": held.reason})
    return {"items": items}


@readers_bp.route("/<string:number>/badges", methods=["POST"])
@needs("badges:award")
@readers_bp.arguments(s.BadgeAwardSchema)
@readers_bp.response(201, s.HeldBadgeSchema)
@documented
def award_badge(fields, number):
    """Award a manual badge to a reader, with a reason (in the name of the administrator who made the key)."""
    user = reader_or_404(number)
    key = current_key()
    session = get_session()
    if key.created_by is None or session.get(User, key.created_by) is None:
        raise Problem(409, _("This key has no administrator to act for"), _("Make a new key."))
    try:
        held = badges.award_manually(session, user_id=user.id, key=fields["badge"], actor_id=key.created_by,
                                     reason=fields["reason"])
    except badges.BadgeError as exc:
        raise Problem(409, str(exc), str(exc)) from None
    audit("api.badge.award", f"user:{user.id}", fields["badge"], reason=fields["reason"][:500])
    session.commit()
    rule = badges.known_rule(held.badge_key)
    return {"key": held.badge_key, "name": rule.label if rule else held.badge_key, "granted_at": held.granted_at,
            "reason": held.reason}


def _rows(rows: list[boards.Row]) -> list[dict]:
    session = get_session()
    numbers = {}
    if rows:
        numbers = dict(session.execute(select(User.id, User.member_number).where(
            User.id.in_([r.user_id for r in rows]))).all())
    return [{"rank": r.rank, "reader": numbers.get(r.user_id), "display_name": r.display_name,
             "faculty": r.cohort, "total": r.total} for r in rows]


def _period(period: str) -> str:
    if period not in boards.PERIODS:
        raise Problem(404, _("Unknown board"), _("Boards are: %(periods)s.", periods=", ".join(boards.PERIODS)))
    return period


@bp.route("/boards/<any(all, week, month, term):period>")
@needs("boards:read")
@bp.arguments(s.BoardArgs, location="query")
@bp.response(200, s.BoardSchema)
@documented
def board(args, period):
    """The top of a board: all, week, month or term; everyone's or one faculty's."""
    rows = boards.top(get_session(), period=_period(period), cohort=args["faculty"], limit=args["limit"])
    return {"period": period, "faculty": args["faculty"], "rows": _rows(rows)}


@bp.route("/boards/<any(all, week, month, term):period>/around/<string:number>")
@needs("boards:read")
@bp.arguments(s.AroundArgs, location="query")
@bp.response(200, s.BoardSchema)
@documented
def board_around(args, period, number):
    """A reader's line on a board with the readers just above and below (empty when not on it)."""
    user = reader_or_404(number)
    rows = boards.around_me(get_session(), user_id=user.id, period=_period(period), cohort=args["faculty"],
                            above=args["around"], below=args["around"])
    return {"period": period, "faculty": args["faculty"], "rows": _rows(rows)}


@bp.route("/faculties")
@needs("boards:read")
@bp.response(200, s.FacultyListSchema)
@documented
def faculties():
    """The library's faculties: a reader's ``faculty`` is a ``code``, and each has a board
    (``?faculty=<code>``)."""
    return {"items": [{"code": f.code, "name_en": f.name_en, "name_zh": f.name_zh, "active": f.active}
                      for f in list_faculties(get_session())]}


@bp.route("/activities")
@needs("boards:read")
@bp.response(200, s.ActivityListSchema)
@documented
def activities():
    """What readers can do for points, as each switched-on plugin describes it."""
    from core.plugins import current_hooks

    items = []
    for listed in current_hooks().engage_api_activities():
        for item in listed or []:
            items.append({"plugin": str(item["plugin"]), "key": str(item["key"]), "name": str(item["name"]),
                          "description": str(item.get("description", ""))})
    return {"items": sorted(items, key=lambda i: (i["plugin"], i["key"]))}
