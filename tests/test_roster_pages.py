"""The roster import pages: check a file, see its problems or what it would change, apply it
through the job queue with a progress bar, and re-import it without changing anything."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.identity.faculties import Faculty
from core.identity.imports import RosterImport
from core.models import AuditEntry, Role, User

DATA = Path(__file__).parent / "data"
ROSTER = ("number,name,email,faculty\n2024001,王思远,wang@uni.edu.cn,计算机学院\n"
          "2024002,Li Yutong,li@uni.edu.cn,CS\n").encode()


@pytest.fixture
def admin(client, auth, make_user, app, db):
    with app.app_context(), db.write_session() as session:
        session.add(Faculty(code="CS", name_en="Computer Science", name_zh="计算机学院"))
        session.add(Faculty(code="LIB", name_en="Library", name_zh="图书馆"))
        session.add(Faculty(code="PHYS", name_en="Physics", name_zh="物理学院"))
    user = make_user(Role.admin)
    auth.login(user.email)
    return user


def upload(client, data: bytes, name="roster.csv", kind="users", **kw):
    return client.post("/admin/roster", data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", **kw)


def count(app, db, model=User):
    with app.app_context(), db.session() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_check_apply_and_reimport(client, app, db, admin):
    response = upload(client, ROSTER)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 new, 0 changed, 0 unchanged." in page and "王思远" in page and "Apply the import" in page
    assert count(app, db) == 1  # nothing written before applying
    import_id = int(re.search(r"/admin/roster/(\d+)", response.headers["Location"]).group(1))
    done = client.post(f"/admin/roster/{import_id}/apply", follow_redirects=True).get_data(as_text=True)
    assert "The import is applied: 2 new, 0 changed, 0 unchanged." in done  # the test queue runs jobs at once
    assert count(app, db) == 3
    # Applying twice (a double click) does nothing more.
    assert client.post(f"/admin/roster/{import_id}/apply").status_code == 302
    again = upload(client, ROSTER)
    assert "0 new, 0 changed, 2 unchanged." in client.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context(), db.session() as session:
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "roster.import")).scalar_one()
    assert (audit.actor_id, audit.detail) == (admin.id, "roster.csv: 2 created, 0 updated, 0 unchanged")


def test_problems_are_listed_per_row_and_nothing_is_kept(client, app, db, admin):
    data = "number,name,email,faculty\n2024/1,A,bad,Nowhere\n".encode("gbk")
    response = upload(client, data, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "不是电子邮件地址" in page and "Nowhere" in page
    assert count(app, db, RosterImport) == 0 and count(app, db) == 1


def test_the_gbk_fixture_imports_through_the_page(client, app, db, admin):
    response = upload(client, (DATA / "roster_gbk.csv").read_bytes())
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "陈宇" in page and "3 new" in page


@pytest.mark.parametrize("data, name, message", [
    (b"", "empty.csv", "The file is empty."),
    (b"PK\x03\x04 not really", "roster.xlsx", "not an Excel workbook"),
    (b"id,nom,courriel\n1,a,a@b.cn\n", "french.csv", "Columns missing"),
])
def test_bad_files_are_refused_with_a_reason(client, app, db, admin, data, name, message):
    response = upload(client, data, name)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(app, db, RosterImport) == 0


def test_a_file_over_the_limit_is_refused(client, app_factory, auth, make_user):
    app = app_factory(ROSTER_MAX_BYTES=100)
    client = app.test_client()
    from core.testing import create_test_user

    user = create_test_user(app, Role.admin)
    client.post("/auth/login", data={"email": user.email, "password": "correct horse battery"})
    response = upload(client, ROSTER * 10)
    assert response.status_code == 400 and "larger than 1 MB" in response.get_data(as_text=True)


def test_the_progress_block_polls_until_done(client, app, db, admin):
    with app.app_context(), db.write_session() as session:
        record = RosterImport(kind="users", filename="big.csv", plan='{"rows": [], "columns": []}', state="running",
                              rows_total=20000)
        session.add(record)
        session.flush()
        import_id = record.id
    fragment = client.get(f"/admin/roster/{import_id}", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in text and "<progress" in text and "<html" not in text
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]


def test_a_roster_that_went_stale_fails_cleanly(client, app, db, admin, make_user):
    response = upload(client, ROSTER)
    import_id = int(re.search(r"/admin/roster/(\d+)", response.headers["Location"]).group(1))
    make_user(email="li@uni.edu.cn", member_number="ELSE-1")  # meanwhile, someone takes an email
    page = client.post(f"/admin/roster/{import_id}/apply", follow_redirects=True).get_data(as_text=True)
    assert "The import was not applied; nothing was changed." in page
    with app.app_context(), db.session() as session:
        assert session.execute(select(User).where(User.member_number == "2024001")).first() is None


def test_no_copy_of_the_roster_is_kept_once_applied_or_forgotten(client, app, db, admin):
    from datetime import timedelta

    from core.identity import imports
    from core.models import utcnow

    response = upload(client, ROSTER)
    import_id = int(re.search(r"/admin/roster/(\d+)", response.headers["Location"]).group(1))
    client.post(f"/admin/roster/{import_id}/apply")
    upload(client, ROSTER)  # checked again, never applied
    with app.app_context(), db.write_session() as session:
        assert "王思远" not in session.get(RosterImport, import_id).plan
        for record in session.execute(select(RosterImport).where(RosterImport.state == "ready")).scalars():
            record.created_at = utcnow() - timedelta(days=3)
    with app.app_context():
        assert imports.forget_unapplied(db) == 1
    assert count(app, db, RosterImport) == 1


def test_a_worker_applies_a_queued_import(app_factory, tmp_path):
    """With a real queue (a SQLite file, as on one machine), "Apply" only queues the import: the
    page polls its progress until the worker's job has written it."""
    from core.jobs import get_jobs
    from core.testing import create_test_user

    app = app_factory(JOBS_IMMEDIATE=False, JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    db = app.extensions["engage.db"]
    with app.app_context(), db.write_session() as session:
        session.add(Faculty(code="CS", name_en="Computer Science", name_zh="计算机学院"))
    user = create_test_user(app, Role.admin)
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": "correct horse battery"})
    import_id = int(re.search(r"/admin/roster/(\d+)", upload(client, ROSTER).headers["Location"]).group(1))
    page = client.post(f"/admin/roster/{import_id}/apply", follow_redirects=True).get_data(as_text=True)
    assert "Applying 2 rows" in page and 'hx-trigger="every 1s"' in page
    with app.app_context():
        assert get_jobs().huey.pending_count() == 1  # queued at once, not left to the schedule
        get_jobs().run_periodic("core:roster-import")
    fragment = client.get(f"/admin/roster/{import_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "The import is applied: 2 new" in fragment and "hx-trigger" not in fragment
    assert count(app, db) == 3


def test_an_excel_workbook_of_faculties_imports_through_the_page(client, app, db, admin):
    from openpyxl import Workbook

    book = Workbook()
    for row in (["代码", "英文名", "中文名", "排序"], ["LAW", "Law", "法学院", 3], ["CS", "Computer Science", "计算机学院", 1]):
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    response = upload(client, data.getvalue(), "学院.xlsx", kind="faculties")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 new, 1 changed, 0 unchanged." in page  # CS gets its position
    client.post(response.headers["Location"] + "/apply")
    with app.app_context(), db.session() as session:
        assert session.execute(select(Faculty.name_zh).where(Faculty.code == "LAW")).scalar_one() == "法学院"
        assert session.execute(select(AuditEntry.detail).where(AuditEntry.action == "faculties.import")
                               ).scalar_one() == "学院.xlsx: 1 created, 1 updated, 0 unchanged"
