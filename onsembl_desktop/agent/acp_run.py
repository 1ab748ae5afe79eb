"""One command of an ACP agent: its process, the JSON-RPC conversation, and what we serve it.

The agent process is started per command (like the other CLIs), so stops, limits, pausing and
the process containment apply unchanged; the conversation carries over with ``session/load``
where the agent offers it (a note says so where it does not). The ACP Python SDK speaks the
JSON-RPC; its messages travel over the command's :class:`~.process.PipeProcess` through
:class:`LineTransport`, so back-pressure holds them like any CLI's output.

What the agent asks of us:

* ``session/request_permission`` becomes an approval (``agent/approvals.py``);
* ``fs/read_text_file`` / ``fs/write_text_file`` and ``terminal/*`` are served inside the agent's
  working folder only: a path (after resolving links) or a terminal ``cwd`` outside it is refused;
  terminals are ended with the command.

What it says (``session/update``, the prompt's answer, errors) is written as JSON lines to the
parser of ``adapters/acp.py`` (the raw record of the command keeps them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import acp
from acp import schema as s

from .. import __version__
from ..protocol import messages as m
from ..protocol.approvals import Action
from ..protocol.enums import ApprovalChoice, ApprovalKind, ApprovalOutcome, ApprovalSource
from .adapters.acp import unified_diff
from .adapters.reports import report_prompt
from .approvals import Ask, CommandApprovals, answer_line, option_for
from .process import PipeProcess

log = logging.getLogger("onsembl.agent.acp")

EXIT_GRACE_S = 3.0  # after the answer, how long the agent may take to exit once stdin closes
TERMINAL_OUTPUT_LIMIT = 1 << 20
_KINDS = {
    "read": ApprovalKind.READ,
    "search": ApprovalKind.SEARCH,
    "think": ApprovalKind.THINK,
    "fetch": ApprovalKind.FETCH,
    "edit": ApprovalKind.EDIT,
    "delete": ApprovalKind.DELETE,
    "move": ApprovalKind.MOVE,
    "execute": ApprovalKind.EXECUTE,
}
_CHOICES = {
    "allow_once": ApprovalChoice.ALLOW_ONCE,
    "allow_always": ApprovalChoice.ALLOW_ALWAYS,
    "reject_once": ApprovalChoice.DENY,
    "reject_always": ApprovalChoice.DENY_ALWAYS,
}
_PATH_ARGS = ("file_path", "path", "absolute_path", "filePath", "notebook_path", "dir_path")

Emit = Callable[[str], None]  # one JSON line for the parser


class LineTransport:
    """An ACP SDK transport over the process's stdout lines and stdin."""

    def __init__(self, on_junk: Callable[[str], None]) -> None:
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._process: PipeProcess | None = None
        self._on_junk = on_junk

    def attach(self, process: PipeProcess) -> None:
        self._process = process

    def line(self, text: str) -> None:
        """A line the agent printed on stdout: a JSON-RPC message, or something to show."""
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("jsonrpc") == "2.0":
            self._queue.put_nowait(message)
        elif text.strip():
            self._on_junk(text)

    def eof(self) -> None:
        self._queue.put_nowait(None)

    async def send(self, message: dict[str, Any]) -> None:
        if self._process is None:
            raise ConnectionError("the agent has not started")
        await self._process.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")

    async def receive(self) -> dict[str, Any] | None:
        return await self._queue.get()

    async def close(self) -> None:
        if self._process is not None:
            self._process.close_stdin()


class Confined:
    """Paths inside one folder only (links resolved first)."""

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)

    def resolve(self, path: str) -> Path:
        if not Path(path).is_absolute():
            raise acp.RequestError.invalid_params({"path": path, "reason": "not an absolute path"})
        real = os.path.realpath(path)
        if real != self.root and not real.startswith(self.root.rstrip(os.sep) + os.sep):
            raise acp.RequestError(
                -32002, f"{path} is outside the agent's working folder {self.root}", {"path": path}
            )
        return Path(real)


class Terminal:
    """A command the agent asked us to run (``terminal/create``), its output kept in memory."""

    def __init__(self, proc: asyncio.subprocess.Process, limit: int) -> None:
        self.proc = proc
        self.limit = limit
        self.output = bytearray()
        self.truncated = False
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := await self.proc.stdout.read(65536):
            self.output += chunk
            if len(self.output) > self.limit:
                del self.output[: len(self.output) - self.limit]  # keep the end
                self.truncated = True

    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def exit_status(self) -> s.TerminalExitStatus | None:
        code = self.proc.returncode
        if code is None:
            return None
        if code < 0:
            return s.TerminalExitStatus(signal=f"signal {-code}")
        return s.TerminalExitStatus(exit_code=code)

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, 9)


class AcpRun:
    """The ACP side of one CommandRun (see the module's doc)."""

    def __init__(
        self,
        request: m.CommandRequest,
        cwd: str,
        approvals: CommandApprovals | None,
        session_id: str | None,
        emit: Emit,
        on_junk: Callable[[str], None],
    ) -> None:
        self.request = request
        self.cwd = cwd
        self.approvals = approvals
        self.session_id = session_id
        self.emit_line = emit
        self.transport = LineTransport(on_junk)
        self.files = Confined(cwd)
        self.terminals: dict[str, Terminal] = {}
        self.tool_calls: dict[str, dict[str, Any]] = {}  # what each tool call said so far
        self.loading = False  # session/load replays the history: not this command's transcript
        self.answered = False  # the prompt's answer came: the exit that follows is ours
        self.conn: acp.core.ClientSideConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._process: PipeProcess | None = None
        self._cancelled = False

    # --- driving -------------------------------------------------------------------------------

    def start(self, process: PipeProcess) -> None:
        self._process = process
        self.transport.attach(process)
        self.conn = acp.connect_to_agent(self, self.transport)
        self._task = asyncio.get_running_loop().create_task(self._converse())

    def cancel(self) -> None:
        """The command is being stopped: tell the agent (the process is stopped anyway)."""
        if self._cancelled or self.conn is None or self.session_id is None:
            return
        self._cancelled = True
        session = self.session_id
        conn = self.conn

        async def send() -> None:
            with contextlib.suppress(Exception):
                await conn.cancel(session_id=session)

        asyncio.get_running_loop().create_task(send())

    async def close(self) -> None:
        """The process exited: end the conversation and every terminal it left."""
        self.transport.eof()
        if self._task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), 1.0)
            if not self._task.done():
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        for terminal in self.terminals.values():
            terminal.kill()
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await self.conn.close()

    def exit_code(self, code: int | None) -> int | None:
        """The process's exit as the command reports it: ours to end after the answer, so 0."""
        return 0 if self.answered and code is not None else code

    async def _converse(self) -> None:
        assert self.conn is not None
        try:
            init = await self.conn.initialize(
                protocol_version=acp.PROTOCOL_VERSION,
                client_capabilities=s.ClientCapabilities(
                    fs=s.FileSystemCapabilities(read_text_file=True, write_text_file=True),
                    terminal=True,
                ),
                client_info=s.Implementation(name="onsembl-agent", version=__version__),
            )
            caps = init.agent_capabilities or s.AgentCapabilities()
            info = init.agent_info
            self.emit(
                {
                    "type": "initialize",
                    "agentInfo": info.model_dump(by_alias=True, mode="json") if info else {},
                    "protocolVersion": init.protocol_version,
                    "loadSession": bool(caps.load_session),
                }
            )
            await self._open_session(bool(caps.load_session))
            assert self.session_id is not None
            answer = await self.conn.prompt(
                session_id=self.session_id,
                prompt=[s.TextContentBlock(type="text", text=report_prompt(self.request))],
            )
            self.answered = True
            usage = answer.usage.model_dump(by_alias=True, mode="json") if answer.usage else None
            self.emit({"type": "result", "stopReason": answer.stop_reason, "usage": usage})
        except asyncio.CancelledError:
            raise
        except acp.RequestError as exc:
            data = f" ({json.dumps(exc.data)[:500]})" if exc.data else ""
            self.emit({"type": "error", "message": f"{exc}{data}", "code": exc.code})
        except Exception as exc:  # the process died, or spoke something that is not ACP
            log.info("ACP conversation ended: %r", exc)
            self.emit({"type": "error", "message": f"the ACP agent failed: {exc}"})
        await self._end_process()

    async def _open_session(self, can_load: bool) -> None:
        assert self.conn is not None
        previous = self.session_id
        note = None
        if previous and can_load:
            self.loading = True
            try:
                await self.conn.load_session(cwd=self.cwd, session_id=previous, mcp_servers=[])
                self.emit({"type": "session", "sessionId": previous, "loaded": True})
                return
            except acp.RequestError as exc:
                note = f"could not resume the conversation {previous} ({exc}): a new one starts"
            finally:
                self.loading = False
        elif previous:
            note = (
                "this agent cannot resume a conversation (it offers no session/load): "
                "a new one starts"
            )
        created = await self.conn.new_session(cwd=self.cwd, mcp_servers=[])
        self.session_id = created.session_id
        event: dict[str, Any] = {"type": "session", "sessionId": created.session_id}
        if note:
            event["note"] = note
        self.emit(event)

    async def _end_process(self) -> None:
        """ACP agents serve until their stdin closes: close it, then stop one that lingers."""
        process = self._process
        if process is None or process.proc is None:
            return
        process.close_stdin()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + EXIT_GRACE_S
        # (polled: the Process's own wait also waits for its pipes, which a child may hold)
        while process.proc.returncode is None and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if process.proc.returncode is None:
            process.stop()

    def emit(self, event: dict[str, Any]) -> None:
        self.emit_line(json.dumps(event, ensure_ascii=False))

    # --- the ACP Client interface (called by the SDK) ------------------------------------------

    async def session_update(self, session_id: str, update: Any, **_kw: Any) -> None:
        if self.loading or (self.session_id is not None and session_id != self.session_id):
            return
        data = update.model_dump(by_alias=True, exclude_none=True, mode="json")
        if data.get("sessionUpdate") in ("tool_call", "tool_call_update"):
            self._remember_tool(data)
        self.emit({"type": "update", "update": data})

    async def request_permission(
        self,
        session_id: str,
        tool_call: s.ToolCallUpdate,
        options: list[s.PermissionOption],
        **_kw: Any,
    ) -> s.RequestPermissionResponse:
        call = self._remember_tool(
            tool_call.model_dump(by_alias=True, exclude_none=True, mode="json")
        )
        offered = tuple(
            m.ApprovalOption(id=o.option_id[:1024], choice=_CHOICES[o.kind], label=o.name[:1024])
            for o in options
            if o.kind in _CHOICES
        )
        ask = self._ask(call, offered)
        tool_id = str(call.get("toolCallId"))
        if self.approvals is None:
            answer = m.ApprovalAnswer(
                outcome=ApprovalOutcome.DENIED,
                source=ApprovalSource.UNSUPPORTED,
            )
        else:
            answer = await self.approvals.ask(ask, on_wait=lambda rid: self._waiting(call, rid))
        request_id = self.approvals.request_id(ask.key) if self.approvals is not None else None
        self.emit(
            {
                "type": "approval",
                "toolCallId": tool_id,
                "requestId": str(request_id) if request_id else None,
                "outcome": answer.outcome.value,
                "source": answer.source.value,
                "message": answer.message,
                "line": answer_line(answer),
            }
        )
        chosen = option_for(answer, offered)
        if chosen is None or (
            answer.outcome is ApprovalOutcome.DENIED
            and not any(o.id == chosen and not o.choice.allows for o in offered)
        ):
            return s.RequestPermissionResponse(outcome=s.DeniedOutcome(outcome="cancelled"))
        return s.RequestPermissionResponse(
            outcome=s.AllowedOutcome(outcome="selected", option_id=chosen)
        )

    def _waiting(self, call: dict[str, Any], request_id: object) -> None:
        self.emit(
            {
                "type": "permission",
                "toolCallId": call.get("toolCallId"),
                "title": call.get("title") or "a tool call",
                "kind": call.get("kind"),
                "rawInput": call.get("rawInput"),
                "requestId": str(request_id),
                "waiting": True,
            }
        )

    async def read_text_file(
        self,
        session_id: str,
        path: str,
        line: int | None = None,
        limit: int | None = None,
        **_kw: Any,
    ) -> s.ReadTextFileResponse:
        target = self.files.resolve(path)

        def read() -> str:
            text = target.read_text(encoding="utf-8", errors="replace")
            if line is None and limit is None:
                return text
            lines = text.splitlines(keepends=True)
            start = max(0, (line or 1) - 1)
            end = start + limit if limit is not None else None
            return "".join(lines[start:end])

        try:
            return s.ReadTextFileResponse(content=await asyncio.to_thread(read))
        except FileNotFoundError:
            raise acp.RequestError.resource_not_found(path) from None
        except OSError as exc:
            raise acp.RequestError.internal_error({"path": path, "error": str(exc)}) from None

    async def write_text_file(
        self, session_id: str, path: str, content: str, **_kw: Any
    ) -> s.WriteTextFileResponse:
        target = self.files.resolve(path)

        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            raise acp.RequestError.internal_error({"path": path, "error": str(exc)}) from None
        return s.WriteTextFileResponse()

    async def create_terminal(
        self,
        session_id: str,
        command: str,
        args: list[str] | None = None,
        env: list[s.EnvVariable] | None = None,
        cwd: str | None = None,
        output_byte_limit: int | None = None,
        **_kw: Any,
    ) -> s.CreateTerminalResponse:
        folder = str(self.files.resolve(cwd)) if cwd else self.cwd
        environment = dict(os.environ)
        environment.update({v.name: v.value for v in env or []})
        argv = [command, *(args or [])]
        if not args and any(c.isspace() for c in command):  # a whole command line
            argv = [os.environ.get("SHELL") or "/bin/sh", "-c", command]
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=folder,
                env=environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise acp.RequestError.internal_error({"command": command, "error": str(exc)}) from None
        limit = min(output_byte_limit or TERMINAL_OUTPUT_LIMIT, TERMINAL_OUTPUT_LIMIT)
        terminal_id = f"term-{len(self.terminals) + 1}"
        self.terminals[terminal_id] = Terminal(proc, limit)
        return s.CreateTerminalResponse(terminal_id=terminal_id)

    def _terminal(self, terminal_id: str) -> Terminal:
        terminal = self.terminals.get(terminal_id)
        if terminal is None:
            raise acp.RequestError.invalid_params({"terminalId": terminal_id, "reason": "unknown"})
        return terminal

    async def terminal_output(
        self, session_id: str, terminal_id: str, **_kw: Any
    ) -> s.TerminalOutputResponse:
        terminal = self._terminal(terminal_id)
        return s.TerminalOutputResponse(
            output=terminal.text(), truncated=terminal.truncated, exit_status=terminal.exit_status()
        )

    async def wait_for_terminal_exit(
        self, session_id: str, terminal_id: str, **_kw: Any
    ) -> s.WaitForTerminalExitResponse:
        terminal = self._terminal(terminal_id)
        await terminal.proc.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await terminal.reader
        status = terminal.exit_status() or s.TerminalExitStatus()
        return s.WaitForTerminalExitResponse(exit_code=status.exit_code, signal=status.signal)

    async def kill_terminal(
        self, session_id: str, terminal_id: str, **_kw: Any
    ) -> s.KillTerminalResponse:
        self._terminal(terminal_id).kill()
        return s.KillTerminalResponse()

    async def release_terminal(
        self, session_id: str, terminal_id: str, **_kw: Any
    ) -> s.ReleaseTerminalResponse:
        terminal = self.terminals.pop(terminal_id, None)
        if terminal is not None:
            terminal.kill()
        return s.ReleaseTerminalResponse()

    async def create_elicitation(
        self, message: str, mode: Any, **_kw: Any
    ) -> s.DeclineElicitationResponse:
        # Questions beyond approvals (forms, links to open) have no place in Onsembl yet.
        return s.DeclineElicitationResponse(action="decline")

    async def complete_elicitation(self, elicitation_id: str, **_kw: Any) -> None:
        return None

    async def ext_method(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise acp.RequestError.method_not_found(method)

    async def ext_notification(self, method: str, params: dict[str, Any]) -> None:
        return None

    def on_connect(self, conn: Any) -> None:
        return None

    # --- tool calls ----------------------------------------------------------------------------

    def _remember_tool(self, data: dict[str, Any]) -> dict[str, Any]:
        """Merge what a tool call said into what we know of it (an update names only changes).
        Terminal content gets the terminal's output, for the transcript and the trace."""
        for item in data.get("content") or []:
            if isinstance(item, dict) and item.get("type") == "terminal":
                terminal = self.terminals.get(str(item.get("terminalId")))
                if terminal is not None:
                    item["output"] = terminal.text()[-8000:]
        key = str(data.get("toolCallId"))
        known = self.tool_calls.setdefault(key, {})
        known.update({k: v for k, v in data.items() if k != "sessionUpdate"})
        return known

    def _ask(self, call: dict[str, Any], options: tuple[m.ApprovalOption, ...]) -> Ask:
        kind = _KINDS.get(str(call.get("kind")), ApprovalKind.OTHER)
        raw = call.get("rawInput")
        raw_args = raw if isinstance(raw, dict) else {}
        title = str(call.get("title") or "tool call")
        paths: list[str] = [
            str(loc["path"]) for loc in call.get("locations") or [] if isinstance(loc, dict)
        ]
        diffs: list[str] = []
        for item in call.get("content") or []:
            if isinstance(item, dict) and item.get("type") == "diff":
                path = str(item.get("path"))
                paths.append(path)
                diffs.append(unified_diff(path, item.get("oldText"), str(item.get("newText", ""))))
        for name in _PATH_ARGS:
            if isinstance(raw_args.get(name), str):
                paths.append(raw_args[name])
        shell = None
        if kind is ApprovalKind.EXECUTE:
            command = raw_args.get("command", raw_args.get("cmd"))
            if isinstance(command, list):
                command = " ".join(str(x) for x in command)
            shell = str(command) if command else title
        unique = tuple(dict.fromkeys(p for p in paths if p))
        return Ask(
            key=str(call.get("toolCallId")),
            # ACP has no stable tool names (a title says "Edit src/a.py"): rules go by the kind
            action=Action(
                kind, str(call.get("kind") or "other"), shell_command=shell, paths=unique
            ),
            title=title,
            diff="".join(diffs) or None,
            arguments=raw_args,
            options=options,
        )
