"""Issue 15, items 17 and 19: the console as `make run` opens it, driven as a person at a terminal
would (a subprocess with pipes, each line typed once the console waits for it). The menu is on the
screen before the first prompt, and a console run again on the same database, or a second one
beside the first, answers its first inputs (no input is taken for a redelivery)."""

from __future__ import annotations

import asyncio
import codecs
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.console import PROMPT
from tests.labels import label

ROOT = Path(__file__).resolve().parents[2]
MENU = "Vos actions de formation"
CREATE = "Créer une action de formation"  # the screen of « ➕ Créer une action »
NO_TEXT = "Je n'attends pas de texte ici"
PATIENCE = 60.0  # seconds a prompt may take at most (a bound, not a wait)


class Terminal:
    """`formabot start` without a token, in ``cwd``: what was printed, and lines typed into it."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.seen = ""  # everything printed so far
        self.read_to = 0  # what ``prompt`` already returned
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    @classmethod
    async def open(cls, cwd: Path) -> Terminal:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(cwd),
            "PYTHONPATH": str(ROOT),
            "FORMABOT_DATABASE_URL": f"sqlite+aiosqlite:///{cwd}/real.db",
            "FORMABOT_TODAY": "2026-12-01",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "start",
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(proc)

    async def prompt(self) -> str:
        """What the console printed until it next waits for a line (the prompt, not included)."""
        assert self.proc.stdout is not None
        while PROMPT not in self.seen[self.read_to :]:
            chunk = await asyncio.wait_for(self.proc.stdout.read(4096), PATIENCE)
            assert chunk, f"the console ended: {self.seen[self.read_to :]}"
            self.seen += self._decoder.decode(chunk)
        end = self.seen.index(PROMPT, self.read_to)
        shown, self.read_to = self.seen[self.read_to : end], end + len(PROMPT)
        return shown

    async def type(self, line: str) -> str:
        """Type one line once the console waits; what it answers."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{line}\n".encode())
        await self.proc.stdin.drain()
        return await self.prompt()

    async def quit(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"/quitter\n")
        await self.proc.stdin.drain()
        assert await asyncio.wait_for(self.proc.wait(), PATIENCE) == 0, self.seen


Opener = Callable[[], Awaitable[Terminal]]


@pytest.fixture
async def terminal(tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens consoles in ``tmp_path``; one a failed test left running is killed."""
    opened: list[Terminal] = []

    async def open_one() -> Terminal:
        opened.append(await Terminal.open(tmp_path))
        return opened[-1]

    yield open_one
    for console in opened:
        if console.proc.returncode is None:
            console.proc.kill()
            await console.proc.wait()


async def test_the_menu_is_shown_before_the_first_input_every_run(terminal: Opener) -> None:
    for _run in range(2):  # the second run, on the database the first left, is the one that failed
        console = await terminal()
        before = await console.prompt()
        assert MENU in before and f"1. {label('create')}" in before, before
        answer = await console.type("1")
        assert CREATE in answer and NO_TEXT not in answer, answer
        await console.quit()


async def test_a_second_console_on_the_same_database_answers_its_first_inputs(
    terminal: Opener,
) -> None:
    first = await terminal()
    assert MENU in await first.prompt()
    assert CREATE in await first.type("1")
    second = await terminal()  # while the first is still open
    assert MENU in await second.prompt()
    answer = await second.type("/menu")
    assert MENU in answer and NO_TEXT not in answer, answer
    assert CREATE in await second.type("1")
    # The first console goes on, its inputs answered too.
    assert MENU in await first.type("/menu")
    await second.quit()
    await first.quit()
