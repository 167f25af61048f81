"""Readers, their points and their badges: read, and upsert by student number for roster sync."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.accounts import AccountError, create_user, hash_password, normalise_email, set_active
from core.api import cursors
from core.api.auth import audit, current_key, needs
from core.api.blueprint import Blueprint, documented
from core.api.problems import Problem
from core.api import schemas as s
from core.db import get_session
from core.identity.faculties import resolve_faculty
from core.models import PointEntry, Role, User
from core.points import period_totals, user_total

bp = Blueprint("api_readers", __name__, url_prefix="/api/v1/readers", title=_l("Readers"),
               description="Readers, their points and badges; upsert by student number for roster sync.")


def reader_or_404(number: str) -> User:
    """The reader with this student number (staff are not readers here)."""
    user = get_session().execute(select(User).where(User.member_number == number,
                                                    User.role == Role.student.value)).scalar()
    if user is None:
        raise Problem(404, _("Unknown reader"), _("No reader has the student number %(number)s.", number=number))
    return user


def as_reader(user: User) -> dict:
    return {"id": user.id, "number": user.member_number, "email": user.email, "display_name": user.display_name,
            "faculty": user.cohort, "active": user.is_active, "created_at": user.created_at}


@bp.route("")
@needs("readers:read")
@bp.arguments(s.ReaderArgs, location="query")
@bp.response(200, s.ReaderPageSchema)
@documented
def list_readers(args):
    """List readers in the order they joined, a page at a time."""
    after = cursors.read("readers", args["cursor"])
    query = select(User).where(User.role == Role.student.value).order_by(User.id).limit(args["limit"] + 1)
    if after:
        query = query.where(User.id > int(after[0]))
    if args["faculty"]:
        query = query.where(User.cohort == args["faculty"])
    rows, next_cursor = cursors.page("readers", list(get_session().execute(query).scalars()), args["limit"],
                                     lambda user: [user.id])
    return {"items": [as_reader(u) for u in rows], "next_cursor": next_cursor}


@bp.route("/<string:number>")
@needs("readers:read")
@bp.response(200, s.ReaderSchema)
@documented
def get_reader(number):
    """One reader by student number."""
    return as_reader(reader_or_404(number))


@bp.route("/<string:number>", methods=["PUT"])
@needs("readers:write")
@bp.arguments(s.ReaderUpsertSchema)
@bp.response(200, s.ReaderSchema)
@bp.alt_response(201, schema=s.ReaderSchema, description="Created")
@documented
def put_reader(fields, number):
    """Create or update a reader by student number (roster sync). A new reader signs in through
    the library's sign-in or sets a password through "forgot password"."""
    number = number.strip()
    if not number or len(number) > 32:
        raise Problem(422, detail=_("A student number has 1 to 32 characters."), errors={"number": ["length"]})
    session = get_session()
    user = session.execute(select(User).where(User.member_number == number)).scalar()
    if user is not None and user.role != Role.student.value:
        raise Problem(409, _("This number belongs to a member of staff"),
                      _("Staff accounts are not managed through the API."))
    if "email" in fields:
        email = normalise_email(fields["email"])
        taken = session.execute(select(User.id).where(User.email == email)).scalar()
        if taken is not None and (user is None or taken != user.id):
            raise Problem(409, _("This email belongs to another account"),
                          _("Another account uses %(email)s.", email=email))
    faculty = _faculty(session, fields["faculty"]) if "faculty" in fields else None
    created = user is None
    if created:
        missing = [name for name in ("email", "display_name") if name not in fields]
        if missing:
            raise Problem(422, detail=_("A new reader needs an email and a display name."),
                          errors={name: ["required"] for name in missing})
        try:
            # No password: the reader signs in through the campus or sets one by "forgot password".
            user = create_user(session, email=fields["email"], password="", display_name=fields["display_name"],
                               member_number=number, cohort=faculty,
                               password_hash=hash_password(secrets.token_urlsafe(32)))
        except AccountError as exc:
            raise Problem(409, str(exc), str(exc)) from None
    else:
        if "email" in fields:
            user.email = normalise_email(fields["email"])
        if "display_name" in fields:
            user.display_name = fields["display_name"].strip() or user.display_name
        if "faculty" in fields:
            user.cohort = faculty
        session.add(user)
    if "active" in fields and fields["active"] != user.is_active:
        # As an administrator's switch does: audited, and a deactivated reader's sessions end.
        set_active(session, user=user, active=fields["active"], actor_id=current_key().created_by,
                   reason=f"API key {current_key().name} (roster sync)")
    session.flush()
    audit("api.reader.create" if created else "api.reader.update", f"user:{user.id}",
          ", ".join(sorted(fields)) or "-")
    session.commit()
    return as_reader(user), 201 if created else 200


def _faculty(session, value: str | None) -> str | None:
    """The code of the managed faculty ``value`` names (its code or either name); empty: none."""
    value = (value or "").strip()
    if not value:
        return None
    faculty = resolve_faculty(session, value)
    if faculty is None:
        raise Problem(422, detail=_("%(faculty)s is not on the library's list of faculties.", faculty=value),
                      errors={"faculty": ["unknown"]})
    return faculty.code


@bp.route("/<string:number>/points")
@needs("readers:read")
@bp.response(200, s.PointsSchema)
@documented
def reader_points(number):
    """A reader's all-time total and this week's, month's and term's points."""
    user = reader_or_404(number)
    session = get_session()
    periods = period_totals(session, user.id)
    return {"number": number, "total": user_total(session, user.id), **{p: periods.get(p, 0)
                                                                       for p in ("week", "month", "term")}}


@bp.route("/<string:number>/points/history")
@needs("readers:read")
@bp.arguments(s.PageArgs, location="query")
@bp.response(200, s.EntryPageSchema)
@documented
def reader_history(args, number):
    """A reader's ledger entries, newest first, a page at a time."""
    user = reader_or_404(number)
    after = cursors.read("history", args["cursor"])
    query = (select(PointEntry).where(PointEntry.user_id == user.id).order_by(PointEntry.id.desc())
             .limit(args["limit"] + 1))
    if after:
        query = query.where(PointEntry.id < int(after[0]))
    rows, next_cursor = cursors.page("history", list(get_session().execute(query).scalars()), args["limit"],
                                     lambda entry: [entry.id])
    return {"items": [{"id": e.id, "amount": e.amount, "rule": e.rule, "plugin": e.plugin, "reason": e.reason,
                       "created_at": e.created_at} for e in rows], "next_cursor": next_cursor}
