"""Known agents and their live connections (sessions), heartbeats and health."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from ..protocol import PROTOCOL_VERSION
from ..protocol import messages as m
from ..protocol.codec import ErrorCode, ProtocolError
from ..protocol.enums import ActivityState, AgentStatus, AgentType, AuditEventType
from ..store import queries
from ..store.store import Store
from ..store.types import utcnow
from .audit import Audit
from .events import AgentChanged, EventBus
from .state import AgentInfo, AgentLink, Tokens, stored_tokens

log = logging.getLogger("onsembl.core.agents")

HEALTH_WRITE_INTERVAL_S = 30.0
REFUSALS_LOGGED_EVERY_S = 60.0


@dataclass(eq=False, slots=True)
class AgentSession:
    """One live connection of one agent process."""

    agent_id: uuid.UUID
    name: str
    instance_id: uuid.UUID
    link: AgentLink
    protocol_version: int
    received_seq: int  # highest seq taken into the pipeline (stored or about to be)
    durable_seq: int  # highest seq committed; what OUTPUT_ACK says
    last_heard: float  # loop time
    new_instance: bool  # first connection of this agent process that this server has seen
    open: bool = True
    health_written_at: float = float("-inf")  # loop time of the last health write
    ack_pending: bool = False
    stopping: bool = False  # told to STOP or RESTART: give it no new work on this connection
    refusal_logged_at: float = float("-inf")  # loop time
    refusals_unlogged: int = 0


class AgentRegistry:
    def __init__(self, store: Store, bus: EventBus, audit: Audit) -> None:
        self._store = store
        self._bus = bus
        self._audit = audit
        self._agents: dict[uuid.UUID, AgentInfo] = {}
        self._by_name: dict[str, uuid.UUID] = {}
        self._sessions: dict[uuid.UUID, AgentSession] = {}
        self._cursors: dict[tuple[uuid.UUID, uuid.UUID], int] = {}  # committed, per process
        # Taken into the pipeline by an earlier connection of the same process (perhaps not yet
        # committed): a reconnect must not take those seqs again when the agent resends them.
        self._received: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        # Tokens: each agent's ended runs, plus its running ones as they report.
        self._ended: dict[uuid.UUID, Tokens] = {}
        self._running: dict[uuid.UUID, dict[uuid.UUID, Tokens]] = {}
        # Each agent's last CLI conversation, the tokens on it and the folder it ran in.
        self._conversation: dict[uuid.UUID, tuple[str, Tokens, str]] = {}

    async def load(self) -> None:
        def load_all(conn: Any) -> tuple[Any, ...]:
            return (
                list(queries.load_agents(conn)),
                queries.load_cursors(conn),
                queries.agent_token_totals(conn),
                queries.last_sessions(conn),
            )

        await self._store.write_wait(queries.mark_all_agents_offline)
        rows, self._cursors, totals, sessions = await self._store.read(load_all)
        for row in rows:
            agent = row
            config = agent.config or {}
            if agent.id in totals:
                self._ended[agent.id] = _tokens(agent.type, totals[agent.id])
            if agent.id in sessions:
                session_id, sums = sessions[agent.id]
                self._conversation[agent.id] = (
                    session_id,
                    _tokens(agent.type, sums),
                    config.get("cwd", ""),
                )
            info = AgentInfo(
                id=agent.id,
                name=agent.name,
                type=agent.type,
                status=AgentStatus.OFFLINE,
                activity=ActivityState.IDLE,
                host_machine=agent.host_machine,
                connected_at=agent.connected_at,
                disconnected_at=agent.disconnected_at,
                health=dict(agent.health_metrics or {}),
                version=str(config.get("agent_version", "")),
                cwd=str(config.get("cwd", "")),
                tokens=self._ended.get(agent.id, Tokens()),
                cli_name=str(config.get("cli_name", "")),
                cli_version=str(config.get("cli_version", "")),
            )
            self._agents[info.id] = info
            self._by_name[info.name] = info.id

    # --- lookups ---------------------------------------------------------------------------------

    def get(self, agent_id: uuid.UUID) -> AgentInfo | None:
        return self._agents.get(agent_id)

    def by_name(self, name: str) -> AgentInfo | None:
        agent_id = self._by_name.get(name)
        return self._agents.get(agent_id) if agent_id else None

    def all(self) -> list[AgentInfo]:
        return sorted(self._agents.values(), key=lambda a: a.name)

    def session(self, agent_id: uuid.UUID) -> AgentSession | None:
        return self._sessions.get(agent_id)

    def sessions(self) -> list[AgentSession]:
        return list(self._sessions.values())

    def update(self, agent_id: uuid.UUID, **changes: Any) -> AgentInfo | None:
        """Change the in-memory snapshot and tell subscribers (no database write)."""
        info = self._agents.get(agent_id)
        if info is None:
            return None
        new = dataclasses.replace(info, **changes)
        if new != info:
            self._agents[agent_id] = new
            self._bus.publish(AgentChanged(new))
        return new

    # --- connections -----------------------------------------------------------------------------

    def connect(self, link: AgentLink, hello: m.AgentConnect, now: float) -> AgentSession:
        """Register a new connection; raises ProtocolError when a live agent has the name."""
        agent_id = self._by_name.get(hello.name)
        old = self._sessions.get(agent_id) if agent_id else None
        if old is not None:
            if old.instance_id != hello.instance_id:
                # Only that the name is in use: where its holder connects from is none of the
                # refused connection's business.
                raise ProtocolError(
                    ErrorCode.NAME_IN_USE, f"an agent named {hello.name!r} is already connected"
                )
            # The same process reconnecting before we noticed its old connection died.
            log.info("agent %s reconnected; closing its previous connection", hello.name)
            self._close_session(old, "replaced by a new connection")
        known = agent_id is not None
        if agent_id is None:
            agent_id = uuid.uuid4()
        key = (agent_id, hello.instance_id)
        new_instance = key not in self._cursors
        durable = self._cursors.setdefault(key, 0)
        received = max(durable, self._received.get(key, 0))
        session = AgentSession(
            agent_id=agent_id,
            name=hello.name,
            instance_id=hello.instance_id,
            link=link,
            protocol_version=min(hello.protocol_version, PROTOCOL_VERSION),
            received_seq=received,
            durable_seq=durable,
            last_heard=now,
            new_instance=new_instance,
        )
        self._sessions[agent_id] = session
        connected_at = utcnow()
        config = {
            **hello.config,
            "agent_version": hello.agent_version,
            "cwd": hello.cwd,
            "pid": hello.pid,
            "interactive": hello.interactive,
            "capabilities": hello.capabilities,
            "protocol_version": hello.protocol_version,
        }
        if hello.cli is not None:
            config.update(cli_name=hello.cli.name, cli_version=hello.cli.version)
        values = {
            "name": hello.name,
            "type": hello.agent_type,
            "status": AgentStatus.ONLINE,
            "host_machine": hello.host_machine,
            "connected_at": connected_at,
            "last_seen_at": connected_at,
            "config": config,
        }
        self._store.call(queries.upsert_agent, agent_id, values)
        if new_instance:
            self._store.call(queries.forget_other_instances, agent_id, hello.instance_id)
            for other in [k for k in self._cursors if k[0] == agent_id and k != key]:
                del self._cursors[other]
            for other in [k for k in self._received if k[0] == agent_id and k != key]:
                del self._received[other]
        base = self._agents.get(agent_id) or AgentInfo(
            id=agent_id, name=hello.name, type=hello.agent_type
        )
        info = dataclasses.replace(
            base,
            type=AgentType(hello.agent_type),
            status=AgentStatus.ONLINE,
            host_machine=hello.host_machine,
            connected_at=connected_at,
            interactive=hello.interactive,
            version=hello.agent_version,
            cwd=hello.cwd,
            error=None,
            notice=None,
        )
        if hello.cli is not None:
            name, version = _cli_of(hello.cli, base)
            info = dataclasses.replace(info, cli_name=name, cli_version=version)
        self._agents[agent_id] = info
        self._by_name[hello.name] = agent_id
        self._audit.record(
            AuditEventType.AGENT_CONNECT,
            agent_id=agent_id,
            ip_address=_ip_of(link.remote),
            user_agent=f"onsembl-agent/{hello.agent_version}",
            by_user=False,
            name=hello.name,
            type=hello.agent_type.value,
            host=hello.host_machine,
            instance_id=str(hello.instance_id),
            reconnect=known and not new_instance,
        )
        self._bus.publish(AgentChanged(info))
        return session

    def disconnect(self, session: AgentSession, reason: str) -> bool:
        """The connection ended; returns False when it had already been replaced."""
        if self._sessions.get(session.agent_id) is not session:
            self._end(session)
            return False
        del self._sessions[session.agent_id]
        self._end(session)
        now = utcnow()
        self._store.call(
            queries.upsert_agent,
            session.agent_id,
            {"status": AgentStatus.OFFLINE, "disconnected_at": now, "last_seen_at": now},
        )
        self._audit.record(
            AuditEventType.AGENT_DISCONNECT,
            agent_id=session.agent_id,
            by_user=False,
            name=session.name,
            reason=reason,
        )
        self.update(session.agent_id, status=AgentStatus.OFFLINE, disconnected_at=now, notice=None)
        return True

    def _close_session(self, session: AgentSession, reason: str) -> None:
        self._end(session)
        self._sessions.pop(session.agent_id, None)
        session.link.close(1000, reason)

    def _end(self, session: AgentSession) -> None:
        """No more messages are taken from this connection (the core drops any still arriving)."""
        session.open = False
        key = (session.agent_id, session.instance_id)
        self._received[key] = max(self._received.get(key, 0), session.received_seq)

    def heartbeat(self, session: AgentSession, beat: m.AgentHeartbeat) -> None:
        health = {
            "cpu_usage": beat.health.cpu_usage,
            "memory_usage": beat.health.memory_usage,
            "uptime": beat.health.uptime,
            "commands_processed": beat.health.commands_processed,
            "average_response_time": beat.health.average_response_time,
        }
        self.update(
            session.agent_id,
            health=health,
            notice=beat.notice,
            **_cli_fields(beat.cli, self._agents.get(session.agent_id)),
        )
        # The UI reads health from memory; the database only needs it (and last_seen_at, which
        # the hour-long "silent agent" cleanup reads) now and then, not a write per beat per agent.
        if session.last_heard - session.health_written_at < HEALTH_WRITE_INTERVAL_S:
            return
        session.health_written_at = session.last_heard
        self._store.call(
            queries.upsert_agent,
            session.agent_id,
            {"health_metrics": health, "last_seen_at": utcnow()},
        )

    def durable(self, agent_id: uuid.UUID, instance_id: uuid.UUID, seq: int) -> AgentSession | None:
        """Record that ``seq`` of that agent process is committed.

        Returns the agent's live session to acknowledge on, if the cursor moved and the process is
        still connected (perhaps on a newer connection than the one the data came in on).
        """
        key = (agent_id, instance_id)
        if seq <= self._cursors.get(key, 0):
            return None
        self._cursors[key] = seq
        session = self._sessions.get(agent_id)
        if session is None or session.instance_id != instance_id:
            return None
        session.durable_seq = max(session.durable_seq, seq)
        return session

    def refused(self, session: AgentSession, why: str) -> None:
        """One of the agent's messages was refused: count it, and log the first of every minute
        (a hostile or broken agent cannot fill the log)."""
        info = self.get(session.agent_id)
        if info is not None:
            self.update(session.agent_id, refused=info.refused + 1)
        now = session.last_heard
        if now - session.refusal_logged_at >= REFUSALS_LOGGED_EVERY_S:
            more = f" ({session.refusals_unlogged} more since the last one logged)"
            log.warning(
                "refused a message of %s: %s%s",
                session.name,
                why,
                more if session.refusals_unlogged else "",
            )
            session.refusal_logged_at = now
            session.refusals_unlogged = 0
        else:
            session.refusals_unlogged += 1

    def stale_sessions(self, now: float, timeout: float) -> list[AgentSession]:
        return [s for s in self._sessions.values() if now - s.last_heard > timeout]

    # --- tokens and conversations ----------------------------------------------------------------

    def run_tokens(self, agent_id: uuid.UUID, command_id: uuid.UUID, tokens: Tokens) -> None:
        """A running command of the agent reported its tokens so far."""
        self._running.setdefault(agent_id, {})[command_id] = tokens
        self._publish_tokens(agent_id)

    def run_ended(
        self,
        agent_id: uuid.UUID,
        command_id: uuid.UUID,
        tokens: Tokens,
        session_id: str | None,
    ) -> None:
        """A run of the agent ended with these tokens (and this CLI conversation, if any)."""
        self._running.get(agent_id, {}).pop(command_id, None)
        self._ended[agent_id] = self._ended.get(agent_id, Tokens()) + tokens
        if session_id:
            info = self._agents.get(agent_id)
            previous = self._conversation.get(agent_id)
            on_it = previous[1] if previous is not None and previous[0] == session_id else Tokens()
            self._conversation[agent_id] = (session_id, on_it + tokens, info.cwd if info else "")
        self._publish_tokens(agent_id)

    def _publish_tokens(self, agent_id: uuid.UUID) -> None:
        total = self._ended.get(agent_id, Tokens())
        for tokens in self._running.get(agent_id, {}).values():
            total = total + tokens
        self.update(agent_id, tokens=total)

    def conversation(self, agent_id: uuid.UUID, hello: m.AgentConnect) -> m.SessionResume | None:
        """The conversation a (re)started agent continues: its last command's, if that ran in
        the folder the agent runs in now (a CLI keeps its conversations per project folder)."""
        last = self._conversation.get(agent_id)
        if last is None or hello.interactive:
            return None
        session_id, tokens, cwd = last
        if cwd and hello.cwd and cwd != hello.cwd:
            return None
        usage = m.Usage(
            input_tokens=tokens.input,
            output_tokens=tokens.output,
            cached_tokens=tokens.cached,
            total_tokens=tokens.total,
        )
        return m.SessionResume(session_id=session_id, usage=usage)


def _tokens(agent_type: AgentType, sums: queries.TokenSums) -> Tokens:
    return stored_tokens(
        agent_type, sums.input, sums.output, sums.cached, sums.total, sums.cost_usd
    )


def _cli_of(cli: m.CliInfo, known: AgentInfo | None) -> tuple[str, str]:
    """The CLI's name and version as the agent says them (a version it does not know yet:
    the one known)."""
    return cli.name, cli.version or (known.cli_version if known is not None else "")


def _cli_fields(cli: m.CliInfo | None, known: AgentInfo | None) -> dict[str, str]:
    if cli is None:
        return {}
    name, version = _cli_of(cli, known)
    return {"cli_name": name, "cli_version": version}


def _ip_of(remote: str) -> str | None:
    host = remote.rsplit(":", 1)[0].strip("[]") if remote else ""
    return host or None
