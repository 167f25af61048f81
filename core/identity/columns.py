"""Which column of an uploaded table is which: headers in English or Chinese, in any case."""

from __future__ import annotations

from flask_babel import gettext as _

from core.identity.faculties import fold
from core.identity.tables import Table, TableError

# Canonical key → the headers that mean it (folded when compared).
USER_COLUMNS = {
    "number": ("number", "student number", "staff number", "member number", "student or staff number", "id",
               "学号", "工号", "学工号", "编号", "证号", "读者证号"),
    "name": ("name", "display name", "full name", "姓名", "名字"),
    "email": ("email", "e-mail", "email address", "mail", "邮箱", "电子邮件", "电子邮箱"),
    "faculty": ("faculty", "college", "school", "faculty or college", "cohort", "学院", "院系", "单位"),
    "role": ("role", "type", "身份", "角色", "类型"),
    "active": ("active", "status", "enabled", "状态", "有效", "启用"),
}
USER_REQUIRED = ("number", "name", "email")

FACULTY_COLUMNS = {
    "code": ("code", "faculty code", "代码", "编码", "学院代码"),
    "name_en": ("name_en", "name en", "english name", "name in english", "英文名", "英文名称"),
    "name_zh": ("name_zh", "name zh", "chinese name", "name in chinese", "中文名", "中文名称", "名称"),
    "active": ("active", "status", "enabled", "状态", "有效", "启用"),
    "order": ("order", "sort", "position", "排序", "顺序"),
}
FACULTY_REQUIRED = ("code", "name_en", "name_zh")


def map_columns(table: Table, known: dict[str, tuple[str, ...]], required: tuple[str, ...]
                ) -> tuple[dict[str, int], list[str]]:
    """``({key: column index}, [headers ignored])``; TableError for a missing or doubled column."""
    words = {fold(word): key for key, options in known.items() for word in options}
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(table.header):
        key = words.get(fold(header))
        if key is None:
            if header:
                ignored.append(header)
            continue
        if key in found:
            raise TableError(_("Two columns mean “%(name)s”: keep one of them.", name=header))
        found[key] = index
    missing = [key for key in required if key not in found]
    if missing:
        raise TableError(_("Columns missing: %(missing)s. The first row must name the columns: %(expected)s.",
                           missing=", ".join(missing), expected=", ".join(known)))
    return found, ignored


def cell(cells: list[str], columns: dict[str, int], key: str) -> str | None:
    """The row's value in column ``key`` (None when the file has no such column)."""
    index = columns.get(key)
    if index is None:
        return None
    return cells[index].strip() if index < len(cells) else ""


YES = {fold(w) for w in ("yes", "y", "true", "1", "active", "on", "是", "有效", "启用", "在校", "正常")}
NO = {fold(w) for w in ("no", "n", "false", "0", "inactive", "off", "否", "无效", "停用", "离校", "注销")}


def yes_no(value: str) -> bool | None:
    """True, False, or None when the value says neither."""
    key = fold(value)
    return True if key in YES else False if key in NO else None
