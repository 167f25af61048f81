"""The ledger imports nothing above it: levels and badges listen to awards through the hooks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ("core.points", "core.activity", "core.ledger_sql")
ABOVE_THE_LEDGER = ("core.badges", "core.levels", "core.rewards", "core.notifications")


def _module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(name: str) -> set[str]:
    """Every core module ``name`` imports, at the top or inside a function (late imports count too)."""
    tree = ast.parse(_module_path(name).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    # ``core`` itself is the app factory, which assembles every layer; ``from core import x`` is x.
    return {m for m in found if m.startswith("core.") and _module_path(m) is not None}


def _reachable(start: str) -> dict[str, str]:
    """Every core module ``start`` can import, directly or through others, with who imports it."""
    seen, todo = {start: ""}, [start]
    while todo:
        name = todo.pop()
        for other in _imports(name):
            if other not in seen:
                seen[other] = name
                todo.append(other)
    return seen


@pytest.mark.parametrize("module", LEDGER)
def test_the_ledger_imports_nothing_above_it(module):
    reached = _reachable(module)
    for above in ABOVE_THE_LEDGER:
        chain, name = [], above
        while name in reached and name:
            chain.append(name)
            name = reached[name]
        assert above not in reached, f"{module} imports {above}: {' <- '.join(chain)}"


def test_the_import_check_sees_late_imports():
    """The check would catch the circle this project once had (points -> badges, read in a function)."""
    tree = ast.parse("def f():\n    from core.badges import check_points\n")
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert names == {"core.badges"}
    assert "core.activity" in _imports("core.badges")  # badges (above) may import the ledger (below)
