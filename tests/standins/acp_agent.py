#!/usr/bin/env python3
"""An ACP agent for tests, on the ACP Python SDK's agent side: it does what a test scripts.

The script is a JSON list of steps in ``$ONSEMBL_ACP_SCRIPT`` (a file); each prompt runs it:

* ``{"say": TEXT}`` / ``{"think": TEXT}`` — message and thought chunks (cut in pieces);
* ``{"plan": [[TEXT, STATUS], ...]}``;
* ``{"edit": PATH, "text": NEW}`` — a tool call (kind edit, diff content) that asks permission,
  then writes the file through ``fs/write_text_file`` if allowed (PATH relative to the session's
  cwd, or absolute);
* ``{"run": COMMAND}`` — a tool call (kind execute) that asks, then runs it in a client terminal;
* ``{"read": PATH}`` — reads a file through ``fs/read_text_file`` (no permission asked);
* ``{"usage": [INPUT, OUTPUT]}`` — the prompt's answer carries these token counts;
* ``{"sleep": SECONDS}``; ``{"stop": REASON}`` — the prompt ends with that stop reason.

Sessions are kept in ``$ONSEMBL_ACP_STATE`` (a folder), so ``session/load`` works across
processes, unless ``$ONSEMBL_ACP_NO_LOAD`` is set. Every prompt's text is appended to
``prompts.log`` there, with the session id, so a test sees what continued where.
"""

# ruff: noqa: ASYNC240, PTH110, PTH117, PTH118  (a test agent: small files, plain os.path)
from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import acp
from acp import schema as s

STATE = Path(os.environ.get("ONSEMBL_ACP_STATE", "."))
OPTIONS = [
    s.PermissionOption(option_id="allow", name="Allow", kind="allow_once"),
    s.PermissionOption(option_id="always", name="Always allow", kind="allow_always"),
    s.PermissionOption(option_id="reject", name="Reject", kind="reject_once"),
]


class ScriptedAgent:
    def __init__(self) -> None:
        self.conn: Any = None
        self.cwd: dict[str, str] = {}
        self.calls = 0

    def on_connect(self, conn: Any) -> None:
        self.conn = conn

    async def initialize(self, protocol_version: int, **_kw: Any) -> s.InitializeResponse:
        return s.InitializeResponse(
            protocol_version=acp.PROTOCOL_VERSION,
            agent_capabilities=s.AgentCapabilities(
                load_session=not os.environ.get("ONSEMBL_ACP_NO_LOAD")
            ),
            agent_info=s.Implementation(name="scripted-acp", version="1.0"),
        )

    async def new_session(self, cwd: str, **_kw: Any) -> s.NewSessionResponse:
        sid = f"sess-{uuid.uuid4().hex[:8]}"
        self.cwd[sid] = cwd
        (STATE / f"{sid}.json").write_text(json.dumps({"cwd": cwd, "history": []}))
        return s.NewSessionResponse(session_id=sid)

    async def load_session(self, cwd: str, session_id: str, **_kw: Any) -> s.LoadSessionResponse:
        path = STATE / f"{session_id}.json"
        if not path.exists():
            raise acp.RequestError.resource_not_found(session_id)
        self.cwd[session_id] = cwd
        for text in json.loads(path.read_text())["history"]:  # the replay a client must not show
            await self._send(session_id, acp.update_agent_message_text(f"(earlier) {text}"))
        return s.LoadSessionResponse()

    async def prompt(self, session_id: str, prompt: list[Any], **_kw: Any) -> s.PromptResponse:
        text = "".join(getattr(b, "text", "") for b in prompt)
        with (STATE / "prompts.log").open("a") as log:
            log.write(json.dumps({"session": session_id, "prompt": text}) + "\n")
        path = STATE / f"{session_id}.json"
        state = json.loads(path.read_text())
        state["history"].append(text)
        path.write_text(json.dumps(state))
        script = json.loads(Path(os.environ["ONSEMBL_ACP_SCRIPT"]).read_text())
        usage = None
        for step in script:
            if "say" in step:
                words = step["say"]
                for i in range(0, len(words), 7):
                    await self._send(session_id, acp.update_agent_message_text(words[i : i + 7]))
            elif "think" in step:
                await self._send(session_id, acp.update_agent_thought_text(step["think"]))
            elif "plan" in step:
                entries = [acp.plan_entry(t, status=st) for t, st in step["plan"]]
                await self._send(session_id, acp.update_plan(entries))
            elif "edit" in step:
                await self._edit(session_id, step["edit"], step["text"])
            elif "run" in step:
                await self._run(session_id, step["run"])
            elif "read" in step:
                target = self._path(session_id, step["read"])
                got = await self.conn.read_text_file(session_id=session_id, path=target)
                await self._send(session_id, acp.update_agent_message_text(got.content))
            elif "usage" in step:
                i, o = step["usage"]
                usage = s.Usage(input_tokens=i, output_tokens=o, total_tokens=i + o)
            elif "sleep" in step:
                await asyncio.sleep(step["sleep"])
            elif "stop" in step:
                return s.PromptResponse(stop_reason=step["stop"], usage=usage)
        return s.PromptResponse(stop_reason="end_turn", usage=usage)

    async def cancel(self, session_id: str, **_kw: Any) -> None:
        return None

    def _path(self, session_id: str, path: str) -> str:
        return path if os.path.isabs(path) else os.path.join(self.cwd[session_id], path)

    async def _ask(self, session_id: str, call: s.ToolCallUpdate) -> str | None:
        answer = await self.conn.request_permission(
            session_id=session_id, tool_call=call, options=OPTIONS
        )
        outcome = answer.outcome
        return getattr(outcome, "option_id", None) if outcome.outcome == "selected" else None

    async def _edit(self, session_id: str, path: str, text: str) -> None:
        self.calls += 1
        tid = f"call-{self.calls}"
        target = self._path(session_id, path)
        old = Path(target).read_text() if os.path.exists(target) else None
        diff = acp.tool_diff_content(target, text, old)
        await self._send(
            session_id,
            acp.start_tool_call(
                tid,
                f"Edit {path}",
                kind="edit",
                status="pending",
                content=[diff],
                locations=[s.ToolCallLocation(path=target)],
                raw_input={"file_path": target},
            ),
        )
        chosen = await self._ask(
            session_id, s.ToolCallUpdate(tool_call_id=tid, title=f"Edit {path}", kind="edit")
        )
        if chosen in ("allow", "always"):
            try:
                await self.conn.write_text_file(session_id=session_id, path=target, content=text)
                await self._send(session_id, acp.update_tool_call(tid, status="completed"))
            except acp.RequestError as exc:
                await self._send(
                    session_id,
                    acp.update_tool_call(
                        tid, status="failed", content=[acp.tool_content(acp.text_block(str(exc)))]
                    ),
                )
        else:
            await self._send(
                session_id,
                acp.update_tool_call(
                    tid, status="failed", content=[acp.tool_content(acp.text_block("rejected"))]
                ),
            )

    async def _run(self, session_id: str, command: str) -> None:
        self.calls += 1
        tid = f"call-{self.calls}"
        await self._send(
            session_id,
            acp.start_tool_call(
                tid, command, kind="execute", status="pending", raw_input={"command": command}
            ),
        )
        chosen = await self._ask(
            session_id, s.ToolCallUpdate(tool_call_id=tid, title=command, kind="execute")
        )
        if chosen not in ("allow", "always"):
            await self._send(
                session_id,
                acp.update_tool_call(
                    tid, status="failed", content=[acp.tool_content(acp.text_block("rejected"))]
                ),
            )
            return
        term = await self.conn.create_terminal(session_id=session_id, command=command)
        await self._send(
            session_id,
            acp.update_tool_call(
                tid, status="in_progress", content=[acp.tool_terminal_ref(term.terminal_id)]
            ),
        )
        done = await self.conn.wait_for_terminal_exit(
            session_id=session_id, terminal_id=term.terminal_id
        )
        await self._send(
            session_id,
            acp.update_tool_call(
                tid,
                status="completed" if done.exit_code == 0 else "failed",
                content=[acp.tool_terminal_ref(term.terminal_id)],
            ),
        )
        await self.conn.release_terminal(session_id=session_id, terminal_id=term.terminal_id)

    async def _send(self, session_id: str, update: Any) -> None:
        await self.conn.session_update(session_id=session_id, update=update)


if __name__ == "__main__":
    sys.exit(asyncio.run(acp.run_agent(ScriptedAgent())) or 0)
