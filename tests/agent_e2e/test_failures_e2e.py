"""A missing or failing CLI: a clear AGENT_ERROR and a FAILED command, never a hang."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from tests.support import AgentProcess, AppProcess

from .e2e import Db, standin


def _agent_errors(db: Db, command_id: uuid.UUID) -> list[dict[str, object]]:
    return [json.loads(r["details"]) for r in db.audit("AGENT_ERROR", command_id)]


def test_missing_binary(app: AppProcess, start_agent: Callable[..., AgentProcess]) -> None:
    start_agent("c1", "claude", extra_args=["--cli", "/nonexistent"])
    app.wait_agent("c1")
    result = app.ctl("send", "--agent", "c1", "--wait", "hello", timeout=20)
    assert result.returncode == 1
    assert "FAILED" in result.stderr and "cannot start /nonexistent: not found" in result.stderr
    command_id = uuid.UUID(result.stdout.splitlines()[0])
    (error,) = _agent_errors(Db(app), command_id)
    assert error["code"] == "CLI_NOT_FOUND" and "/nonexistent" in str(error["message"])
    assert Db(app).run(command_id)["reason"] == "CLI_NOT_FOUND"
    assert app.wait_agent("c1")["activity"] == "IDLE"  # and it takes the next command


def test_binary_failing_with_stderr(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    message = "Error: Invalid API key · Please run /login"
    start_agent("g1", "gemini", **standin("gemini", mode="prompt-sample", exit="1", stderr=message))
    app.wait_agent("g1")
    # An empty "sample": the CLI prints nothing on stdout, its error on stderr, and exits 1.
    result = app.ctl("send", "--agent", "g1", "--wait", "/dev/null", timeout=20)
    assert result.returncode == 1 and message in result.stderr
    assert message in result.stdout  # its stderr is in the transcript too
    command_id = uuid.UUID(result.stdout.splitlines()[0])
    db = Db(app)
    run = db.run(command_id)
    assert run["status"] == "FAILED" and run["exit_code"] == 1 and message in run["error"]
    (error,) = _agent_errors(db, command_id)
    assert error["code"] == "CLI_ERROR" and message in str(error["message"])
