"""The console channel and the demo data, through the real command line on a temporary SQLite file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.labels import label

ROOT = Path(__file__).resolve().parents[2]


def formabot(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"FORMABOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/console.db", "FORMABOT_TODAY": "2026-12-01",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, timeout=120, check=False)


def test_make_run_without_token_opens_the_console_on_demo_data(tmp_path: Path) -> None:
    out = formabot(tmp_path, "start", stdin="➕ Créer une action\nRégion\nSoudeur TIG\n/menu\n/quitter\n")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Vos actions de formation" in text and "Organisme de démonstration" in text
    for listing in ("En cours de création (1)", "En cours d'instruction (2)", "Publiées (2)", "Archivées (1)", "À corriger (1)"):
        assert listing in text
    assert "Intitulé de la formation *" in text and "Objectif de la formation *" in text
    assert label("resume", title="Soudeur TIG") in text  # the answer was kept


def test_buttons_by_number_and_demo_is_idempotent(tmp_path: Path) -> None:
    first = formabot(tmp_path, "demo")
    assert "créé" in first.stdout
    again = formabot(tmp_path, "demo")
    assert "existe déjà" in again.stdout
    out = formabot(tmp_path, "shell", stdin="6\n1\n/quitter\n")
    assert "Publiées" in out.stdout and "Mettre à jour les sessions" in out.stdout


def test_dialogs_graph_is_mermaid_from_the_code(tmp_path: Path) -> None:
    out = formabot(tmp_path, "dialogs", "graph")
    assert out.stdout.startswith("stateDiagram-v2")
    assert "recap --> confirm_ask" in out.stdout


@pytest.mark.parametrize("bad", [("FORMABOT_TODAY", "2027-02-31"), ("FORMABOT_REMINDER_DAYS", "a,b"), ("FORMABOT_DATABASE_URL", "mysql://x")])
def test_bad_configuration_is_one_clear_line(tmp_path: Path, bad: tuple[str, str]) -> None:
    name, value = bad
    env = {"PATH": "/usr/bin:/bin", name: value, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "bot", "actions", "list"], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=60, check=False)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in out.stderr


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql))


def test_start_and_demo_never_write_into_a_real_database(tmp_path: Path) -> None:
    """Issue 13, finding 6: with FORMABOT_DATABASE_URL on a real database (an organisation created
    with the README's command), `formabot start` without a token and `formabot demo` write the demo
    into formabot-demo.db; `demo` refuses the real database in French unless --force; the demo's
    SIRET is not the README's, so no Telegram user gets linked to the real organisation."""
    real = tmp_path / "console.db"
    made = formabot(tmp_path, "org", "add", "--name", "Forma Sud", "--siret", "732 829 320 00074")
    assert made.returncode == 0, made.stderr
    before = _rows(real, "SELECT id, siret FROM organisations")
    assert before == [(1, "73282932000074")]

    out = formabot(tmp_path, "start", stdin="/quitter\n")
    assert out.returncode == 0, out.stderr
    assert "formabot-demo.db" in out.stdout and "Organisme de démonstration" in out.stdout
    demo = formabot(tmp_path, "demo")
    assert demo.returncode == 0 and "existe déjà" in demo.stdout and "formabot-demo.db" in demo.stdout
    assert _rows(real, "SELECT id, siret FROM organisations") == before
    assert _rows(real, "SELECT count(*) FROM members") == [(0,)]
    assert _rows(real, "SELECT count(*) FROM actions") == [(0,)]
    assert _rows(tmp_path / "formabot-demo.db", "SELECT siret FROM organisations") == [("99999999800001",)]

    url = f"sqlite+aiosqlite:///{real}"
    refused = formabot(tmp_path, "demo", "--database-url", url)
    assert refused.returncode == 2
    assert "contient des données qui ne sont pas celles de la démonstration" in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert _rows(real, "SELECT count(*) FROM actions") == [(0,)]
    # The demo's database configured onto the real one: the console refuses it too.
    env_refused = subprocess.run(
        [sys.executable, "-m", "bot", "start"], input="/quitter\n", capture_output=True, text=True,
        cwd=tmp_path, timeout=120, check=False,
        env={"FORMABOT_DATABASE_URL": url, "FORMABOT_DEMO_DATABASE_URL": url, "PATH": "/usr/bin:/bin",
             "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)})
    assert env_refused.returncode == 2 and "--force" in env_refused.stderr
    assert _rows(real, "SELECT count(*) FROM members") == [(0,)]

    forced = formabot(tmp_path, "demo", "--database-url", url, "--force")
    assert forced.returncode == 0 and "créé" in forced.stdout
    orgs = _rows(real, "SELECT id, siret FROM organisations ORDER BY id")
    assert orgs == [(1, "73282932000074"), (2, "99999999800001")]
    # The demo member is linked to the demo organisation only, never to the real one.
    assert _rows(real, "SELECT user_id, organisation_id FROM members") == [(1, 2)]
