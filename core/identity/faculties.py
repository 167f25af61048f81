"""The managed list of faculties and colleges a reader belongs to.

A reader's faculty is stored as the faculty's ``code`` in ``User.cohort``, so the boards by
faculty keep their index and their addresses; pages show the faculty's name in the page's
language (the ``faculty`` template filter). A code never changes once given: an administrator
switches a faculty off rather than renaming its code, and deletes only a faculty nobody is in.

``resolve_faculty`` is the one way other parts (roster import, sign-in providers' attribute
mapping) turn what a campus system says ("CS", "计算机学院", " computer science ") into a faculty.
"""

from __future__ import annotations

import re
import unicodedata

from flask import Flask, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Field, Session, SQLModel

from core.i18n import pick
from core.models import AuditEntry, User

CODE_PATTERN = re.compile(r"^[^\x00-\x1f\x7f/\\?#%]{1,80}$")


class Faculty(SQLModel, table=True):
    """A faculty or college of the university, with its names in both languages."""

    __tablename__ = "core_faculty"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=80, unique=True)
    name_en: str = Field(max_length=120)
    name_zh: str = Field(max_length=120)
    active: bool = Field(default=True)
    order: int = Field(default=0)

    @property
    def name(self) -> str:
        """The name in the current page's language."""
        return pick({"en": self.name_en, "zh_Hans": self.name_zh})


class FacultyError(ValueError):
    """A refused change to the list; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def fold(value: str | None) -> str:
    """A value as compared: Unicode-normalised (full-width letters become plain ones), without
    surrounding or repeated whitespace, case-folded."""
    text = unicodedata.normalize("NFKC", value or "")
    return " ".join(text.split()).casefold()


def list_faculties(session: Session, *, active_only: bool = False) -> list[Faculty]:
    """The faculties in their display order."""
    query = select(Faculty).order_by(Faculty.order, Faculty.code)
    if active_only:
        query = query.where(Faculty.active.is_(True))
    return list(session.execute(query).scalars())


def faculty_index(faculties: list[Faculty]) -> dict[str, Faculty]:
    """``{folded code or name: faculty}`` for matching many values against one list; a code wins
    over another faculty's name that folds the same."""
    index: dict[str, Faculty] = {}
    for faculty in faculties:
        for value in (faculty.name_zh, faculty.name_en):
            index.setdefault(fold(value), faculty)
    for faculty in faculties:
        index[fold(faculty.code)] = faculty
    return index


def resolve_faculty(session: Session, value: str | None, *, active_only: bool = False) -> Faculty | None:
    """The faculty whose code, English name or Chinese name is ``value`` (case, width and
    whitespace do not matter), or None."""
    key = fold(value)
    if not key:
        return None
    return faculty_index(list_faculties(session, active_only=active_only)).get(key)


def faculty_choices(session: Session, *, keep: str | None = None) -> list[tuple[str, str]]:
    """``(code, name)`` for a select: the active faculties, plus ``keep`` (a reader's present
    faculty, even switched off) so saving a profile never drops it."""
    faculties = list_faculties(session)
    choices = [(f.code, f.name) for f in faculties if f.active or f.code == keep]
    if keep and keep not in {code for code, _name in choices}:
        choices.append((keep, keep))  # a free-text value from before the list: shown as it is
    return [("", _("Not given"))] + choices


def names_by_code(session: Session) -> dict[str, str]:
    """``{code: name in the page's language}`` for every faculty (cached for the request)."""
    if has_request_context() and "faculty_names" in g:
        return g.faculty_names
    names = {f.code: f.name for f in list_faculties(session)}
    if has_request_context():
        g.faculty_names = names
    return names


def faculty_name(code: str | None) -> str:
    """A template filter: the name of the faculty with this code in the page's language (the
    code itself when it is not on the list)."""
    if not code:
        return ""
    from core.db import get_session

    return names_by_code(get_session()).get(code, code)


def _check(session: Session, *, code: str, name_en: str, name_zh: str, faculty_id: int | None) -> None:
    # An existing code is kept as it is (one adopted from free text may hold any character).
    if faculty_id is None and not CODE_PATTERN.match(code):
        raise FacultyError(_("A code has 1 to 80 characters and no slash, question mark, hash or percent sign."), "code")
    for field, name in (("name_en", name_en), ("name_zh", name_zh)):
        if not name or len(name) > 120:
            raise FacultyError(_("A name has 1 to 120 characters."), field)
    # Codes and names are matched case-insensitively, so they must stay unambiguous that way.
    index = faculty_index([f for f in list_faculties(session) if f.id != faculty_id])
    for field, value in (("code", code), ("name_en", name_en), ("name_zh", name_zh)):
        other = index.get(fold(value))
        if other is not None:
            raise FacultyError(_("“%(value)s” is already the code or a name of %(name)s.", value=value,
                                 name=other.name), field)


def save_faculty(session: Session, *, code: str, name_en: str, name_zh: str, active: bool = True,
                 order: int = 0, faculty_id: int | None = None, actor_id: int | None = None) -> Faculty:
    """Add a faculty, or change the names, order and state of faculty ``faculty_id`` (its code
    stays); audited. Raises FacultyError for a bad or ambiguous code or name."""
    code, name_en, name_zh = code.strip(), " ".join(name_en.split()), " ".join(name_zh.split())
    faculty = session.get(Faculty, faculty_id) if faculty_id else None
    if faculty_id and faculty is None:
        raise FacultyError(_("This faculty no longer exists."))
    if faculty is not None:
        code = faculty.code
    _check(session, code=code, name_en=name_en, name_zh=name_zh, faculty_id=faculty_id)
    if faculty is None:
        faculty = Faculty(code=code)
    faculty.name_en, faculty.name_zh, faculty.active, faculty.order = name_en, name_zh, active, order
    session.add(faculty)
    session.add(AuditEntry(actor_id=actor_id, action="faculty.save", target=f"faculty:{code}",
                           detail=f"{name_en} / {name_zh}" + ("" if active else " (off)")))
    session.flush()
    return faculty


def members(session: Session, code: str) -> int:
    """How many accounts belong to the faculty with this code."""
    return session.execute(select(func.count()).select_from(User).where(User.cohort == code)).scalar_one()


def delete_faculty(session: Session, *, faculty_id: int, actor_id: int | None = None) -> None:
    """Delete a faculty nobody belongs to; one with members is switched off instead."""
    faculty = session.get(Faculty, faculty_id)
    if faculty is None:
        raise FacultyError(_("This faculty no longer exists."))
    if members(session, faculty.code):
        raise FacultyError(_("Accounts belong to this faculty: switch it off instead, so they keep it."))
    session.delete(faculty)
    session.add(AuditEntry(actor_id=actor_id, action="faculty.delete", target=f"faculty:{faculty.code}",
                           detail=f"{faculty.name_en} / {faculty.name_zh}"))
    session.flush()


def unlisted_cohorts(session: Session) -> list[str]:
    """Faculties accounts belong to that are not on the list (free text from before it), sorted."""
    known = {f.code for f in list_faculties(session)}
    values = session.execute(select(User.cohort).where(User.cohort.is_not(None)).distinct()).scalars()
    return sorted(set(values) - known)


def adopt_cohorts(session: Session) -> int:
    """Add a faculty for every free-text faculty readers typed before the list existed (code and
    both names the text itself), so nothing is lost; returns how many were added."""
    added = 0
    for value in unlisted_cohorts(session):
        session.add(Faculty(code=value, name_en=value[:120], name_zh=value[:120], order=1000))
        added += 1
    session.flush()
    return added


def init_app(app: Flask) -> None:
    """Offer ``{{ user.cohort|faculty }}`` to every template."""
    app.jinja_env.filters["faculty"] = faculty_name
