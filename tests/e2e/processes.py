"""The real ``formabot run`` process (``python -m bot run``) against the fake Bot API.

Started as a subprocess with its configuration in the environment, it can be killed with SIGKILL at
any moment and started again on the same database. "Started" means "polling": the fake records a
getUpdates request made by the new process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

from tests.e2e.support import TODAY
from tests.fakebotapi import FakeBotApi

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # generous: two shared cores, other test runs beside this one


class BotProcess:
    """One ``formabot run`` at a time on ``db``; its stdout and stderr go to ``log_path``."""

    def __init__(
        self, api: FakeBotApi, db: Path, *, log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.api = api
        self.db = db
        self.log_path = log_path
        self.extra_env = env or {}
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kills = 0
        self.start_times: list[float] = []  # seconds from spawn to the first getUpdates

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORMABOT_")}
        env.update(
            {
                "FORMABOT_TELEGRAM_TOKEN": self.api.token,
                "FORMABOT_TELEGRAM_API_URL": self.api.base_url,
                "FORMABOT_DATABASE_URL": f"sqlite+aiosqlite:///{self.db}",
                "FORMABOT_TODAY": TODAY.isoformat(),
                "FORMABOT_CHAT_RATE": "1000",
                "FORMABOT_EXPORT_DIR": str(self.db.parent / "exports"),
                "PYTHONPATH": str(REPO_ROOT),
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.update(self.extra_env)
        return env

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self, timeout: float = START_TIMEOUT) -> float:
        """Spawn the process and wait until it polls; returns the start-up time in seconds."""
        assert not self.running, "one bot process at a time"
        polls_before = len(self.api.requests_for("getUpdates"))
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.starts + 1} =====\n".encode())
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run",
                env=self.environment(), cwd=self.db.parent,
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        self.starts += 1
        polling = asyncio.ensure_future(
            self.api.wait_until(
                lambda: len(self.api.requests_for("getUpdates")) > polls_before, timeout
            )
        )
        exited = asyncio.ensure_future(self.process.wait())
        try:
            await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (polling, exited):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, AssertionError, TimeoutError):
                    await task
        if self.process.returncode is not None:
            raise AssertionError(
                f"formabot run exited with {self.process.returncode} before polling:\n{self.log_tail()}"
            )
        if len(self.api.requests_for("getUpdates")) <= polls_before:
            raise AssertionError(
                f"formabot run did not poll within {timeout} s:\n{self.log_tail()}"
            )
        elapsed = time.monotonic() - began
        self.start_times.append(elapsed)
        return elapsed

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a crash or an OOM kill."""
        assert self.process is not None and self.process.returncode is None, "not running"
        self.process.kill()
        await self.process.wait()
        self.kills += 1

    async def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (the clean stop), SIGKILL if it does not stop in time; the exit code."""
        if self.process is None or self.process.returncode is not None:
            return None if self.process is None else self.process.returncode
        self.process.terminate()
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            content = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(content[-lines:])
