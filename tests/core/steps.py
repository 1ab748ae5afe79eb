"""A small language for scheduler scenarios, one step a line: what happens, then ``|`` and what
the scheduler must do about it (the deciding actions, as ``Sim.describe`` words them, in order,
``;`` between them, going on over lines that start with ``|``; nothing after ``|`` means it must
do none of those; a step without ``|`` is not checked).

    start a b                      the app starts knowing agents a and b (offline)
    connect a [new] [holds=c1] [done=c2]   a connects (a new process; holding c1; c2 finished)
    gone a / leaving a             a's connection ends / a was told to STOP or RESTART
    send c1 -> a,b [prio=90] [limit=3000] [budget=100] [offline-fails]
    ack a c1 [refused] / complete a c1 [FAILED] [reason=X] / usage a c1 500
    cancel c1 / cancel c1@a / pause a / resume a / stop-all / resume-all
    move c3 1 [a] / priority c2 90 / wait 5 / restart
    queue a                        | c1 / c2 c3   (executing / waiting, '-' for none)
    status c1 [a]                  | FAILED

An expected ``! text`` means the step is refused with a CommandError saying ``text``.
"""

from __future__ import annotations

import re

from onsembl_desktop.core.scheduling import CommandError, Timing
from onsembl_desktop.protocol.enums import CommandStatus, CompletionReason

from .harness import Database, Sim

TIMING = Timing(grace_s=60, cancel_timeout_s=10, time_limit_slack_s=2)


def run_scenario(text: str, timing: Timing = TIMING) -> Sim:
    sim = Sim(timing, Database.empty())
    for number, step, want in _steps(text):
        try:
            sim, got = _do(sim, step.split())
        except CommandError as exc:
            message = str(exc)
            for command_id, label in sim.labels.items():
                message = message.replace(str(command_id), label)
            got = [f"! {message}", *sim.described(sim.take())]  # (and nothing done)
        if want is not None:
            assert got == want, f"line {number} ({step}): got {got}, expected {want}"
    return sim


def _steps(text: str) -> list[tuple[int, str, list[str] | None]]:
    """(line number, step, expected or None) for each step; a line with nothing before its
    ``|`` goes on with the expectations of the step above."""
    steps: list[tuple[int, str, list[str] | None]] = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        step, bar, expected = (part.strip() for part in line.partition("|"))
        parts = [expected] if expected.startswith("!") else expected.split(";")
        want = [w.strip() for w in parts if w.strip()]
        if step:
            steps.append((number, step, want if bar else None))
        elif bar:
            first, above, more = steps[-1]
            steps[-1] = (first, above, (more or []) + want)
    return steps


def _do(sim: Sim, words: list[str]) -> tuple[Sim, list[str]]:
    verb, args = words[0], words[1:]
    flags = {w.split("=")[0]: (w.split("=", 1)[1] if "=" in w else "") for w in args}
    extra: list[str] = []
    if verb == "start":
        sim.start(*args)
    elif verb == "connect":
        dropped = sim.connect(
            args[0],
            new_instance="new" in flags,
            holds=_labels(flags.get("holds")),
            done=_labels(flags.get("done")),
        )
        extra = [f"{args[0]} drops {c}" for c in dropped]
    elif verb == "gone":
        sim.gone(args[0])
    elif verb == "leaving":
        sim.s.agent_leaving(sim.ids[args[0]])
    elif verb == "send":
        label, _, targets = args[0], args[1], args[2].split(",")
        constraints = {}
        if "limit" in flags:
            constraints["time_limit_ms"] = int(flags["limit"])
        if "budget" in flags:
            constraints["token_budget"] = int(flags["budget"])
        content = flags.get("text", "true").replace("_", " ")
        got = sim.send(
            *targets,
            content=content,
            priority=int(flags.get("prio", 50)),
            constraints=constraints,
            fail_if_offline="offline-fails" in flags,
        )
        assert got == label, f"the command is {got}, not {label}"
    elif verb == "ack":
        sim.ack(args[0], args[1], accepted="refused" not in flags, reason=flags.get("refused"))
    elif verb == "complete":
        status = next((CommandStatus(w) for w in args[2:] if w.isupper()), CommandStatus.COMPLETED)
        reason = CompletionReason(flags["reason"]) if "reason" in flags else None
        sim.complete(args[0], args[1], status, reason)
    elif verb == "usage":
        sim.usage(args[0], args[1], int(args[2]))
    elif verb == "cancel":
        label, _, name = args[0].partition("@")
        if name:
            sim.s.cancel_run(sim.cid(label), sim.ids[name])
        else:
            sim.s.cancel(sim.cid(label))
    elif verb == "pause":
        sim.s.pause(sim.ids[args[0]])
    elif verb == "resume":
        sim.s.resume(sim.ids[args[0]])
    elif verb == "stop-all":
        sim.s.emergency_stop("test")
    elif verb == "resume-all":
        sim.s.resume_all()
    elif verb == "move":
        agent = sim.ids[args[2]] if len(args) > 2 else None
        sim.s.move(sim.cid(args[0]), int(args[1]), agent)
    elif verb == "priority":
        sim.s.set_priority(sim.cid(args[0]), int(args[1]))
    elif verb == "wait":
        sim.wait(float(args[0]))
    elif verb == "restart":
        sim = sim.restart()
    elif verb == "queue":
        sim.take()
        current = sim.current(args[0]) or "-"
        return sim, [f"{current} / {' '.join(sim.waiting(args[0])) or '-'}"]
    elif verb == "status":
        sim.take()
        return sim, [sim.status(args[0], args[1] if len(args) > 1 else None).value]
    else:
        raise ValueError(f"unknown step {verb!r}")
    return sim, extra + sim.described(sim.take())


def _labels(value: str | None) -> list[str]:
    return [v for v in re.split(",", value or "") if v]
