"""Local agents: ``onsembl-agent`` processes the app launches and supervises on this machine.

The user adds an agent (name, type, working directory, CLI path and arguments); the app runs
``onsembl-agent`` for it (``launcher.agent_command()``: ``python -m onsembl_desktop.agent`` or the
bundle's binary) pointed at its own gateway, with the agent token in the environment (not on the
command line, where ``ps`` would show it), logging to ``DATA_DIR/logs/agent-NAME.log``.

* A crash (a non-zero exit or a signal) is followed by a restart after a backoff (1 s, doubling up
  to a minute; back to 1 s once an agent has run for 30 s). An exit with status 0 is the agent
  leaving when asked (AGENT_CONTROL STOP, SIGTERM): it is not restarted.
* An exit with status 2 is fatal: the app refused the agent in a way retrying cannot fix (its name
  is bound to another token, a rejected token or certificate) or its arguments are wrong. It is
  not restarted: the agent goes to FAILED with the last line it wrote to its log as the reason
  (audited as AGENT_ERROR ``LOCAL_AGENT_FAILED``) until the user starts it again. It stays
  enabled, so the next app start tries it once more.
* A deliberate stop (``stop_agent``, ``remove``) is never followed by a restart, and the agent stays
  stopped across app restarts until started again (``enabled`` is saved).
* When the app quits it stops its local agents, and starts the enabled ones again next time.
  After an app *crash* they are still running: the next start takes over a process it recognises
  (same pid and start time) if it talks to the same address, else stops it and starts afresh.

The list is machine-local (paths, binaries), so it is kept in ``DATA_DIR/local_agents.json``
(0600), not in the synced database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from pathlib import Path
from typing import IO, Any

from ..launcher import FATAL_EXIT, agent_command
from ..paths import LOG_DIR
from ..protocol import messages as m
from ..protocol.enums import AgentStatus, AuditEventType, ControlAction
from ..protocol.messages import AGENT_NAME_RULE, is_agent_name
from .agents import AgentRegistry
from .audit import Audit
from .commands import CommandError
from .events import EventBus, LocalAgentChanged, LocalAgentRemoved
from .jsonfile import JsonFile
from .records import LocalAgentInfo, LocalAgentSpec
from .records import LocalAgentState as S
from .supervised import (
    Supervised,
    checked_spec,
    from_json,
    log_tail,
    same_process,
    send_signal,
    start_time,
    to_json,
)

log = logging.getLogger("onsembl.core.supervisor")

FILE_NAME = "local_agents.json"
LOG_ROTATE_BYTES = 5 * 1024 * 1024
TAIL_LINES = 10  # of a failed run's log, kept in the audit
REASON_CHARS = 500  # the reason shown: its last line, at most this long


class Supervisor:
    def __init__(
        self,
        data_dir: Path,
        bus: EventBus,
        audit: Audit,
        agents: AgentRegistry,
        *,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 60.0,
        stable_after_s: float = 30.0,
        stop_timeout_s: float = 10.0,
    ) -> None:
        self._file = JsonFile(data_dir / FILE_NAME)
        self._log_dir = data_dir / LOG_DIR
        self._bus = bus
        self._audit = audit
        self._registry = agents
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.stable_after_s = stable_after_s
        self.stop_timeout_s = stop_timeout_s
        self._agents: dict[str, Supervised] = {}
        self._url = ""
        self._token = ""
        self._closing = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- app lifecycle ---------------------------------------------------------------------------

    async def start(self, url: str, token: str) -> None:
        """Load the saved list and bring up the enabled agents (once the gateway listens)."""
        self._url, self._token = url, token
        saved = await self._file.load({})
        for item in saved.get("agents", []) if isinstance(saved, dict) else []:
            try:
                agent = from_json(item)
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("skipping a bad local agent entry in %s: %s", FILE_NAME, exc)
                continue
            self._agents[agent.spec.name] = agent
        await asyncio.gather(*(self._bring_up(a) for a in self._agents.values() if a.enabled))
        self._save()

    async def close(self) -> None:
        """The app is quitting: stop every local agent (they stay enabled for the next start)."""
        self._closing = True
        for agent in self._agents.values():
            _cancel_restart(agent)
        await asyncio.gather(
            *(self._stop_process(a) for a in self._agents.values() if a.watcher is not None)
        )
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._save()
        await self._file.flush()

    # --- reading ---------------------------------------------------------------------------------

    def all(self) -> list[LocalAgentInfo]:
        return [self._info(a) for a in sorted(self._agents.values(), key=lambda a: a.spec.name)]

    def get(self, name: str) -> LocalAgentInfo | None:
        agent = self._agents.get(name)
        return self._info(agent) if agent else None

    def is_local(self, name: str) -> bool:
        return name in self._agents

    def log_path(self, name: str) -> Path:
        return self._log_dir / f"agent-{name}.log"

    # --- user actions ----------------------------------------------------------------------------

    async def add(self, spec: LocalAgentSpec, *, start: bool = True) -> LocalAgentInfo:
        """Add a local agent (and launch it, unless ``start`` is False)."""
        if not is_agent_name(spec.name):
            raise CommandError(f"{spec.name!r} is not a valid agent name ({AGENT_NAME_RULE})")
        if spec.name in self._agents:
            raise CommandError(f"there already is a local agent named {spec.name!r}")
        known = self._registry.by_name(spec.name)
        if known is not None and known.status is AgentStatus.ONLINE:
            raise CommandError(f"an agent named {spec.name!r} is connected already")
        spec = await asyncio.get_running_loop().run_in_executor(None, checked_spec, spec)
        agent = Supervised(spec, enabled=start)
        self._agents[spec.name] = agent
        self._save()
        self._record(
            AuditEventType.AGENT_CONTROL,
            spec.name,
            action="ADD",
            type=spec.type.value,
            cwd=spec.cwd,
            cli=spec.cli,
            cli_args=list(spec.cli_args),
        )
        if start:
            await self._launch(agent)
        else:
            self._publish(agent)
        return self._info(agent)

    async def remove(self, name: str) -> None:
        await self._stop(self._need(name))
        del self._agents[name]
        self._save()
        self._record(AuditEventType.AGENT_CONTROL, name, action="REMOVE")
        self._bus.publish(LocalAgentRemoved(name))

    async def start_agent(self, name: str) -> LocalAgentInfo:
        agent = self._need(name)
        self._record(AuditEventType.AGENT_CONTROL, name, action="START", via="supervisor")
        await self._start(agent)
        return self._info(agent)

    async def stop_agent(self, name: str) -> LocalAgentInfo:
        """Stop it and keep it stopped (no automatic restart, not relaunched on the next start)."""
        agent = self._need(name)
        self._record(AuditEventType.AGENT_CONTROL, name, action="STOP", via="supervisor")
        await self._stop(agent)
        return self._info(agent)

    async def restart_agent(self, name: str) -> LocalAgentInfo:
        agent = self._need(name)
        self._record(AuditEventType.AGENT_CONTROL, name, action="RESTART", via="supervisor")
        await self._stop(agent)
        await self._start(agent)
        return self._info(agent)

    async def _start(self, agent: Supervised) -> None:
        agent.enabled = True
        _cancel_restart(agent)
        if agent.watcher is None:
            await self._launch(agent)
        self._save()

    async def _stop(self, agent: Supervised) -> None:
        agent.enabled = False
        _cancel_restart(agent)
        if agent.watcher is not None:
            await self._stop_process(agent)
        else:
            agent.state = S.STOPPED
            agent.error = None
            self._publish(agent)
        self._save()

    # --- processes -------------------------------------------------------------------------------

    async def _bring_up(self, agent: Supervised) -> None:
        if agent.pid is not None and await self._adopt(agent):
            return
        await self._launch(agent)

    async def _adopt(self, agent: Supervised) -> bool:
        """Take over the agent's process left by an app that crashed, if it is still ours."""
        if not same_process(agent.pid, agent.pid_started):
            return False
        if agent.url != self._url:
            log.info("local agent %s runs for another address; replacing it", agent.spec.name)
            agent.watcher = self._spawn(self._watch_adopted(agent))
            await self._stop_process(agent)
            return False
        log.info("taking over local agent %s (pid %s)", agent.spec.name, agent.pid)
        agent.state = S.RUNNING
        agent.launched_at = asyncio.get_running_loop().time()
        agent.watcher = self._spawn(self._watch_adopted(agent))
        self._publish(agent)
        return True

    async def _launch(self, agent: Supervised) -> None:
        spec = agent.spec
        loop = asyncio.get_running_loop()
        argv = [
            *agent_command(),
            *("--server", self._url, "--name", spec.name),
            *("--type", spec.type.value.lower(), "--cwd", spec.cwd),
            *(("--cli", spec.cli) if spec.cli else ()),
            *(f"--cli-arg={arg}" for arg in spec.cli_args),  # '=': an argument may start with '-'
            *(("--interactive",) if spec.interactive else ()),
        ]
        env = {**os.environ, "ONSEMBL_TOKEN": self._token, "PYTHONUNBUFFERED": "1"}
        agent.state = S.STARTING
        agent.deliberate = False
        agent.error = None
        log_file = await loop.run_in_executor(None, self._open_log, spec.name)
        agent.log_offset = log_file.tell()  # (opened to append: its end)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                # Its own session: Ctrl+C in the app's terminal is not for it, and it outlives
                # an app crash (the next start takes it over).
                start_new_session=True,
            )
        except OSError as exc:
            log.error("cannot launch local agent %s: %s", spec.name, exc)
            self._exited(agent, None, f"cannot launch: {exc}")
            return
        finally:
            log_file.close()
        agent.proc = proc
        agent.pid = proc.pid
        agent.pid_started = start_time(proc.pid)
        agent.url = self._url
        agent.launched_at = loop.time()
        agent.state = S.RUNNING
        agent.watcher = self._spawn(self._watch(agent, proc))
        log.info("launched local agent %s (pid %d)", spec.name, proc.pid)
        self._save()
        self._publish(agent)

    def _open_log(self, name: str) -> IO[bytes]:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        path = self.log_path(name)
        with contextlib.suppress(OSError):
            if path.stat().st_size > LOG_ROTATE_BYTES:
                path.replace(path.with_name(path.name + ".1"))
        f = path.open("ab")
        with contextlib.suppress(OSError):
            path.chmod(0o600)
        return f

    async def _watch(self, agent: Supervised, proc: asyncio.subprocess.Process) -> None:
        code = await proc.wait()
        last: list[str] = []
        if code == FATAL_EXIT:  # why, in its own words: the last lines of its log
            path = self.log_path(agent.spec.name)
            loop = asyncio.get_running_loop()
            last = await loop.run_in_executor(None, log_tail, path, agent.log_offset, TAIL_LINES)
        self._exited(agent, code, last=last)

    async def _watch_adopted(self, agent: Supervised) -> None:
        """Poll a process taken over after a crash: not our child, so there is nothing to wait on
        but its /proc entry."""
        loop = asyncio.get_running_loop()
        pid, started = agent.pid, agent.pid_started
        alive = True
        while alive:
            await asyncio.sleep(0.5)
            alive = await loop.run_in_executor(None, same_process, pid, started)
        self._exited(agent, None)  # its exit status is not ours to read

    def _exited(
        self,
        agent: Supervised,
        code: int | None,
        error: str | None = None,
        *,
        last: list[str] | None = None,
    ) -> None:
        agent.proc = None
        agent.pid = None
        agent.pid_started = None
        agent.watcher = None
        agent.last_exit = code
        deliberate, agent.deliberate = agent.deliberate, False
        if self._closing or deliberate or not agent.enabled or code == 0:
            agent.state = S.STOPPED
            log.info("local agent %s stopped (exit %s)", agent.spec.name, code)
        elif code == FATAL_EXIT:
            self._failed(agent, last or [])
        else:
            agent.state = S.CRASHED
            self._schedule_restart(agent, error or f"exited with status {code}")
        if not self._closing:
            self._save()
        self._publish(agent)

    def _failed(self, agent: Supervised, last: list[str]) -> None:
        """It exited with the fatal status: not restarted; FAILED, with its last words."""
        agent.state = S.FAILED
        agent.backoff_s = 0.0
        reason = f"exited with status {FATAL_EXIT}"
        if last:  # (its own name, which the agent puts first, says nothing here)
            reason = last[-1].removeprefix("onsembl-agent: ")[:REASON_CHARS]
        agent.error = reason
        name = agent.spec.name
        log.error("local agent %s failed (not restarted until started again): %s", name, reason)
        self._record_exit(agent, "LOCAL_AGENT_FAILED", reason, log_tail=last, restarted=False)

    def _schedule_restart(self, agent: Supervised, why: str) -> None:
        loop = asyncio.get_running_loop()
        ran_for = loop.time() - agent.launched_at if agent.launched_at else 0.0
        if agent.backoff_s == 0 or ran_for >= self.stable_after_s:
            agent.backoff_s = self.backoff_initial_s
        else:
            agent.backoff_s = min(agent.backoff_s * 2, self.backoff_max_s)
        agent.restart_at = loop.time() + agent.backoff_s
        agent.restart_handle = loop.call_later(
            agent.backoff_s, lambda: self._spawn(self._restart_after_crash(agent))
        )
        name = agent.spec.name
        log.warning("local agent %s crashed (%s); restart in %.1f s", name, why, agent.backoff_s)
        self._record_exit(agent, "LOCAL_AGENT_CRASHED", why, restart_in_s=agent.backoff_s)

    async def _restart_after_crash(self, agent: Supervised) -> None:
        agent.restart_handle = None
        agent.restart_at = None
        if self._closing or not agent.enabled or agent.watcher is not None:
            return
        agent.restarts += 1
        self._record(
            AuditEventType.AGENT_CONTROL,
            agent.spec.name,
            by_user=False,
            action=ControlAction.RESTART.value,
            automatic=True,
            attempt=agent.restarts,
        )
        await self._launch(agent)

    async def _stop_process(self, agent: Supervised) -> None:
        """Ask the agent to stop (AGENT_CONTROL STOP if it is connected, else SIGTERM), then
        SIGKILL if it is still there after ``stop_timeout_s``."""
        watcher = agent.watcher
        if watcher is None:
            return
        agent.deliberate = True
        agent.state = S.STOPPING
        self._publish(agent)
        if not self._tell(agent.spec.name, ControlAction.STOP):
            send_signal(agent.pid, signal.SIGTERM)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                await asyncio.wait_for(asyncio.shield(watcher), self.stop_timeout_s / 2)
                return
            except TimeoutError:
                log.warning("local agent %s is slow to stop; sending %s", agent.spec.name, sig.name)
                send_signal(agent.pid, sig)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(watcher), 5.0)

    def _tell(self, name: str, action: ControlAction) -> bool:
        info = self._registry.by_name(name)
        session = self._registry.session(info.id) if info else None
        if session is None:
            return False
        session.stopping = True
        session.link.send(m.AgentControl(action=action, reason="asked by the user"))
        return True

    # --- helpers ---------------------------------------------------------------------------------

    def _record(
        self, event: AuditEventType, name: str, *, by_user: bool = True, **details: Any
    ) -> None:
        known = self._registry.by_name(name)
        self._audit.record(
            event, agent_id=known.id if known else None, by_user=by_user, name=name, **details
        )

    def _record_exit(self, agent: Supervised, code: str, why: str, **details: Any) -> None:
        """Audit an exit the user did not ask for (AGENT_ERROR)."""
        self._record(
            AuditEventType.AGENT_ERROR,
            agent.spec.name,
            by_user=False,
            code=code,
            message=why,
            exit_code=agent.last_exit,
            **details,
        )

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _need(self, name: str) -> Supervised:
        agent = self._agents.get(name)
        if agent is None:
            raise CommandError(f"no local agent named {name!r}")
        return agent

    def _info(self, agent: Supervised) -> LocalAgentInfo:
        next_in = None
        if agent.restart_at is not None:
            next_in = max(0.0, agent.restart_at - asyncio.get_running_loop().time())
        return LocalAgentInfo(
            spec=agent.spec,
            state=agent.state,
            pid=agent.pid,
            restarts=agent.restarts,
            last_exit=agent.last_exit,
            next_restart_in_s=next_in,
            log_path=self.log_path(agent.spec.name),
            enabled=agent.enabled,
            error=agent.error,
        )

    def _publish(self, agent: Supervised) -> None:
        self._bus.publish(LocalAgentChanged(self._info(agent)))

    def _save(self) -> None:
        self._file.save({"agents": [to_json(a) for a in self._agents.values()]})


def _cancel_restart(agent: Supervised) -> None:
    if agent.restart_handle is not None:
        agent.restart_handle.cancel()
        agent.restart_handle = None
        agent.restart_at = None
