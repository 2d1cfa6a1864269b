"""The adapters of the ``Clock`` port: the system clock in a time zone, the business-date clock
(``FORMABOT_TODAY``, ``--today``) and a fixed clock.

« Today » (archiving, rules, reminders) and the clock (timestamps, leases, retries, delivery) are
two different things: pinning the business date never moves ``now``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from domain.ports import Clock

PARIS = ZoneInfo("Europe/Paris")


class SystemClock:
    """The real time, in ``zone`` (the Carif-Oref's: « today » changes at local midnight)."""

    def __init__(self, zone: ZoneInfo = PARIS) -> None:
        self.zone = zone

    def now(self) -> datetime:
        return datetime.now(self.zone)

    def today(self) -> date:
        return self.now().date()


class BusinessDayClock:
    """« Today » pinned to a business date; ``now`` the real time (in ``zone``).

    What ``FORMABOT_TODAY`` and ``formabot daily --today`` give: the archiving, the rules and the
    reminders see that day, while the timestamps written (outbox due times, leases, retries, audit
    rows, processed updates) are real ones, so a process on the real clock delivers at once what
    this one queued.
    """

    def __init__(self, today: date, zone: ZoneInfo = PARIS) -> None:
        self._today = today
        self.zone = zone

    def today(self) -> date:
        return self._today

    def now(self) -> datetime:
        return datetime.now(self.zone)


class FixedClock:
    """A clock that says what it is told (tests, replays, the benchmark).

    ``now`` defaults to noon UTC of ``today``; ``advance`` moves both by whole days.
    """

    def __init__(self, today: date, now: datetime | None = None) -> None:
        self._today = today
        self._now = self._default_now(today) if now is None else now

    @staticmethod
    def _default_now(today: date) -> datetime:
        return datetime.combine(today, time(12, 0), tzinfo=UTC)

    def today(self) -> date:
        return self._today

    def now(self) -> datetime:
        return self._now

    def set(self, today: date, now: datetime | None = None) -> None:
        self._today = today
        self._now = self._default_now(today) if now is None else now

    def advance(self, days: int = 1) -> None:
        self._today += timedelta(days=days)
        self._now += timedelta(days=days)


if TYPE_CHECKING:  # both adapters implement the port
    _system: Clock = SystemClock()
    _fixed: Clock = FixedClock(date(2027, 1, 1))
    _business: Clock = BusinessDayClock(date(2027, 1, 1))
