"""Every write of the database goes through a repository (``storage/repositories/``).

Read with ``ast`` (nothing imported): a module of ``storage/`` or ``bot/`` that imports SQLAlchemy's
``insert``, ``update`` or ``delete`` (or a dialect's ``insert``) writes tables itself. Only the
repositories may (the daily job's set-based archive sweep included: ``repositories/action_sweeps.py``).
Migrations are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRITES = frozenset({"insert", "update", "delete"})


def _writers() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for package in ("storage", "bot", "dialogs", "domain"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name.startswith(("storage/repositories/", "storage/migrations/")):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                    names = {alias.name for alias in node.names} & WRITES
                    if names:
                        found.setdefault(name, set()).update(names)
    return found


def test_only_repositories_write_tables() -> None:
    assert _writers() == {}
