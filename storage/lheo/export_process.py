"""The daily job's LHEO export in a child process: the bot's event loop stays free (issue 17).

    report = await export_in_child(engine, out, "public", today=…, now=…)

Building and checking 100 000 formations is CPU work of a minute; on the bot's thread it holds the
event loop, and on a thread beside it, it takes the interpreter's lock from the loop every few
milliseconds. A child (``python -m storage.lheo.export_child``) runs the same
``domain.services.lheo.export_actions`` on its own connection to the same database (one
consistent snapshot, as in the bot: the file is the same byte for byte) at a lower priority, and
sends its report back as JSON on stdout; the request (the database URL, with its password) goes on
stdin, never on the command line. ``NothingToExport`` and the other errors are raised in the bot
as in-process (an ``LheoError`` with the child's message).

A database the child cannot open on its own (SQLite in memory) is exported in this process.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.lheo import ExportReport, LeftOut, LheoError, NothingToExport, Scope


def left_out_of(items: list[dict[str, Any]]) -> list[LeftOut]:
    return [
        LeftOut(**{**item, "missing": tuple(item["missing"]), "issues": tuple(item["issues"])})
        for item in items
    ]


def shared_url(engine: AsyncEngine) -> str | None:
    """The URL another process can open, or None (SQLite in memory)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or "mode=memory" in str(url)
    ):
        return None
    return url.render_as_string(hide_password=False)


async def export_in_child(
    url: str, out: Path, scope: Scope, *, today: date, now: datetime
) -> ExportReport:
    """``export_actions(files, out, scope, …)`` of the database at ``url``, in a child."""
    request = {"url": url, "out": str(out), "scope": scope, "today": today.isoformat(),
               "now": now.isoformat()}
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "storage.lheo.export_child", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, env=env,
    )
    try:
        output, _ = await child.communicate(json.dumps(request).encode())
    except BaseException:  # cancelled: the child must not publish a file after the job ended
        if child.returncode is None:
            child.kill()
            await child.wait()
        raise
    try:
        answer = json.loads(output.decode("utf-8"))
    except ValueError:
        raise LheoError(f"export LHEO {scope} : le processus d'export s'est arrêté "
                        f"(code {child.returncode}).") from None
    if "report" in answer:
        data = answer["report"]
        return ExportReport(formations=data["formations"], sessions=data["sessions"],
                            path=Path(data["path"]) if data["path"] else None,
                            left_out=left_out_of(data["left_out"]))
    if "nothing" in answer:
        raise NothingToExport(left_out_of(answer["nothing"]))
    raise LheoError(answer["error"])
