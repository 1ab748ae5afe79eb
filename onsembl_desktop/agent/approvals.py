"""Approvals on the agent's side: apply a command's policy, ask the app for the rest, wait.

The app owns the policy and the rules (it stores them, syncs them and shows them); it sends each
command's policy with the command (COMMAND_REQUEST.approvals). The agent applies it locally so a
call the policy allows runs without a round trip, and asks the app (APPROVAL_REQUEST) only for
what the policy leaves to the person; an "always" answer brings back the rule it added, which
then decides the rest of the command locally too. What a rule decided, or a deny-everything
policy refused, is reported all the same (a request with its decision), so the app's record says
why a call ran or did not; calls the mode simply allows are not (the trace shows them).

When nobody can answer — an app that does not answer approvals (protocol 1, or without the
"approvals" feature) — a call the policy would ask about is denied, and the transcript says why.
Waiting is not charged to the command's time limit (:attr:`CommandApprovals.waited_s`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..protocol import messages as m
from ..protocol.approvals import Action, Policy, Verdict, describe
from ..protocol.enums import ApprovalChoice, ApprovalOutcome, ApprovalSource
from .outbox import Outbox

log = logging.getLogger("onsembl.agent.approvals")

FEATURE = "approvals"  # AGENT_WELCOME.features: the app answers APPROVAL_REQUEST


@dataclass(frozen=True, slots=True)
class Ask:
    """One tool call the CLI wants to make, as the runner describes it."""

    key: str  # the CLI's id for the call (a tool_use id, an ACP toolCallId): the request's id
    action: Action
    title: str = ""
    diff: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    options: tuple[m.ApprovalOption, ...] = ()
    trace_id: uuid.UUID | None = None


@dataclass(slots=True)
class AppLink:
    """What the connected app can do, from its AGENT_WELCOME."""

    protocol_version: int = 1
    features: frozenset[str] = frozenset()

    @property
    def answers(self) -> bool:
        return self.protocol_version >= 2 and FEATURE in self.features

    def why_not(self) -> str:
        if self.protocol_version < 2:
            return (
                f"the app speaks agent protocol {self.protocol_version} and does not support "
                "approvals (update Onsembl Desktop)"
            )
        return "the app does not answer approval requests"


class CommandApprovals:
    """One command's approvals: its policy (plus the rules added while it runs), what waits."""

    def __init__(
        self,
        broker: ApprovalBroker,
        request: m.CommandRequest,
        on_note: Callable[[str], None] = lambda _text: None,
    ) -> None:
        self._broker = broker
        self.command_id = request.command_id
        self.policy = Policy.of(request.approvals) if request.approvals is not None else None
        self.on_note = on_note  # a line for the transcript (the runner styles it)
        self._waiting: dict[uuid.UUID, asyncio.Future[m.ApprovalAnswer]] = {}
        self._wait_started: float | None = None
        self._waited = 0.0
        self._ended: m.ApprovalAnswer | None = None

    # --- time ------------------------------------------------------------------------------------

    def waited_s(self, now: float | None = None) -> float:
        """Seconds this command spent waiting for answers (not charged to its time limit)."""
        current = 0.0
        if self._wait_started is not None:
            current = (now if now is not None else time.monotonic()) - self._wait_started
        return self._waited + current

    @property
    def waiting(self) -> bool:
        return bool(self._waiting)

    # --- asking ----------------------------------------------------------------------------------

    def request_id(self, key: str) -> uuid.UUID:
        return uuid.uuid5(self.command_id, f"approval:{key}")

    async def ask(
        self, ask: Ask, on_wait: Callable[[uuid.UUID], None] = lambda _id: None
    ) -> m.ApprovalAnswer:
        """The answer for one tool call: from the policy at once, or from the person (then
        ``on_wait`` is called first, with the request's id, so the transcript can say so)."""
        request_id = self.request_id(ask.key)
        if self._ended is not None:
            return self._ended
        if self.policy is None:
            return self._unsupported(ask, "the app sent no approval policy with this command")
        cwd, agent = self._broker.cwd, self._broker.agent_name
        decision = self.policy.decide(ask.action, cwd, agent)
        if decision.verdict is not Verdict.ASK:
            outcome = (
                ApprovalOutcome.ALLOWED
                if decision.verdict is Verdict.ALLOW
                else ApprovalOutcome.DENIED
            )
            source = ApprovalSource.RULE if decision.rule is not None else ApprovalSource.POLICY
            answer = m.ApprovalAnswer(
                outcome=outcome,
                source=source,
                option_id=_option_for(ask.options, outcome, always=False),
                message=decision.reason,
                rule=decision.rule,
            )
            if decision.rule is not None or outcome is ApprovalOutcome.DENIED:
                self._broker.report(self._message(request_id, ask, answer))
            return answer
        if not self._broker.app.answers:
            return self._unsupported(ask, self._broker.app.why_not())
        future: asyncio.Future[m.ApprovalAnswer] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        self._broker.register(request_id, self)
        if self._wait_started is None:
            self._wait_started = time.monotonic()
        on_wait(request_id)
        self._broker.report(self._message(request_id, ask, None))
        try:
            answer = await future
        finally:
            self._waiting.pop(request_id, None)
            self._broker.unregister(request_id)
            if not self._waiting and self._wait_started is not None:
                self._waited += time.monotonic() - self._wait_started
                self._wait_started = None
        if answer.rule is not None and answer.always:
            self.policy.add(answer.rule)
        return answer

    def answered(self, decision: m.ApprovalDecision) -> bool:
        future = self._waiting.get(decision.request_id)
        if future is None or future.done():
            return False
        future.set_result(decision.answer)
        return True

    def end(self, source: ApprovalSource, message: str) -> None:
        """The command is being stopped: every wait ends denied, and so does any later ask."""
        self._ended = m.ApprovalAnswer(
            outcome=ApprovalOutcome.DENIED, source=source, message=message
        )
        for future in list(self._waiting.values()):
            if not future.done():
                future.set_result(self._ended)

    def _unsupported(self, ask: Ask, why: str) -> m.ApprovalAnswer:
        self.on_note(f"denied {ask.action.tool or 'a tool call'}: it needs approval, and {why}")
        return m.ApprovalAnswer(
            outcome=ApprovalOutcome.DENIED, source=ApprovalSource.UNSUPPORTED, message=why
        )

    def _message(
        self, request_id: uuid.UUID, ask: Ask, answer: m.ApprovalAnswer | None
    ) -> Callable[[int], m.ApprovalRequest]:
        action = ask.action
        cid = self.command_id

        def build(seq: int) -> m.ApprovalRequest:
            return m.ApprovalRequest(
                seq=seq,
                command_id=cid,
                request_id=request_id,
                tool=(action.tool or action.kind.value.lower())[:1024],
                kind=action.kind,
                title=ask.title,
                shell_command=action.shell_command,
                paths=list(action.paths),
                diff=ask.diff,
                arguments=ask.arguments,
                options=list(ask.options),
                trace_id=ask.trace_id,
                decision=answer,
            )

        return build


class ApprovalBroker:
    """The agent's side of approvals, across commands and reconnects."""

    def __init__(self, outbox: Outbox, agent_name: str, cwd: str) -> None:
        self.outbox = outbox
        self.agent_name = agent_name
        self.cwd = cwd
        self.app = AppLink()
        self._by_request: dict[uuid.UUID, CommandApprovals] = {}

    def connected(self, welcome: m.AgentWelcome) -> None:
        self.app = AppLink(welcome.protocol_version, frozenset(welcome.features))

    def for_command(
        self, request: m.CommandRequest, on_note: Callable[[str], None] = lambda _t: None
    ) -> CommandApprovals:
        return CommandApprovals(self, request, on_note)

    def pending(self) -> list[uuid.UUID]:
        """Requests still waiting (AGENT_CONNECT.pendingApprovals: the app answers them again)."""
        return list(self._by_request)

    def decided(self, decision: m.ApprovalDecision) -> None:
        approvals = self._by_request.get(decision.request_id)
        if approvals is None or not approvals.answered(decision):
            log.info("an answer to %s, which no longer waits", decision.request_id)

    def report(self, build: Callable[[int], m.ApprovalRequest]) -> None:
        if self.app.answers:  # (an app that does not would refuse or drop it)
            self.outbox.send(build)

    def register(self, request_id: uuid.UUID, approvals: CommandApprovals) -> None:
        self._by_request[request_id] = approvals

    def unregister(self, request_id: uuid.UUID) -> None:
        self._by_request.pop(request_id, None)


def _option_for(
    options: tuple[m.ApprovalOption, ...], outcome: ApprovalOutcome, *, always: bool
) -> str | None:
    """The offered option that says ``outcome`` (once rather than always, unless ``always``)."""
    if outcome is ApprovalOutcome.ALLOWED:
        order = [ApprovalChoice.ALLOW_ONCE, ApprovalChoice.ALLOW_ALWAYS]
    else:
        order = [ApprovalChoice.DENY, ApprovalChoice.DENY_ALWAYS]
    if always:
        order.reverse()
    for choice in order:
        for option in options:
            if option.choice is choice:
                return option.id
    return None


def option_for(answer: m.ApprovalAnswer, options: tuple[m.ApprovalOption, ...]) -> str | None:
    """The option to give the CLI for ``answer``: the one chosen, else the closest offered."""
    if answer.option_id is not None and any(o.id == answer.option_id for o in options):
        return answer.option_id
    return _option_for(options, answer.outcome, always=answer.always)


def answer_line(answer: m.ApprovalAnswer) -> str:
    """The answer in words, for the transcript: `allowed by you (always: allow "npm test" …)`."""
    what = "allowed" if answer.outcome is ApprovalOutcome.ALLOWED else "denied"
    who = {
        ApprovalSource.USER: "by you",
        ApprovalSource.RULE: "by a rule",
        ApprovalSource.POLICY: "by the policy",
        ApprovalSource.TIMEOUT: "unanswered: timed out",
        ApprovalSource.EMERGENCY_STOP: "by the emergency stop",
        ApprovalSource.CANCELLED: "the command was stopped",
        ApprovalSource.UNSUPPORTED: "nobody can answer",
    }[answer.source]
    line = f"{what} ({who})"
    if answer.always and answer.rule is not None:
        line += f"; from now on: {describe(answer.rule)}"
    elif answer.source is ApprovalSource.RULE and answer.rule is not None:
        line += f": {describe(answer.rule)}"
    if answer.message and answer.source in (ApprovalSource.USER, ApprovalSource.TIMEOUT):
        line += f": {answer.message}"
    return line
