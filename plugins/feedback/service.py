"""Feedback services: categories, submitting, "me too", merging, publishing, inspiration links,
auto-close and the overdue queue. Each takes the session and never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.images import clean_image
from core.models import Notification, Role, User, utcnow

from . import credit, notes, workflow
from .i18n import _
from .models import (FeedbackCategory, FeedbackDepartment, FeedbackEvent, FeedbackInspiration, FeedbackItem,
                     FeedbackMeToo, FeedbackPhoto)

MAX_TEXT = 4000
PHOTO_MAX_BYTES = 4 * 1024 * 1024

# (key, English, Chinese, first-response hours, resolution hours)
DEFAULT_CATEGORIES = (
    ("noise", "Noise", "噪音", 4, 48),
    ("seats", "Seats", "座位", 4, 48),
    ("facilities", "Facilities", "设施", 24, 168),
    ("service", "Service", "服务", 24, 72),
    ("collection", "Collection", "馆藏", 48, 336),
    ("suggestion", "Suggestion", "建议", 72, 336),
    ("praise", "Praise", "表扬", 72, 168),
)


class FeedbackError(ValueError):
    """Input the feedback rules refuse; ``str()`` is for the reader. ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.field = status, field


def written_in(text: str) -> str:
    """The locale a reader wrote ``text`` in: "zh_Hans" when it has Chinese characters, else "en"."""
    return "zh_Hans" if any("\u4e00" <= ch <= "\u9fff" for ch in text or "") else "en"


def latest_published(session: Session, *, locale: str | None = None, count: int = 2) -> list[FeedbackItem]:
    """The latest published changes; with ``locale``, those readers wrote in that language first,
    so a screen in one language shows each item's words and answer in that one language."""
    recent = session.execute(select(FeedbackItem).where(FeedbackItem.published.is_(True))
                             .order_by(FeedbackItem.closed_at.desc()).limit(count * 10)).scalars().all()
    if locale:
        recent = sorted(recent, key=lambda item: written_in(item.text) != locale)  # stable: newest first
    return recent[:count]


def ensure_categories(session: Session) -> None:
    """Seed the seven default categories on first use; running it again changes nothing."""
    if session.execute(select(func.count()).select_from(FeedbackCategory)).scalar_one():
        return
    for position, (key, en, zh, first, resolve) in enumerate(DEFAULT_CATEGORIES):
        try:
            with session.begin_nested():
                session.add(FeedbackCategory(key=key, name_en=en, name_zh=zh, first_response_hours=first,
                                             resolution_hours=resolve, position=position))
        except IntegrityError:  # another worker seeded it first
            pass


def categories(session: Session, *, active_only: bool = False) -> list[FeedbackCategory]:
    query = select(FeedbackCategory).order_by(FeedbackCategory.position, FeedbackCategory.id)
    if active_only:
        query = query.where(FeedbackCategory.active.is_(True))
    return list(session.execute(query).scalars())


def departments(session: Session, *, active_only: bool = False) -> list[FeedbackDepartment]:
    query = select(FeedbackDepartment).order_by(FeedbackDepartment.name_en)
    if active_only:
        query = query.where(FeedbackDepartment.active.is_(True))
    return list(session.execute(query).scalars())


def librarians(session: Session) -> list[User]:
    return list(session.execute(select(User).where(User.role.in_([Role.librarian.value, Role.admin.value]),
                                                   User.is_active.is_(True)).order_by(User.display_name)).scalars())


def read_photo(upload) -> bytes | None:
    """The bytes of an uploaded photo, refusing oversized files before reading all of them."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data = upload.stream.read(PHOTO_MAX_BYTES + 1)
    if len(data) > PHOTO_MAX_BYTES:
        raise FeedbackError(_("The photo is larger than %(mb)d MB.", mb=PHOTO_MAX_BYTES // (1024 * 1024)), 413, "photo")
    return data


def submit(session: Session, *, user: User, category_id: int, text: str, location: str = "", show_name: bool,
           allow_publish: bool, photo: bytes | None = None, now: datetime | None = None) -> FeedbackItem:
    """Store a reader's feedback (and its cleaned photo) with its first event; points come later."""
    text = (text or "").strip()
    if not text:
        raise FeedbackError(_("Write what you would like to tell the library."), field="text")
    if len(text) > MAX_TEXT:
        raise FeedbackError(_("The text is too long (at most 4,000 characters)."), field="text")
    now = now or utcnow()
    limit = int(current_app.config.get("FEEDBACK_SUBMISSIONS_PER_HOUR", 10))
    recent = session.execute(select(func.count()).select_from(FeedbackItem).where(
        FeedbackItem.submitter_id == user.id, FeedbackItem.created_at > now - timedelta(hours=1),
        FeedbackItem.created_at <= now)).scalar_one()
    if recent >= limit:
        raise FeedbackError(_("You have sent a lot of feedback in the last hour. Please wait a little."), 429)
    category = session.get(FeedbackCategory, category_id) if category_id else None
    if category is None or not category.active:
        raise FeedbackError(_("Choose one of the categories."), field="category")
    image = clean_image(photo, max_bytes=PHOTO_MAX_BYTES, max_side=1600) if photo else None  # raises ImageError
    item = FeedbackItem(submitter_id=user.id, category_id=category.id, text=text,
                        location=(location or "").strip()[:120],
                        show_name=show_name, allow_publish=allow_publish, created_at=now, updated_at=now)
    session.add(item)
    session.flush()
    session.add(FeedbackEvent(item_id=item.id, actor_id=user.id, from_state="", to_state=workflow.SUBMITTED,
                              public=True, created_at=now))
    if image is not None:
        session.add(FeedbackPhoto(item_id=item.id, data=image.data, content_type=image.content_type,
                                  width=image.width, height=image.height))
    return item


def can_see(item: FeedbackItem, user) -> bool:
    """The submitter and librarians see an item in full."""
    return user.is_authenticated and (user.id == item.submitter_id or user.has_role(Role.librarian))


def submitter_label(item: FeedbackItem, submitter: User | None, viewer) -> str:
    """The submitter's name, or "anonymous" for staff when the reader did not allow it."""
    if submitter is None:
        return ""
    if viewer.is_authenticated and viewer.id == item.submitter_id:
        return submitter.display_name
    return submitter.display_name if item.show_name else _("anonymous")


def me_too(session: Session, *, item: FeedbackItem, user: User) -> None:
    """Add a reader's "me too" to someone else's open item, once."""
    if item.submitter_id == user.id:
        raise FeedbackError(_("You cannot add a “me too” to your own feedback."))
    if item.state not in workflow.OPEN:
        raise FeedbackError(_("This item is no longer open."), 409)
    exists = session.execute(select(FeedbackMeToo.id).where(FeedbackMeToo.item_id == item.id,
                                                            FeedbackMeToo.user_id == user.id)).first()
    if exists:
        raise FeedbackError(_("You have already said “me too” to this item."), 409)
    session.add(FeedbackMeToo(item_id=item.id, user_id=user.id))
    session.flush()


def me_too_counts(session: Session, item_ids: list[int]) -> dict[int, int]:
    if not item_ids:
        return {}
    rows = session.execute(select(FeedbackMeToo.item_id, func.count()).where(FeedbackMeToo.item_id.in_(item_ids))
                           .group_by(FeedbackMeToo.item_id))
    return dict(rows.all())


def check_merge(*, duplicate: FeedbackItem, main: FeedbackItem) -> None:
    """Raise FeedbackError when ``duplicate`` cannot be folded into ``main`` (asked before the question)."""
    if duplicate.id == main.id:
        raise FeedbackError(_("An item cannot be merged into itself."))
    if duplicate.state not in workflow.OPEN or main.state not in workflow.OPEN:
        raise FeedbackError(_("Only open items can be merged."), 409)
    if main.merged_into_id is not None:
        raise FeedbackError(_("The main item was itself merged; choose the item it was merged into."))


def merge(session: Session, *, duplicate: FeedbackItem, main: FeedbackItem, actor: User) -> None:
    """Fold ``duplicate`` into ``main``: its "me too"s (and its submitter) move to the main item,
    and it closes with a public note pointing there."""
    check_merge(duplicate=duplicate, main=main)
    already = set(session.execute(select(FeedbackMeToo.user_id).where(FeedbackMeToo.item_id == main.id)).scalars())
    moving = session.execute(select(FeedbackMeToo).where(FeedbackMeToo.item_id == duplicate.id)).scalars().all()
    for row in moving:
        if row.user_id in already or row.user_id == main.submitter_id:
            session.delete(row)
        else:
            row.item_id = main.id
            already.add(row.user_id)
    if duplicate.submitter_id not in already and duplicate.submitter_id != main.submitter_id:
        session.add(FeedbackMeToo(item_id=main.id, user_id=duplicate.submitter_id))
    session.flush()
    note = notes.stored(notes.MERGED, id=main.id)  # English in the table, the reader's language on the page
    workflow.transition(session, duplicate, actor, workflow.CLOSED, note, True)
    duplicate.merged_into_id = main.id


def publish(session: Session, *, item: FeedbackItem, we_did_en: str, we_did_zh: str, published: bool) -> None:
    """Show a resolved item on the "you said, we did" board, with the change that followed."""
    if published:
        if not item.allow_publish:
            raise FeedbackError(_("The reader did not agree to publish this item."), 409)
        if item.state not in workflow.FINAL or item.merged_into_id is not None or item.responded_at is None:
            raise FeedbackError(_("Only answered, finished items can be published."), 409)
        if not (we_did_en or "").strip() or not (we_did_zh or "").strip():
            raise FeedbackError(_("Describe what the library did, in both languages."))
        item.we_did_en, item.we_did_zh = we_did_en.strip()[:2000], we_did_zh.strip()[:2000]
    item.published = published
    session.add(item)


def is_local_path(url: str) -> bool:
    """True for a path on this site ("/stories/episodes/3"), never another site ("//evil.example")."""
    return url.startswith("/") and not url.startswith("//") and "\\" not in url and not any(
        ord(ch) < 32 for ch in url)


def link_inspiration(session: Session, *, item: FeedbackItem, actor: User, target=None,
                     description: str = "") -> FeedbackInspiration:
    """Mark ``item`` as the inspiration of ``target`` (a ContentTarget one of the plugins offers,
    chosen by its key) or of a described change, and credit the submitter once. The link shown to
    the reader is the target's own path on this site; no address is ever typed in."""
    description = (description or "").strip()
    if item.submitter_id == actor.id:  # the credit is points: nobody credits themselves
        raise FeedbackError(_("You cannot credit your own feedback; another librarian must."), 403)
    if target is None and not description:
        raise FeedbackError(_("Choose the content it inspired or describe the change."))
    if target is not None and not is_local_path(target.url):
        raise FeedbackError(_("That content is no longer available; choose another."))
    if len(description) > 2000:
        raise FeedbackError(_("The description is too long."))
    if session.execute(select(FeedbackInspiration.id).where(FeedbackInspiration.item_id == item.id)).first():
        raise FeedbackError(_("This item is already marked as an inspiration."), 409)
    link = FeedbackInspiration(item_id=item.id, actor_id=actor.id, description=description,
                               target_key=target.key if target else "", title=str(target.title)[:200] if target else "",
                               url=target.url[:500] if target else "")
    session.add(link)
    session.flush()
    credit.on_inspired(session, item, actor.id)
    return link


def auto_close_due(session: Session, now: datetime | None = None) -> list[FeedbackItem]:
    """Answered items left quiet for ``FEEDBACK_AUTO_CLOSE_DAYS`` days."""
    now = now or utcnow()
    limit = now - timedelta(days=int(current_app.config.get("FEEDBACK_AUTO_CLOSE_DAYS", 14)))
    return list(session.execute(select(FeedbackItem).where(FeedbackItem.state == workflow.RESPONDED,
                                                           FeedbackItem.updated_at <= limit)).scalars())


def auto_close(session: Session, now: datetime | None = None) -> int:
    """Close every answered item whose reader has been quiet too long; returns how many."""
    due = auto_close_due(session, now)
    for item in due:
        workflow.transition(session, item, None, workflow.CLOSED,
                            notes.stored(notes.AUTO_CLOSED,
                                         days=int(current_app.config.get("FEEDBACK_AUTO_CLOSE_DAYS", 14))), True, now=now)
    return len(due)


@dataclass(frozen=True)
class Due:
    """When an open item's next service-level target falls, and which one."""

    at: datetime
    kind: str  # "first-response" or "resolution"

    def overdue(self, now: datetime) -> bool:
        return self.at < now


def due_of(item: FeedbackItem, category: FeedbackCategory) -> Due | None:
    """The next target an active item must meet (first response, then resolution)."""
    if item.state not in workflow.ACTIVE:
        return None
    if item.first_response_at is None:
        return Due(item.created_at + timedelta(hours=category.first_response_hours), "first-response")
    return Due(item.created_at + timedelta(hours=category.resolution_hours), "resolution")


def queue(session: Session, *, state: str = "active", category_id: int | None = None,
          assignee_id: int | None = None, now: datetime | None = None) -> list[tuple[FeedbackItem, Due | None]]:
    """Items for librarians with their due times; ``state`` is "active", "overdue", "all" or a state."""
    now = now or utcnow()
    query = select(FeedbackItem).order_by(FeedbackItem.created_at)
    if state in ("active", "overdue"):
        query = query.where(FeedbackItem.state.in_(workflow.ACTIVE))
    elif state in workflow.STATE_LABELS:
        query = query.where(FeedbackItem.state == state)
    if category_id:
        query = query.where(FeedbackItem.category_id == category_id)
    if assignee_id:
        query = query.where(FeedbackItem.assignee_id == assignee_id)
    cats = {c.id: c for c in categories(session)}
    rows = [(item, due_of(item, cats[item.category_id])) for item in session.execute(query).scalars()]
    if state == "overdue":
        rows = [(item, due) for item, due in rows if due and due.overdue(now)]
    return rows


def overdue_count(session: Session, now: datetime | None = None) -> int:
    return len(queue(session, state="overdue", now=now))


def sla_alerts(session: Session, now: datetime | None = None) -> int:
    """Warn staff before an item's service-level target falls and escalate after it is missed;
    once per item and target, however often it runs. Returns how many messages went out.

    A warning goes ``FEEDBACK_SLA_WARN_HOURS`` (default 4) before the target to the item's assignee,
    or to every librarian while nobody is assigned; a missed target goes to the assignee and every
    administrator.
    """
    from core.notifications import notify

    now = now or utcnow()
    warn = timedelta(hours=int(current_app.config.get("FEEDBACK_SLA_WARN_HOURS", 4)))
    staff = librarians(session)
    admins = [p.id for p in staff if p.role == Role.admin.value]
    sent = 0
    for item, due in queue(session, state="active", now=now):
        if due is None or (not due.overdue(now) and due.at - now > warn):
            continue
        breached = due.overdue(now)
        kind = f"sla-{'missed' if breached else 'warning'}-{due.kind}"
        url = credit._item_url(item)
        if breached:
            people = sorted(set(admins) | ({item.assignee_id} if item.assignee_id else set()))
            message = _SLA_MESSAGES[("missed", due.kind)](item)
        else:
            people = [item.assignee_id] if item.assignee_id else [p.id for p in staff]
            message = _SLA_MESSAGES[("warning", due.kind)](item)
        if not people or session.execute(select(Notification.id).where(
                Notification.user_id.in_(people), Notification.plugin == "feedback", Notification.kind == kind,
                Notification.url == url).limit(1)).first():
            continue  # told already (the inbox index finds it by user)
        for user_id in people:
            notify(session, user_id=user_id, plugin="feedback", kind=kind, message=message, url=url)
            sent += 1
    return sent


SLA_KINDS = tuple(f"sla-{step}-{target}" for step in ("warning", "missed") for target in ("first-response", "resolution"))
_SLA_MESSAGES = {
    ("warning", "first-response"): lambda item: lambda: _("Feedback #%(id)d needs a first response soon.", id=item.id),
    ("warning", "resolution"): lambda item: lambda: _("Feedback #%(id)d must be resolved soon.", id=item.id),
    ("missed", "first-response"): lambda item: lambda: _("Feedback #%(id)d missed its first-response target.",
                                                         id=item.id),
    ("missed", "resolution"): lambda item: lambda: _("Feedback #%(id)d missed its resolution target.", id=item.id),
}
