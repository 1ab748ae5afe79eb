"""``onsembl ctl`` counts in words: "1 queue", "2 queues" (it printed "1 queue(s)")."""

from __future__ import annotations

from onsembl_desktop.protocol import messages as m
from onsembl_desktop.words import plural

from .conftest import Live, submit
from .test_control_ids import ctl


def test_plural() -> None:
    assert [plural(n, "queue") for n in (0, 1, 2)] == ["0 queues", "1 queue", "2 queues"]
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(3, "entry", "entries") == "3 entries"


async def test_stop_all_and_resume_all_say_one_and_many_properly(live: Live) -> None:
    agent = await live.agent("w1")
    running = await submit(live, "w1", "sleep 30")
    assert (await agent.expect(m.CommandRequest)).command_id == running
    await submit(live, "w1", "echo next")
    code, out, err = await ctl(live, "stop-all")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1] == "stopped 1 running command"
    assert lines[3] == (
        "paused 1 queue with 1 waiting command; `onsembl ctl resume-all` resumes it"
    )
    code, out, err = await ctl(live, "resume-all")
    assert (code, out) == (0, "resumed 1 queue: w1\n"), err


async def test_stop_all_lists_a_command_with_empty_text(live: Live) -> None:
    # submit() refuses an empty command, but one read back from the database (restored after a
    # restart, or synced from another device) is not checked again: stop-all crashed on
    # ``"".splitlines()[0]``. The running command's text is emptied as such a row would be.
    agent = await live.agent("w1")
    running = await submit(live, "w1", "sleep 30")
    assert (await agent.expect(m.CommandRequest)).command_id == running
    live.core.commands._commands[running].content = ""
    code, out, err = await ctl(live, "stop-all")
    assert code == 0, err
    assert f"  w1: {str(running)[:8]}  (empty)" in out.splitlines()
