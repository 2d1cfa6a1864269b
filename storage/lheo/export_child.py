"""The child of ``storage.lheo.export_process``: one LHEO export, its report as JSON on stdout.

    python -m storage.lheo.export_child < request.json

The request (``{"url", "out", "scope", "today", "now"}``) comes on stdin; the answer is
``{"report": …}``, ``{"nothing": [left out…]}`` or ``{"error": message}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from domain.lheo import NothingToExport
from domain.services.lheo import export_actions
from storage.database import create_engine
from storage.lheo.files import SqlLheoFiles

NICENESS = 5  # the child yields the CPU to the bot's process when both want it


async def _child(request: dict[str, Any]) -> dict[str, Any]:
    engine = create_engine(request["url"])
    try:
        report = await export_actions(
            SqlLheoFiles(engine), Path(request["out"]), request["scope"],
            today=date.fromisoformat(request["today"]), now=datetime.fromisoformat(request["now"]),
        )
    except NothingToExport as nothing:
        return {"nothing": [dataclasses.asdict(item) for item in nothing.left_out]}
    except Exception as exc:  # the bot logs and reports it, as an export failed in-process
        return {"error": str(exc) or type(exc).__name__}
    finally:
        await engine.dispose()
    return {"report": {
        "formations": report.formations, "sessions": report.sessions,
        "path": str(report.path) if report.path else None,
        "left_out": [dataclasses.asdict(item) for item in report.left_out],
    }}


def main() -> int:
    with contextlib.suppress(OSError):  # not allowed: the same priority as the bot
        os.nice(NICENESS)
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    answer = asyncio.run(_child(request))
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
