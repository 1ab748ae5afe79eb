"""``onsembl ctl … | head``: a reader that stops reading ends the command quietly (exit 0, nothing
on stderr), whichever subcommand, whether its stdout is buffered or not.

The real CLI, in its own process, against the real app (port 0).
"""

from __future__ import annotations

import asyncio
import os
import shlex
import sys

import pytest

from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus
from tests.support import env_for_children

from .conftest import Live, submit

LISTINGS = [
    ["agents"],
    ["agents", "--json"],
    ["audit"],
    ["audit", "--json"],
    ["history"],
    ["queue"],
    ["show", "{id}"],
    ["show", "{id}", "--json"],
    ["traces", "{id}"],
    ["presets", "list"],
    ["tokens", "list"],
]


async def finished_command(live: Live, output: str) -> str:
    """A command agent ``p1`` ran, printing ``output`` (all of it stored); its id."""
    agent = await live.agent("p1")
    command_id = await submit(live, "p1", "print")
    await agent.expect(m.CommandRequest)
    await agent.send(m.CommandAck(seq=agent.next_seq(), command_id=command_id))
    step = 256 * 1024
    for start in range(0, len(output), step):
        await agent.output(command_id, output[start : start + step])
    done = agent.next_seq()
    await agent.send(
        m.CommandComplete(seq=done, command_id=command_id, status=CommandStatus.COMPLETED)
    )
    await agent.ack_reaching(done, within=30)
    return str(command_id)


def ctl_argv(live: Live, *args: str) -> list[str]:
    return [sys.executable, "-m", "onsembl_desktop", "ctl", "--data-dir", str(live.data_dir), *args]


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
async def test_every_listing_into_a_closed_pipe_ends_quietly(live: Live, buffered: bool) -> None:
    """The reader is gone before the first write: each write, or the last flush, meets EPIPE."""
    command_id = await finished_command(live, "line\n" * 1000)
    env = env_for_children()
    if buffered:
        env.pop("PYTHONUNBUFFERED")
    for listing in LISTINGS:
        args = [a.format(id=command_id) for a in listing]
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            proc = await asyncio.create_subprocess_exec(
                *ctl_argv(live, *args), stdout=write_end, stderr=asyncio.subprocess.PIPE, env=env
            )
        finally:
            os.close(write_end)
        _out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert (proc.returncode, err.decode()) == (0, ""), args


async def test_show_piped_into_head_ends_quietly(live: Live) -> None:
    """`onsembl ctl show ID | head -n 3` in a shell: head leaves after three lines of many."""
    lines = [f"line {i:06d} {'x' * 60}\n" for i in range(30_000)]  # 2 MiB: far past a pipe's room
    command_id = await finished_command(live, "".join(lines))
    for show in (["show", command_id], ["show", command_id, "--json"]):
        script = f"set -o pipefail; {shlex.join(ctl_argv(live, *show))} | head -n 3"
        proc = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            script,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env_for_children(),
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert (proc.returncode, err.decode()) == (0, ""), show
        assert len(out.decode().splitlines()) == 3
