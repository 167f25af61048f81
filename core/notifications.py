"""In-app notifications: a service any plugin calls, and an inbox with an unread count."""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable, NamedTuple

from flask_babel import force_locale
from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from core.ledger_sql import bind_time, compiled, cursor, insert_for
from core.models import Notification, utcnow

Message = dict | Callable[[], str]


def both_languages(message: Message) -> tuple[str, str]:
    """A message's text in English and in Chinese (a callable is rendered in each locale)."""
    if callable(message):
        with force_locale("en"):
            english = str(message())
        with force_locale("zh_Hans"):
            chinese = str(message())
        return english, chinese
    return message["en"], message.get("zh_Hans") or message["en"]


_COLUMNS = ("user_id", "plugin", "kind", "text_en", "text_zh", "url", "created_at")


def _insert_sql(insert):
    # Compiled once and run on the session's cursor: on the award path, where level-ups and badge
    # grants notify, an ORM add and flush (or even a Core execute) cost more than the row itself.
    table = Notification.__table__
    return insert(table).values({name: bindparam(name) for name in _COLUMNS}).returning(table.c.id)


class Created(NamedTuple):
    """A new notification as listeners of ``engage_notifications_created`` read it (the columns
    of ``Notification``; a plain tuple, cheap to build by the thousand)."""

    id: int
    user_id: int
    plugin: str
    kind: str
    text_en: str
    text_zh: str
    url: str | None
    created_at: datetime


def notify(session: Session, *, user_id: int, plugin: str, kind: str, message: Message,
           url: str | None = None) -> int:
    """Put a message in a user's inbox, inside the caller's transaction; returns its id.

    ``message`` is ``{"en": …, "zh_Hans": …}`` or a callable such as
    ``lambda: _("Your story was featured")``, rendered once in each language, so the reader
    sees it in whichever language they use later. Listeners of ``engage_notifications_created``
    and ``engage_notification_created`` (e-mail, a chat bridge) run in the same transaction.
    """
    return notify_many(session, [(user_id, plugin, kind, message, url)])[0]


def notify_many(session: Session, notes: Iterable[tuple[int, str, str, Message, str | None]]) -> list[int]:
    """``notify`` for many ``(user_id, plugin, kind, message, url)`` at once, in the caller's
    transaction: one insert per 500, the listeners told once; the ids in the order given."""
    now = utcnow()
    rows = [_values(*note, now) for note in notes]
    if len(rows) == 1:  # one (a level-up, a badge): compiled once and run on the cursor, cheaper than a bulk insert
        with cursor(session) as handle:
            handle.execute(compiled(session, "notifications.insert", _insert_sql),
                           {**rows[0], "created_at": bind_time(session, now)})
            ids = [handle.fetchone()[0]]
    else:
        table, ids = Notification.__table__, []
        for i in range(0, len(rows), 500):
            stmt = insert_for(session)(table).returning(table.c.id, sort_by_parameter_order=True)
            ids.extend(session.execute(stmt, rows[i:i + 500]).scalars())
    if rows:
        _tell(session, [Created(note_id, **values) for note_id, values in zip(ids, rows)])
    return ids


def _values(user_id: int, plugin: str, kind: str, message: Message, url: str | None, at: datetime) -> dict:
    english, chinese = both_languages(message)
    return {"user_id": user_id, "plugin": plugin, "kind": kind, "text_en": english[:500],
            "text_zh": chinese[:500], "url": url, "created_at": at}


def _tell(session: Session, created: list[Created]) -> None:
    """Listeners of ``engage_notifications_created`` hear the list once; listeners of
    ``engage_notification_created`` each notification (as a ``Notification``)."""
    from core.plugins import current_hooks

    hooks = current_hooks()
    hooks.engage_notifications_created(session=session, notifications=created)
    one_by_one = hooks.engage_notification_created
    if one_by_one.get_hookimpls():  # building the model object costs more than the insert
        for note in created:
            one_by_one(session=session, notification=Notification(**note._asdict()))


def unread_count(session: Session, user_id: int) -> int:
    """How many notifications the user has not read."""
    return session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).scalar_one()


def inbox(session: Session, user_id: int, *, before: int | None = None, limit: int = 30) -> list[Notification]:
    """The user's notifications, newest first; ``before`` is the last id already shown."""
    query = select(Notification).where(Notification.user_id == user_id)
    if before:
        query = query.where(Notification.id < before)
    return list(session.execute(query.order_by(Notification.id.desc()).limit(limit)).scalars())


def mark_read(session: Session, *, user_id: int, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or, without an id, all of them) read; returns how many."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return session.execute(query.values(read_at=utcnow())).rowcount
