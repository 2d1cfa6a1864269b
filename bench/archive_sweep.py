"""Benchmark: the archive sweep and the reminders query on 200 000 actions / 1 000 000 sessions.

    .venv/bin/python bench/archive_sweep.py                      # SQLite (a temp file)
    .venv/bin/python bench/archive_sweep.py --postgres URL       # and PostgreSQL (a temp database)
    FORMABOT_TEST_POSTGRES_URL=postgresql+asyncpg://… .venv/bin/python bench/archive_sweep.py

Data: as if the bot had been stopped for a month — actions whose archiving date passed more than
30 days ago are archived; those of the last 30 days are still published, so the first sweep
catches up a month; the second one (the next day) is an ordinary day. Rows are inserted in batches
(``executemany`` on SQLite, ``COPY`` on PostgreSQL). Each step prints its wall time and the
process's peak RSS so far. Targets: each timed query under 10 s, peak RSS under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from domain.funders import Funder
from domain.models import Action, Session
from storage.database import create_engine, upgrade
from storage.mapping import compute_archive_on
from storage.repositories import action_sweeps as sweeps
from storage.tables import actions

TODAY = date(2027, 1, 4)
NOW = datetime(2027, 1, 4, 5, 0, tzinfo=UTC)
REMINDER_DAYS = (30, 7, 1)
BATCH = 5_000  # actions per batch (and 5 sessions each)
FUNDERS = [f.value for f in Funder]

ACTION_COLUMNS = (
    "id", "organisation_id", "funder", "status", "version", "reference", "reference_carif",
    "first_session_start", "last_session_end", "archive_on", "archived_on", "created_at",
    "updated_at", "published_at", "data",
)
SESSION_COLUMNS = ("id", "action_id", "position", "debut", "fin", "data")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(backend: str, step: str, seconds: float, detail: str = "") -> None:
    print(f"{backend:10} {step:44} {seconds:8.2f} s   peak RSS {peak_rss_mb():7.1f} MB   {detail}",
          flush=True)


def generate(n_actions: int, sessions_per_action: int, seed: int = 42) -> Iterator[
    tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]
]:
    """Batches of (action rows, session rows) with realistic dates."""
    rng = random.Random(seed)
    session_id = 0
    for start in range(0, n_actions, BATCH):
        action_rows: list[tuple[Any, ...]] = []
        session_rows: list[tuple[Any, ...]] = []
        for action_id in range(start + 1, min(start + BATCH, n_actions) + 1):
            permanent = rng.random() < 0.15
            modular = rng.random() < 0.05
            # Sessions start between two years ago and eighteen months ahead; last 1–9 months.
            first = TODAY + timedelta(days=rng.randint(-730, 540))
            spans = []
            for position in range(sessions_per_action):
                debut = first + timedelta(days=position * rng.randint(20, 60))
                fin = debut + timedelta(days=rng.randint(30, 270))
                spans.append((debut, fin))
                session_id += 1
                session_rows.append((
                    session_id, action_id, position, debut, fin,
                    json.dumps({"adresse_inscription": {"lignes": ["12 rue des Lilas"],
                                "code_postal": "31000", "ville": "Toulouse"},
                                "etat_recrutement": "1", "places": 12}),
                ))
            last_debut = max(d for d, _ in spans)
            last_fin = max(f for _, f in spans)
            archive_on = last_fin + timedelta(days=1) if (permanent or modular) else last_debut
            roll = rng.random()
            if roll < 0.08:
                status, archived_on = "draft", None
            elif roll < 0.14:
                status, archived_on = "submitted", None
            elif archive_on < TODAY - timedelta(days=30):
                status, archived_on = "archived", archive_on
            else:
                status, archived_on = "published", None
            data = {
                "intitule": f"Formation n° {action_id} — cuisinier en restauration collective",
                "objectif": "Préparer et servir des repas en restauration collective.",
                "formacodes": ["42752"], "publics": ["80001"], "heures_centre": 420,
                "entrees_sorties": "1" if permanent else "0",
                "parcours": "3" if modular else "1",
                "prix_total": "4500.00",
            }
            action_rows.append((
                action_id, 1 + action_id % 2_000, FUNDERS[action_id % len(FUNDERS)], status, 0,
                f"FB-{action_id:06d}", None if status in ("draft", "submitted") else f"AF_{action_id}",
                min(d for d, _ in spans), last_fin, archive_on, archived_on,
                NOW - timedelta(days=400), NOW - timedelta(days=30),
                None if status in ("draft", "submitted") else NOW - timedelta(days=60),
                json.dumps(data, ensure_ascii=False),
            ))
        yield action_rows, session_rows


def check_policy(sample: int = 200) -> None:
    """The generator's archiving dates follow storage.mapping.compute_archive_on."""
    rows, sessions = next(generate(sample, 5, seed=7))
    by_action: dict[int, list[tuple[Any, ...]]] = {}
    for s in sessions:
        by_action.setdefault(s[1], []).append(s)
    for row in rows[:sample]:
        data = json.loads(row[-1])
        action = Action(
            organisation_id=1, funder=Funder.REGION, entrees_sorties=data["entrees_sorties"],
            parcours=data["parcours"],
            sessions=[Session(debut=s[3], fin=s[4]) for s in by_action[row[0]]],
        )
        assert compute_archive_on(action) == row[9], row[0]


async def load_sqlite(conn: AsyncConnection, n_actions: int, per_action: int) -> None:
    a_sql = f"INSERT INTO actions ({', '.join(ACTION_COLUMNS)}) VALUES ({', '.join('?' * len(ACTION_COLUMNS))})"
    s_sql = f"INSERT INTO sessions ({', '.join(SESSION_COLUMNS)}) VALUES ({', '.join('?' * len(SESSION_COLUMNS))})"

    def sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            v.isoformat() if isinstance(v, date) and not isinstance(v, datetime)
            else v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, datetime)
            else v
            for v in row
        )

    await conn.execute(text(
        "INSERT INTO organisations (id, data, created_at, updated_at) "
        "VALUES (:id, '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    ), [{"id": i} for i in range(1, 2_001)])
    for action_rows, session_rows in generate(n_actions, per_action):
        await conn.exec_driver_sql(a_sql, [sqlite_row(r) for r in action_rows])
        await conn.exec_driver_sql(s_sql, [sqlite_row(r) for r in session_rows])
    await conn.commit()


async def load_postgres(conn: AsyncConnection, n_actions: int, per_action: int) -> None:
    await conn.execute(text(
        "INSERT INTO organisations (id, data, created_at, updated_at) "
        "SELECT g, '{}', now(), now() FROM generate_series(1, 2000) g"
    ))
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    for action_rows, session_rows in generate(n_actions, per_action):
        await raw.copy_records_to_table("actions", records=action_rows, columns=list(ACTION_COLUMNS))
        await raw.copy_records_to_table("sessions", records=session_rows, columns=list(SESSION_COLUMNS))
    for table in ("organisations", "actions", "sessions"):
        await conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        ))
    await conn.commit()
    await conn.execute(text("ANALYZE"))
    await conn.commit()


async def run(backend: str, url: str, n_actions: int, per_action: int) -> None:
    t0 = time.perf_counter()
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            if backend == "sqlite":
                await load_sqlite(conn, n_actions, per_action)
            else:
                await load_postgres(conn, n_actions, per_action)
            n_sessions = (await conn.execute(text("SELECT count(*) FROM sessions"))).scalar()
            published = (await conn.execute(
                select(func.count()).select_from(actions).where(actions.c.status == "published")
            )).scalar()
            await conn.commit()
        report(backend, "migrate + bulk insert", time.perf_counter() - t0,
               f"{n_actions} actions, {n_sessions} sessions, {published} published")

        for label, day in (("archive sweep (catch-up of a month)", TODAY),
                           ("archive sweep (next day)", TODAY + timedelta(days=1))):
            async with engine.connect() as conn:
                t = time.perf_counter()
                archived = await sweeps.archive_sweep(conn, day, NOW)
                await conn.commit()
                report(backend, label, time.perf_counter() - t, f"{len(archived)} archived")

        async with engine.connect() as conn:
            t = time.perf_counter()
            due = await sweeps.reminders_due(conn, TODAY + timedelta(days=1), REMINDER_DAYS)
            await conn.commit()
            report(backend, "reminders due (30, 7, 1 days)", time.perf_counter() - t,
                   f"{len(due)} reminders")
            t = time.perf_counter()
            counts = await sweeps.counts_by_status(conn, 42)
            await conn.commit()
            report(backend, "counts by status (one organisation)", time.perf_counter() - t,
                   f"{sum(counts.values())} actions")
    finally:
        await engine.dispose()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--actions", type=int, default=200_000)
    parser.add_argument("--sessions-per-action", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("FORMABOT_TEST_POSTGRES_URL"),
                        help="a PostgreSQL URL; a temporary database is created on its server")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    check_policy()
    print(f"{'backend':10} {'step':44} {'wall':>10}   peak RSS (process)", flush=True)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            await run("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", args.actions,
                      args.sessions_per_action)
    if args.postgres:
        base = make_url(args.postgres)
        name = f"formabot_bench_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(base.render_as_string(hide_password=False),
                                    isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                await run("postgresql", base.set(database=name).render_as_string(hide_password=False),
                          args.actions, args.sessions_per_action)
            finally:
                async with admin.connect() as conn:
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            await admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
