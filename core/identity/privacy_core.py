"""Core's part of readers' rights: what core holds about a person, and forgetting it.

Exported: the profile, points history, points queued to be paid and totals, activities, badges, notifications, email
settings, campus sign-in links, and changes staff made to the account. Forgotten: notifications,
email settings, digests, queued mail and campus sign-in links are deleted (a later campus sign-in
makes a new account); badges are withdrawn (their Open Badge answers 410). Ledger
rows, totals and activities stay, held by the anonymised account (core.identity.privacy); points
still queued are paid to it like any other, a moment later.
"""

from __future__ import annotations

from sqlalchemy import delete, update

from core.hookspecs import hookimpl
from core.identity.privacy import table_rows
from core.identity.providers_models import IdentityLink
from core.mail.models import MailDigest, MailOutbox, MailPreference
from core.models import (ActivityEntry, AdjustmentRequest, AuditEntry, BadgeAward, Notification, PendingReward,
                         PeriodTotal, PointEntry, PointTotal, User, utcnow)

PRIVATE_COLUMNS = ("password_hash", "session_generation")
WITHDRAWN = "account deleted"


@hookimpl
def engage_user_data(session, user_id):
    """Everything core holds about ``user_id``."""
    return {
        "profile": table_rows(session, User, User.id == user_id, leave_out=PRIVATE_COLUMNS),
        "points_history": table_rows(session, PointEntry, PointEntry.user_id == user_id,
                                     leave_out=("idempotency_key",)),
        "points_pending": table_rows(session, PendingReward, PendingReward.user_id == user_id,
                                     leave_out=("idempotency_key",)),
        "point_totals": table_rows(session, PointTotal, PointTotal.user_id == user_id)
        + table_rows(session, PeriodTotal, PeriodTotal.user_id == user_id),
        "activities": table_rows(session, ActivityEntry, ActivityEntry.user_id == user_id),
        "badges": table_rows(session, BadgeAward, BadgeAward.user_id == user_id, leave_out=("salt", "sole_key")),
        "notifications": table_rows(session, Notification, Notification.user_id == user_id),
        "mail_preferences": table_rows(session, MailPreference, MailPreference.user_id == user_id),
        "sign_in_links": table_rows(session, IdentityLink, IdentityLink.user_id == user_id),
        "adjustments_asked": table_rows(session, AdjustmentRequest, AdjustmentRequest.user_id == user_id,
                                        leave_out=("nonce",)),
        "account_changes": table_rows(session, AuditEntry, AuditEntry.target == f"user:{user_id}",
                                      leave_out=("actor_id",)),
    }


@hookimpl
def engage_forget_user(session, user_id):
    """Delete core's messages, settings and sign-in links for ``user_id`` and withdraw their badges."""
    for model in (Notification, MailPreference, MailDigest, MailOutbox, IdentityLink):
        session.execute(delete(model).where(model.user_id == user_id))
    session.execute(update(BadgeAward).where(BadgeAward.user_id == user_id, BadgeAward.revoked_at.is_(None))
                    .values(revoked_at=utcnow(), revoke_reason=WITHDRAWN))
