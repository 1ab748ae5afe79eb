"""The app's loop runs ready callbacks together, in order, as asyncio's own loop would."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from onsembl_desktop.ui.event_loop import EventLoop


def test_ready_callbacks_run_in_order_in_one_turn(qloop: EventLoop) -> None:
    ran: list[int] = []

    async def main() -> None:
        before = qloop.turns
        for i in range(100):
            qloop.call_soon(ran.append, i)
        await asyncio.sleep(0.05)
        # 100 callbacks, one turn for them (plus the few this task's own steps took).
        assert qloop.turns - before <= 4

    qloop.run_until_complete(main())
    assert ran == list(range(100))


def test_cancelled_callbacks_do_not_run_and_failures_do_not_stop_the_rest(
    qloop: EventLoop,
) -> None:
    ran: list[str] = []
    errors: list[dict[str, Any]] = []
    qloop.set_exception_handler(lambda _loop, context: errors.append(context))

    def fail() -> None:
        raise RuntimeError("boom")

    async def main() -> None:
        qloop.call_soon(ran.append, "a")
        qloop.call_soon(ran.append, "cancelled").cancel()
        qloop.call_soon(fail)
        qloop.call_soon(ran.append, "b")
        await asyncio.sleep(0.05)

    qloop.run_until_complete(main())
    assert ran == ["a", "b"]
    assert [str(e.get("exception")) for e in errors] == ["boom"]


def test_callbacks_made_ready_during_a_turn_run_in_a_later_one(qloop: EventLoop) -> None:
    ran: list[tuple[str, int]] = []

    def first() -> None:
        ran.append(("first", qloop.turns))
        qloop.call_soon(lambda: ran.append(("later", qloop.turns)))

    async def main() -> None:
        qloop.call_soon(first)
        qloop.call_soon(lambda: ran.append(("second", qloop.turns)))
        await asyncio.sleep(0.05)

    qloop.run_until_complete(main())
    assert [name for name, _turn in ran] == ["first", "second", "later"]
    assert ran[0][1] == ran[1][1] < ran[2][1]


def test_timers_and_tasks_still_work(qloop: EventLoop) -> None:
    async def slow(x: int) -> int:
        await asyncio.sleep(0.02)
        return x * 2

    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        fired = loop.create_future()
        loop.call_later(0.03, fired.set_result, "late")
        results = await asyncio.gather(*(slow(i) for i in range(20)))
        assert await asyncio.wait_for(fired, 1) == "late"
        return results

    assert qloop.run_until_complete(main()) == [i * 2 for i in range(20)]


def test_call_soon_from_another_thread_still_runs(qloop: EventLoop) -> None:
    ran: list[str] = []

    async def main() -> None:
        thread = threading.Thread(target=lambda: qloop.call_soon(ran.append, "from a thread"))
        thread.start()
        thread.join()
        qloop.call_soon(ran.append, "after")
        await asyncio.sleep(0.1)

    qloop.run_until_complete(main())
    assert sorted(ran) == ["after", "from a thread"]


def test_a_lost_turn_is_asked_for_again(qloop: EventLoop) -> None:
    from onsembl_desktop.ui import event_loop

    ran: list[int] = []
    # A turn asked for long ago whose timer never fired: the next callback asks anew (checked
    # before the loop runs, so a regression fails here instead of hanging the loop below).
    qloop._turn_pending = True
    qloop._turn_asked = time.monotonic() - 2 * event_loop.LOST_TURN_S
    qloop.call_soon(ran.append, 1)
    assert time.monotonic() - qloop._turn_asked < event_loop.LOST_TURN_S
    qloop.run_until_complete(asyncio.sleep(0.05))
    assert ran == [1]
