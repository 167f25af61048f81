"""Roster imports: reading CSV in the campus's encodings and Excel workbooks, checking rows, and
applying a roster in one idempotent transaction (service functions and the ``engage`` commands)."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.accounts import authenticate
from core.cli import main
from core.identity.faculties import Faculty
from core.identity.faculty_import import apply_faculties, check_faculties
from core.identity.roster import UNUSABLE_PASSWORD, RosterChanged, apply_users, check_users
from core.identity.tables import TableError, read_table
from core.models import AuditEntry, Role, User

DATA = Path(__file__).parent / "data"
LIMITS = {"max_bytes": 1024 * 1024, "max_rows": 1000}
ROSTER = ("number,name,email,faculty,role\n"
          "2024001,王思远,Wang.Siyuan@uni.edu.cn,CS,reader\n"
          "2024002,Li Yutong,li.yutong@uni.edu.cn,物理学院,\n"
          "T0001,Chen Yu,chen.yu@uni.edu.cn,library,librarian\n")


def table(text: str, name: str = "roster.csv", encoding: str = "utf-8"):
    return read_table(text.encode(encoding), name, **LIMITS)


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def faculties(app, db):
    with app.app_context(), db.write_session() as session:
        for code, en, zh in (("CS", "Computer Science", "计算机学院"), ("PHYS", "Physics", "物理学院"),
                             ("LIB", "Library", "图书馆")):
            session.add(Faculty(code=code, name_en=en, name_zh=zh))


def check(app, db, text, **kw):
    with app.test_request_context(), db.session() as session:
        return check_users(session, table(text, **kw))


def apply(app, db, text):
    with app.test_request_context(), db.write_session() as session:
        plan = check_users(session, table(text))
        assert plan.ok, plan.errors
        return apply_users(session, plan, actor_id=None, source="roster.csv")


# --- reading files -----------------------------------------------------------------------

def test_gbk_csv_from_excel_is_read_as_chinese(app):
    with app.test_request_context():
        read = read_table((DATA / "roster_gbk.csv").read_bytes(), "roster_gbk.csv", **LIMITS)
    assert read.encoding == "GB18030"
    assert read.header == ["学号", "姓名", "邮箱", "学院", "身份"]
    assert read.rows[0] == (2, ["2024001", "王思远", "wang.siyuan@uni.edu.cn", "计算机学院", "学生"])


@pytest.mark.parametrize("encoded, label", [
    (codecs.BOM_UTF8 + ROSTER.encode(), "UTF-8"),
    (ROSTER.encode(), "UTF-8"),
    (ROSTER.encode("utf-16"), "UTF-16"),
    (ROSTER.replace(",", ";").encode("gb18030"), "GB18030"),
    (ROSTER.replace(",", "\t").encode(), "UTF-8"),
])
def test_encodings_and_separators_give_the_same_rows(app, encoded, label):
    with app.test_request_context():
        read = read_table(encoded, "roster.csv", **LIMITS)
    assert read.encoding == label
    assert read.header == ["number", "name", "email", "faculty", "role"]
    assert [cells[1] for _line, cells in read.rows] == ["王思远", "Li Yutong", "Chen Yu"]


def test_xlsx_is_read_with_numbers_as_typed(app):
    data = xlsx([["学号", "姓名", "邮箱"], [2024001, "王思远", "w@uni.edu.cn"], [None, None, None],
                 ["T-1", "Chen", "c@uni.edu.cn"]])
    with app.test_request_context():
        read = read_table(data, "名单.xlsx", **LIMITS)
    assert read.encoding == "XLSX"
    assert read.rows == [(2, ["2024001", "王思远", "w@uni.edu.cn"]), (4, ["T-1", "Chen", "c@uni.edu.cn"])]


@pytest.mark.parametrize("data, name, message", [
    (b"", "roster.csv", "The file is empty."),
    (b"  \r\n\r\n", "roster.csv", "The file is empty."),
    (b"not a zip at all", "roster.xlsx", "This file is not an Excel workbook (.xlsx) that can be read."),
    (b"PK\x03\x04broken zip", "roster.xlsx", "This file is not an Excel workbook (.xlsx) that can be read."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "roster.xls", "Old Excel files (.xls) cannot be read"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "This is not a text file."),
    (b"x" * (1024 * 1024 + 1), "big.csv", "The file is larger than 1 MB"),
    (("number,name,email\n" + "1,a,a@b.cn\n" * 1001).encode(), "long.csv", "more than 1000 rows"),
    (b'number,name,email\n1,"unclosed,a@b.cn\n2,b,b@b.cn', "broken.csv", "broken"),
])
def test_unreadable_files_are_refused_with_a_reason(app, data, name, message):
    with app.test_request_context(), pytest.raises(TableError) as refused:
        read_table(data, name, **LIMITS)
    assert message in str(refused.value)


def test_refusals_speak_the_readers_language(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), pytest.raises(TableError) as refused:
        read_table(b"", "roster.csv", **LIMITS)
    assert str(refused.value) == "文件是空的。"


# --- checking rows -----------------------------------------------------------------------

def test_a_clean_roster_says_what_it_would_do(app, db, faculties):
    plan = check(app, db, ROSTER)
    assert plan.ok and (plan.created, plan.updated, plan.unchanged) == (3, 0, 0)
    assert [row["faculty"] for row in plan.rows] == ["CS", "PHYS", "LIB"]  # code, Chinese name, any case
    assert [row["role"] for row in plan.rows] == ["student", None, "librarian"]  # empty: the default, or as it is
    assert plan.rows[0]["email"] == "wang.siyuan@uni.edu.cn"


def test_broken_rows_are_each_named(app, db, faculties, make_user):
    make_user(email="taken@uni.edu.cn", member_number="OTHER-1")
    text = ("number,name,email,faculty,role,active\n"
            "2024/001,A,a@uni.edu.cn,CS,reader,yes\n"       # 2: malformed number
            "2024002,B,not-an-email,CS,reader,yes\n"        # 3: malformed email
            "2024003,C,c@uni.edu.cn,Underwater Basketry,,\n"  # 4: unknown faculty
            "2024003,D,d@uni.edu.cn,CS,reader,yes\n"        # 5: number twice
            "2024005,E,C@uni.edu.cn,,reader,no\n"           # 6: email twice
            "2024006,F,taken@uni.edu.cn,,reader,\n"         # 7: another number's email
            "2024007,G,g@uni.edu.cn,,admin,\n"              # 8: no importing administrators
            "2024008,H,h@uni.edu.cn,,reader,maybe\n"        # 9: neither yes nor no
            "2024009,,i@uni.edu.cn,,,\n")                   # 10: no name
    plan = check(app, db, text)
    assert [(e.line, e.column) for e in plan.errors] == [
        (2, "number"), (3, "email"), (4, "faculty"), (5, "number"), (6, "email"), (7, "email"), (8, "role"),
        (9, "active"), (10, "name")]
    assert "OTHER-1" in plan.errors[5].message and "line 4" in plan.errors[3].message


@pytest.mark.parametrize("header, message", [
    ("name,email\n", "Columns missing: number"),
    ("number,name,email,email\n", "Two columns mean"),
])
def test_wrong_columns_are_refused(app, db, header, message):
    with pytest.raises(TableError) as refused:
        check(app, db, header + "1,a,a@b.cn\n")
    assert message in str(refused.value)


def test_a_header_without_rows_is_a_problem(app, db):
    plan = check(app, db, "number,name,email\n")
    assert not plan.ok and plan.errors[0].line == 0


def test_unknown_columns_are_left_out_and_said(app, db):
    plan = check(app, db, "学号,姓名,邮箱,电话\n2024001,王,w@uni.edu.cn,123\n")
    assert plan.ok and plan.ignored == ["电话"]


# --- applying ----------------------------------------------------------------------------

def test_applying_creates_accounts_without_a_usable_password_and_audits(app, db, faculties):
    assert apply(app, db, ROSTER) == {"created": 3, "updated": 0, "unchanged": 0}
    with app.app_context(), db.session() as session:
        users = {u.member_number: u for u in session.execute(select(User)).scalars()}
        assert users["T0001"].role == Role.librarian.value and users["2024001"].cohort == "CS"
        assert all(u.password_hash == UNUSABLE_PASSWORD for u in users.values())
        assert authenticate(session, email="chen.yu@uni.edu.cn", password=UNUSABLE_PASSWORD) is None
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "roster.import")).scalar_one()
    assert audit.detail == "roster.csv: 3 created, 0 updated, 0 unchanged"


def test_importing_the_same_roster_again_changes_nothing(app, db, faculties):
    apply(app, db, ROSTER)
    with app.app_context(), db.session() as session:
        before = [tuple(r) for r in session.execute(select(User.__table__)).all()]
    assert apply(app, db, ROSTER) == {"created": 0, "updated": 0, "unchanged": 3}
    with app.app_context(), db.session() as session:
        assert [tuple(r) for r in session.execute(select(User.__table__)).all()] == before


def test_a_changed_roster_updates_by_number_and_keeps_display_names(app, db, faculties, make_user):
    apply(app, db, ROSTER)
    reader = make_user(email="self@uni.edu.cn", display_name="Night Owl")  # registered before the roster
    text = ("number,name,email,faculty,active\n"
            "2024001,王思远,wang.siyuan@new.uni.edu.cn,PHYS,yes\n"
            "2024002,Li Yutong,li.yutong@uni.edu.cn,物理学院,no\n"
            "2024010,Real Name,SELF@uni.edu.cn,CS,\n")
    assert apply(app, db, text) == {"created": 0, "updated": 3, "unchanged": 0}
    with app.app_context(), db.session() as session:
        first = session.execute(select(User).where(User.member_number == "2024001")).scalar_one()
        second = session.execute(select(User).where(User.member_number == "2024002")).scalar_one()
        linked = session.get(User, reader.id)
    assert (first.email, first.cohort) == ("wang.siyuan@new.uni.edu.cn", "PHYS")
    assert not second.is_active and second.session_generation == 1  # deactivated: signed out everywhere
    assert (linked.member_number, linked.display_name, linked.cohort) == ("2024010", "Night Owl", "CS")


def test_an_administrator_is_never_demoted_by_a_roster(app, db, make_user):
    make_user(Role.admin, member_number="A1", email="boss@uni.edu.cn")
    plan = check(app, db, "number,name,email,role\nA1,Boss,boss@uni.edu.cn,reader\n")
    assert [(e.line, e.column) for e in plan.errors] == [(2, "role")]


def test_a_roster_that_no_longer_fits_writes_nothing(app, db, faculties, make_user):
    with app.test_request_context(), db.write_session() as session:
        plan = check_users(session, table(ROSTER))
    make_user(email="li.yutong@uni.edu.cn", member_number="SOMEONE-ELSE")  # meanwhile
    with app.test_request_context(), pytest.raises(RosterChanged), db.write_session() as session:
        apply_users(session, plan, actor_id=None, source="roster.csv")
    with app.app_context(), db.session() as session:
        assert session.execute(select(func.count()).select_from(User)).scalar_one() == 1


def test_gbk_roster_imports_with_chinese_faculty_names(app, db, faculties):
    with app.test_request_context(), db.write_session() as session:
        plan = check_users(session, read_table((DATA / "roster_gbk.csv").read_bytes(), "r.csv", **LIMITS))
        assert plan.ok, plan.errors
        apply_users(session, plan, actor_id=None, source="roster_gbk.csv")
    with app.app_context(), db.session() as session:
        chen = session.execute(select(User).where(User.member_number == "T0001")).scalar_one()
    assert (chen.display_name, chen.cohort, chen.role) == ("陈宇", "LIB", "librarian")


# --- faculties ---------------------------------------------------------------------------

FACULTIES = "code,name_en,name_zh,order\nCS,Computer Science,计算机学院,1\nLAW,Law,法学院,2\n"


def test_faculties_import_idempotently_by_code(app, db):
    for expected in ({"created": 2, "updated": 0, "unchanged": 0}, {"created": 0, "updated": 0, "unchanged": 2}):
        with app.test_request_context(), db.write_session() as session:
            plan = check_faculties(session, table(FACULTIES))
            assert plan.ok, plan.errors
            assert apply_faculties(session, plan, actor_id=None, source="f.csv") == expected
    with app.test_request_context(), db.write_session() as session:
        plan = check_faculties(session, table("code,name_en,name_zh\nLAW,Law School,法学院\n"))
        assert (plan.created, plan.updated, plan.unchanged) == (0, 1, 0)


def test_faculty_rows_that_clash_are_refused(app, db):
    with app.test_request_context(), db.write_session() as session:
        apply_faculties(session, check_faculties(session, table(FACULTIES)), actor_id=None, source="f.csv")
    text = "code,name_en,name_zh\nLAW2,law,法律\nX/Y,X,X\nCS,,计算机\nDUP,Dup,重复\ndup,Dup2,重复2\n"
    with app.test_request_context(), db.session() as session:
        plan = check_faculties(session, table(text))
    assert [(e.line, e.column) for e in plan.errors] == [(2, "name_en"), (3, "code"), (4, "name_en"), (6, "code")]


# --- the engage command --------------------------------------------------------------------

def test_engage_users_import_checks_then_applies(app, runner, db, faculties, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8-sig")
    dry = runner.invoke(main, args=["users", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "3 new, 0 changed, 0 unchanged" in dry.output and "Nothing was changed" in dry.output
    with app.app_context(), db.session() as session:
        assert session.execute(select(func.count()).select_from(User)).scalar_one() == 0
    done = runner.invoke(main, args=["users", "import", str(path)])
    assert done.exit_code == 0 and "Imported roster.csv: 3 new" in done.output
    again = runner.invoke(main, args=["users", "import", str(path)])
    assert "0 new, 0 changed, 3 unchanged" in again.output


def test_engage_users_import_explains_every_problem(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("number,name,email\n1,A,nope\n", encoding="utf-8")
    result = runner.invoke(main, args=["users", "import", str(path)])
    assert result.exit_code == 1
    assert "bad.csv, line 2, email: “nope” is not an email address." in result.output
    assert "nothing was changed" in result.output
    assert runner.invoke(main, args=["users", "import", str(tmp_path / "missing.csv")]).exit_code == 1
    (tmp_path / "empty.csv").write_bytes(b"")
    empty = runner.invoke(main, args=["users", "import", str(tmp_path / "empty.csv")])
    assert empty.exit_code == 1 and "The file is empty." in empty.output


def test_engage_faculties_import_and_adopt(app, runner, db, make_user, tmp_path):
    path = tmp_path / "faculties.xlsx"
    path.write_bytes(xlsx([["code", "name_en", "name_zh"], ["CS", "Computer Science", "计算机学院"]]))
    result = runner.invoke(main, args=["faculties", "import", str(path)])
    assert result.exit_code == 0 and "1 new" in result.output, result.output
    make_user(cohort="Old free text")
    assert "not on the list" in runner.invoke(main, args=["check"]).output
    assert "1 faculties added" in runner.invoke(main, args=["faculties", "adopt"]).output
    with app.app_context(), db.session() as session:
        assert session.execute(select(Faculty.name_zh).where(Faculty.code == "Old free text")).scalar_one()


def test_empty_cells_leave_an_account_as_it_is(app, db, faculties, make_user):
    make_user(Role.librarian, member_number="T0001", email="chen.yu@uni.edu.cn", cohort="LIB")
    text = "number,name,email,faculty,role,active\nT0001,Chen Yu,chen.yu@uni.edu.cn,,,\n2024001,New,n@uni.edu.cn,,,\n"
    assert apply(app, db, text) == {"created": 1, "updated": 0, "unchanged": 1}
    with app.app_context(), db.session() as session:
        chen = session.execute(select(User).where(User.member_number == "T0001")).scalar_one()
        new = session.execute(select(User).where(User.member_number == "2024001")).scalar_one()
    assert (chen.role, chen.cohort, chen.is_active) == ("librarian", "LIB", True)
    assert (new.role, new.cohort, new.is_active) == ("student", None, True)
