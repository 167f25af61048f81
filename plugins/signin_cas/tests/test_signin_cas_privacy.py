"""Readers' rights for the CAS plugin's table (which ticket opened whose session): a reader's CAS
sign-ins are in their download and go with their account. No CAS server needed: runs on both
databases."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import func, select

from core.identity.privacy import forget_user
from core.testing import PASSWORD, create_test_user

from ..models import CasSession
from ..views import ticket_hash


def test_cas_sign_ins_are_downloaded_and_forgotten_with_the_account(app):
    reader, other = create_test_user(app), create_test_user(app)
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        session.add_all([CasSession(ticket_hash=ticket_hash("ST-1-reader"), user_id=reader.id),
                         CasSession(ticket_hash=ticket_hash("ST-2-other"), user_id=other.id)])
    client = app.test_client()
    client.post("/auth/login", data={"email": reader.email, "password": PASSWORD})
    archive = zipfile.ZipFile(io.BytesIO(client.get("/account/data/export").data))
    [row] = json.loads(archive.read("signin_cas/sign_ins.json"))
    assert set(row) == {"created_at"} and "signin_cas/sign_ins.csv" in archive.namelist()
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        forget_user(session, user_id=reader.id, actor_id=None)
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert session.execute(select(CasSession.user_id)).scalars().all() == [other.id]
        assert session.execute(select(func.count()).select_from(CasSession)).scalar_one() == 1
