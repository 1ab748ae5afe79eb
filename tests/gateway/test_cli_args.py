"""``--data-dir`` anywhere on the command line (README: every subcommand takes it), and output
into a reader that has gone (``onsembl token | head -c 8``) ending quietly.

The real CLI, in its own process, against the real app (port 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from onsembl_desktop.cli import build_parser
from tests.support import env_for_children

from .conftest import Live


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [path]
    for name, child in subs[0].choices.items():
        found += _leaves(child, (*path, name))
    return found


def test_every_subcommand_takes_data_dir() -> None:
    parser = build_parser()
    leaves = _leaves(parser)
    assert ("ctl", "agents") in leaves and ("ctl", "agent", "stop") in leaves
    missing = []
    for path in leaves:
        node = parser
        for name in path:
            sub = next(a for a in node._actions if isinstance(a, argparse._SubParsersAction))
            node = sub.choices[name]
        if not any("--data-dir" in a.option_strings for a in node._actions):
            missing.append(" ".join(path))
    assert missing == []


def test_data_dir_given_after_the_subcommand_wins_and_before_it_stays(tmp_path: Path) -> None:
    parser = build_parser()
    after = parser.parse_args(["ctl", "agents", "--data-dir", str(tmp_path / "a")])
    assert after.data_dir == tmp_path / "a"
    before = parser.parse_args(["--data-dir", str(tmp_path / "b"), "ctl", "agents"])
    assert before.data_dir == tmp_path / "b"
    middle = parser.parse_args(["ctl", "--data-dir", str(tmp_path / "c"), "tokens", "list"])
    assert middle.data_dir == tmp_path / "c"


async def _onsembl(*args: str, stdout: int = asyncio.subprocess.PIPE) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "onsembl_desktop",
        *args,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
        env=env_for_children(),
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, (out or b"").decode(), err.decode()


async def test_ctl_agents_with_data_dir_after_the_subcommand(live: Live) -> None:
    await live.agent("d1")
    code, out, err = await _onsembl("ctl", "agents", "--json", "--data-dir", str(live.data_dir))
    assert code == 0, err
    assert [a["name"] for a in json.loads(out)] == ["d1"]


async def test_token_into_a_reader_that_has_gone_ends_quietly(tmp_path: Path) -> None:
    """The reader is gone before the first write (what `| head -c 8` comes to when head wins the
    race): the write, or the last flush, meets EPIPE."""
    for args in (["token"], ["token", "--fingerprint"]):
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            code, _out, err = await _onsembl(
                "--data-dir", str(tmp_path / "data"), *args, stdout=write_end
            )
        finally:
            os.close(write_end)
        assert (code, err) == (0, ""), args
