"""The per-chat pacing, on a simulated clock (no real waiting)."""

from __future__ import annotations

from bot.throttle import ChatThrottle


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


async def test_a_burst_of_three_then_one_message_per_second_per_chat() -> None:
    t = SimulatedTime()
    throttle = ChatThrottle(rate=1.0, burst=3, clock=t.clock, sleep=t.sleep)
    for _ in range(5):
        await throttle.wait(42)
    assert t.slept == [1.0, 1.0]  # the 4th and 5th message wait one second each
    await throttle.wait(43)  # another chat is not slowed down by the first
    assert t.slept == [1.0, 1.0]


async def test_the_allowance_refills_with_time() -> None:
    t = SimulatedTime()
    throttle = ChatThrottle(rate=1.0, burst=3, clock=t.clock, sleep=t.sleep)
    for _ in range(3):
        await throttle.wait(1)
    t.now += 10.0
    for _ in range(3):
        await throttle.wait(1)
    assert t.slept == []
