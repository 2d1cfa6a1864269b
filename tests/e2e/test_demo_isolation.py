"""`make run` without a token never writes the demo into the configured database (issue 13,
finding 6), seen through the fake Bot API: after the console ran on the real database's
configuration, Telegram user 1 is a stranger to the real organisation, and the public LHEO export
carries no demo action."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.daily import EXPORT_FILES, run_daily
from domain.clock import FixedClock
from tests.e2e.support import TODAY, Player, running_bot, settings_for
from tests.fakebotapi import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]


def formabot(cwd: Path, db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"FORMABOT_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "FORMABOT_TODAY": TODAY.isoformat(),
           "PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120, check=False)


async def test_the_console_demo_leaves_the_real_database_and_user_1_alone(tmp_path: Path) -> None:
    db = tmp_path / "real.db"
    # The README's own command, then `make run` without a token (the console, quit at once).
    made = formabot(tmp_path, db, "org", "add", "--name", "Forma Sud", "--siret", "732 829 320 00074")
    assert made.returncode == 0, made.stderr
    console = formabot(tmp_path, db, "start", stdin="/quitter\n")
    assert console.returncode == 0, console.stderr
    async with FakeBotApi() as api:
        settings = settings_for(api, db)
        async with running_bot(settings) as runtime:
            one = Player(api.user(1, "Un"))
            text = await one.command("start", screen=False)
            assert "code de rattachement" in text and "Forma Sud" not in text
            assert "Vos actions de formation" not in text
            report = await run_daily(runtime.services.uow_factory, FixedClock(TODAY), settings,
                                     today=TODAY)
            public = next(e for e in report.exports if e.scope == "public")
            assert public.empty and not (settings.export_dir / EXPORT_FILES["public"]).exists()
