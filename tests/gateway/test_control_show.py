"""``onsembl ctl show``: a command's stored output of any size, a page at a time.

The real CLI, in its own process, against the real app (port 0) with its real store.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

from onsembl_desktop.protocol import control as c
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus

from .conftest import Live, RawAgent, submit

# `onsembl` in this interpreter, reporting its own peak memory on stderr's last line (VmHWM, in
# KiB: getrusage's maxrss would count the test process it was forked from).
RUN_CLI = """
import re, sys
from onsembl_desktop.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
try:
    status = open("/proc/self/status").read()
    print(re.search(r"VmHWM:\\s*(\\d+)", status).group(1), file=sys.stderr)
except OSError:  # not Linux
    print(0, file=sys.stderr)
sys.exit(code)
"""


async def run_ctl(live: Live, *args: str) -> tuple[int, bytes, str, int]:
    """``onsembl ctl ARGS`` as a separate process: exit code, stdout, stderr, peak RSS in MiB."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RUN_CLI,
        "ctl",
        "--data-dir",
        str(live.data_dir),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    lines = err.decode().splitlines()
    return proc.returncode, out, "\n".join(lines[:-1]), int(lines[-1]) // 1024


def chunk(i: int, size: int) -> str:
    """Output chunk ``i``: coloured numbered lines (escape codes cost 6 bytes each in JSON)."""
    lines = []
    n = 0
    while n < size:
        line = f"\x1b[32mchunk {i:05d}\x1b[0m line {len(lines):05d} {'x' * 40}\n"
        lines.append(line)
        n += len(line)
    return "".join(lines)


async def run_command(live: Live, agent: RawAgent, chunks: list[str]) -> uuid.UUID:
    """A command sent to ``agent`` that prints ``chunks`` and completes; all of it stored."""
    command_id = await submit(live, agent.name, "print a lot")
    assert (await agent.expect(m.CommandRequest)).command_id == command_id
    await agent.send(m.CommandAck(seq=agent.next_seq(), command_id=command_id))
    for i, data in enumerate(chunks, 1):
        seq = await agent.output(command_id, data)
        if i % 4 == 0:  # a few MiB at a time: the app pauses reading an agent far ahead of its disk
            await agent.ack_reaching(seq, within=30)
    done = agent.next_seq()
    await agent.send(
        m.CommandComplete(seq=done, command_id=command_id, status=CommandStatus.COMPLETED)
    )
    await agent.ack_reaching(done, within=30)
    return command_id


async def test_ctl_show_prints_output_larger_than_a_control_message(live: Live) -> None:
    # Made before the agent connects: this blocks the loop the app and the agent's heartbeats
    # share.
    chunks = [chunk(i, 512 * 1024) for i in range(40)]  # 20 MiB of text, ~32 MB as JSON
    output = "".join(chunks)
    assert len(output) > c.MAX_REPLY_BYTES
    agent = await live.agent("sh1")
    small = await run_command(live, agent, ["just a line\n"])
    big = await run_command(live, agent, chunks)

    code, out, err, small_rss = await run_ctl(live, "show", str(small))
    assert code == 0, err
    assert out.decode().endswith("\n\njust a line\n")

    code, out, err, big_rss = await run_ctl(live, "show", str(big))
    assert code == 0, err
    header, sep, printed = out.decode().partition("\n\n")
    assert sep and f"command {big}  COMPLETED" in header and "sh1: COMPLETED" in header
    assert printed == output  # all of it, in order
    # A page at a time: far less memory than the output (20 MiB, as a str and as JSON).
    if big_rss:
        assert big_rss - small_rss < 16, (small_rss, big_rss)

    code, out, err, _rss = await run_ctl(live, "show", str(big), "--json")
    assert code == 0, err
    view = json.loads(out)
    assert view["id"] == str(big) and view["status"] == "COMPLETED" and "next" not in view
    seqs = [o["seq"] for o in view["output"]]
    assert len(seqs) == len(chunks) and seqs == sorted(seqs)
    assert "".join(o["data"] for o in view["output"]) == output


async def test_show_pages_follow_the_cursor_and_bad_ids_are_clear_errors(live: Live) -> None:
    agent = await live.agent("sh1")
    command_id = await run_command(live, agent, [f"line {i}\n" for i in range(25)])
    ctl = await live.control()
    seen: list[str] = []
    page: dict[str, Any] = {"next": {}}
    while page["next"] is not None:
        page = await ctl.call("commands.show", commandId=str(command_id), limit=10, **page["next"])
        assert len(page["output"]) <= 10
        seen.extend(o["data"] for o in page["output"])
    assert seen == [f"line {i}\n" for i in range(25)]

    reply = await ctl.request("commands.show", commandId=str(command_id), afterSeq=3)
    assert reply.error is not None and "afterSeq and afterId go together" in reply.error.message

    unknown = uuid.uuid4()
    code, _out, err, _rss = await run_ctl(live, "show", str(unknown))
    assert code == 2 and err == f"onsembl ctl: no command {unknown}"
    code, _out, err, _rss = await run_ctl(live, "show", "not-an-id")
    assert code == 2
    assert err == "onsembl ctl: no command id starts with 'not-an-id'"
