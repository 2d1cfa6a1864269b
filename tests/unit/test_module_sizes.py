"""No module of the project over 500 lines (issue 14): a longer one holds more than one concern.

Every ``.py`` file of ``domain/``, ``storage/``, ``dialogs/`` and ``bot/`` counts, the database
migrations excepted (generated, one per schema change); ``tests/`` and ``bench/`` are not read.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "storage", "dialogs", "bot")
MAX_LINES = 500


def project_modules() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    ]


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_packages_are_read() -> None:
    modules = {path.relative_to(ROOT).as_posix() for path in project_modules()}
    assert {"bot/delivery.py", "storage/lheo/export.py", "storage/lheo/import_.py"} <= modules
    assert not any("migrations" in module for module in modules)


def test_no_module_over_500_lines() -> None:
    too_long = {
        path.relative_to(ROOT).as_posix(): count
        for path in project_modules()
        if (count := line_count(path)) > MAX_LINES
    }
    assert not too_long, f"modules over {MAX_LINES} lines (split them by concern): {too_long}"
