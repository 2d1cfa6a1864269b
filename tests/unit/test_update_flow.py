"""Back-pressure on long polling: the next getUpdates waits while many updates are in progress."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.ordering import PerUserUpdateProcessor, UpdateFlow


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "U", is_bot=False)
    chat = Chat(user_id, "private")
    message = Message(update_id, date=None, chat=chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_room_while_fewer_updates_than_busy_are_in_progress() -> None:
    flow = UpdateFlow(busy=2, max_wait=60)
    flow.started()
    await asyncio.wait_for(flow.wait_for_room(), 1)  # returns at once: 1 < 2


async def test_at_busy_the_poll_waits_until_an_update_finishes() -> None:
    flow = UpdateFlow(busy=2, max_wait=60)
    flow.started()
    flow.started()
    waiting = asyncio.ensure_future(flow.wait_for_room())
    await asyncio.sleep(0.05)
    assert not waiting.done(), "two updates in progress: the poll waits"
    flow.finished()
    await asyncio.wait_for(waiting, 1)
    assert flow.processing == 1


async def test_the_wait_is_bounded_so_stuck_updates_never_stop_polling() -> None:
    flow = UpdateFlow(busy=1, max_wait=0.05)
    flow.started()  # never finishes (e.g. throttled or waiting for the database)
    await asyncio.wait_for(flow.wait_for_room(), 5)
    assert flow.processing == 1


async def test_a_users_queued_updates_count_once() -> None:
    flow = UpdateFlow(busy=2, max_wait=60)
    processor = PerUserUpdateProcessor(16, flow=flow)
    release = asyncio.Event()
    seen: list[int] = []

    async def handler(n: int) -> None:
        seen.append(n)
        await release.wait()

    tasks = [
        asyncio.ensure_future(processor.do_process_update(_update(n, 7), handler(n))) for n in range(3)
    ]
    other = asyncio.ensure_future(processor.do_process_update(_update(9, 8), handler(9)))
    await asyncio.sleep(0.05)
    # User 7's first update and user 8's are in progress; user 7's two others wait their turn.
    assert seen == [0, 9]
    assert flow.processing == 2
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks, other), 5)
    assert seen == [0, 9, 1, 2]  # one user's updates in arrival order
    assert flow.processing == 0
