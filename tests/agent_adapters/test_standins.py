"""The stand-in CLIs, run as real processes with the command lines the adapters build."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from onsembl_desktop.agent.adapters import base
from onsembl_desktop.protocol.enums import CommandStatus

from .samples import ADAPTERS, STREAMS, FakeClock, cli_of, expect, feed, request

STANDINS = Path(__file__).resolve().parents[1] / "standins"
REPLAYED = [
    STREAMS / "claude/agentclisdk-1760716800040-2-analysis-extracted.jsonl",
    STREAMS / "codex/untether-0.157.1-web-search-duplicate-id-commented.jsonl",
    STREAMS / "gemini/simmer-probe-shell-and-read-file.jsonl",
    STREAMS / "gemini/json-output/docs-headless-france-json-output.json",
]


def launch(cli: str, prompt: str = "hello", session: str | None = None) -> Any:
    adapter = ADAPTERS[cli](clock=FakeClock())
    spec = adapter.launch(
        request(prompt), cli=str(STANDINS / cli), extra_args=[], session_id=session
    )
    return adapter, spec


def run(cli: str, env: dict[str, str], prompt: str = "hello", session: str | None = None) -> Any:
    adapter, spec = launch(cli, prompt, session)
    proc = subprocess.run(
        spec.argv,
        input=spec.stdin_text,
        stdin=None if spec.stdin_text is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=30,
        check=False,
    )
    lines = proc.stdout.splitlines()
    return proc, feed(cli, lines, exit_code=proc.returncode, stderr=proc.stderr, adapter=adapter)


@pytest.mark.parametrize("path", REPLAYED, ids=lambda p: p.name)
def test_replay_through_the_adapter(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"sample missing: {path}")
    cli = cli_of(path)
    proc, parsed = run(cli, {"ONSEMBL_STANDIN_SAMPLE": str(path)})
    assert proc.returncode == 0
    expected = [
        line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    assert proc.stdout.splitlines() == expected
    exp = expect(path)
    assert parsed.final.status is exp.status is CommandStatus.COMPLETED
    assert len(parsed.tool_calls()) == len(exp.tool_ids)


@pytest.mark.parametrize("cli", ["claude", "codex", "gemini"])
def test_echo_resume_and_stdin_prompt(cli: str, tmp_path: Path) -> None:
    record = tmp_path / "argv.json"
    proc, parsed = run(cli, {"ONSEMBL_STANDIN_ARGV_FILE": str(record)}, "-v please", "sess-1")
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(record.read_text())
    assert seen["stdin"] == "-v please" and seen["session_id"] == "sess-1"
    assert parsed.final.status is CommandStatus.COMPLETED
    assert parsed.final.session_id == "sess-1"
    assert "Echo: -v please" in parsed.transcript
    assert parsed.final.usage is not None and parsed.final.usage.total_tokens == 15


def test_exit_code_stderr_and_truncation() -> None:
    path = STREAMS / "claude/agentcmd-doc-2.0.28-what-is-2plus2.jsonl"
    env = {
        "ONSEMBL_STANDIN_SAMPLE": str(path),
        "ONSEMBL_STANDIN_TRUNCATE": "2",
        "ONSEMBL_STANDIN_EXIT": "3",
        "ONSEMBL_STANDIN_STDERR": "crashed hard",
    }
    proc, parsed = run("claude", env)
    assert proc.returncode == 3 and len(proc.stdout.splitlines()) == 2
    assert parsed.final.status is CommandStatus.FAILED
    assert parsed.final.error == "crashed hard (claude exited with code 3 before its final result)"


def test_claude_needs_verbose_like_the_real_one() -> None:
    proc = subprocess.run(
        [str(STANDINS / "claude"), "-p", "x", "--output-format", "stream-json"],
        capture_output=True, text=True, timeout=30, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 1 and "requires --verbose" in proc.stderr


def test_usage_forever_grows_until_stopped_and_sigint_ends_it_like_claude() -> None:
    adapter, spec = launch("claude")
    env = {**os.environ, "ONSEMBL_STANDIN_MODE": "usage-forever", "ONSEMBL_STANDIN_INTERVAL": "0"}
    parser = adapter.parser(request(), started_at_ms=0)
    events: list[Any] = []
    with subprocess.Popen(
        spec.argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                events += parser.feed_line(line.rstrip("\n"))
                if sum(isinstance(e, base.UsageSoFar) for e in events) >= 12:
                    break
            proc.send_signal(signal.SIGINT)
            rest = proc.stdout.read()
            assert proc.wait(timeout=10) == 0
        finally:
            proc.kill()
    totals = [e.usage.total_tokens for e in events if isinstance(e, base.UsageSoFar)]
    assert totals == [101 * n for n in range(1, 13)]  # one event per tick, 101 tokens each
    events = [e for line in rest.splitlines() for e in parser.feed_line(line)]
    final = parser.finish(0, "")[-1]
    assert isinstance(final, base.Final) and final.status is CommandStatus.FAILED
    assert final.error == "Request was aborted."


def test_sleep_mode_finishes_after_its_sleep() -> None:
    proc, parsed = run("gemini", {"ONSEMBL_STANDIN_MODE": "sleep", "ONSEMBL_STANDIN_SLEEP": "0.05"})
    assert proc.returncode == 0 and parsed.final.status is CommandStatus.COMPLETED
