"""A socket fuzzer for ``/ws/agent``: malformed, truncated, oversized, wrong-typed and out-of-order
messages, each with the answer the app must give.

Each fuzzing connection says hello, then sends its cases at a pace under the rate limit (so every
answer is about the message, not the rate), with a valid heartbeat every few cases (so the
consecutive-error close does not end it early). The app answers refused messages in order, so the
fuzzer checks the sequence of ERRORs it gets — code, and the envelope id where the message had a
readable one — against the sequence it expects. Usable from tests and as a script:

    python -m tests.security.fuzzer --messages 100000   (against a fresh headless app)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from onsembl_desktop.gateway.limits import HARD_MAX_FRAME_BYTES, MAX_MESSAGE_BYTES
from onsembl_desktop.protocol import PROTOCOL_VERSION, codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.codec import Direction
from onsembl_desktop.protocol.enums import AgentType, CommandStatus

HEARTBEAT_EVERY = 10  # a valid message this often keeps the connection from closing as hostile
PACE_PER_S = 90.0


@dataclass(frozen=True, slots=True)
class Case:
    kind: str
    data: str | bytes
    code: str | None  # the ERROR code the app must answer with; None: no answer
    ref_id: str | None = None  # the envelope id the ERROR must name, when readable


@dataclass
class Result:
    sent: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    closed: str | None = None
    rate_warnings: int = 0


def _env(type_: str, payload: Any, msg_id: str | None = None, timestamp: Any = None) -> str:
    return json.dumps(
        {
            "type": type_,
            "id": msg_id or str(uuid.uuid4()),
            "timestamp": codec.now_ms() if timestamp is None else timestamp,
            "payload": payload,
        }
    )


class CaseMaker:
    """Cases for one connection; it tracks the connection's seq so out-of-order ones are real."""

    def __init__(self, rng: random.Random, *, oversized_share: float = 0.002) -> None:
        self.rng = rng
        self.seq = 0
        self.oversized_share = oversized_share
        self.makers: list[tuple[str, Callable[[], Case]]] = [
            ("not json", self.not_json),
            ("not an envelope", self.not_envelope),
            ("truncated", self.truncated),
            ("wrong types", self.wrong_types),
            ("unknown type", self.unknown_type),
            ("wrong direction", self.wrong_direction),
            ("unknown command", self.unknown_command),
            ("resent seq", self.resent),
            ("second hello", self.second_hello),
            ("binary junk", self.binary),
        ]

    def next(self) -> Case:
        if self.rng.random() < self.oversized_share:
            return self.oversized()
        _, make = self.rng.choice(self.makers)
        return make()

    def _text(self, n: int) -> str:
        return "".join(self.rng.choice('{}[]":,ab01 \\\nxyz\u00e9\u4e2d') for _ in range(n))

    def not_json(self) -> Case:
        text = self._text(self.rng.randint(0, 200))
        with contextlib.suppress(ValueError):
            json.loads(text)
            text = "{" + text  # (it happened to be JSON; make it not)
        return Case("not json", text, "INVALID_MESSAGE")

    def not_envelope(self) -> Case:
        data = self.rng.choice(
            [
                "[]",
                "1",
                "null",
                '"text"',
                "{}",
                '{"type":"AGENT_HEARTBEAT"}',
                '{"type":1,"id":"x","timestamp":1,"payload":{}}',
                '{"type":"AGENT_HEARTBEAT","id":"","timestamp":1,"payload":{}}',
                '{"type":"AGENT_HEARTBEAT","id":"x","timestamp":-5,"payload":{}}',
                '{"type":"AGENT_HEARTBEAT","id":"x","timestamp":"now","payload":{}}',
                json.dumps(
                    {"type": "AGENT_HEARTBEAT", "id": "i" * 129, "timestamp": 1, "payload": {}}
                ),
            ]
        )
        return Case("not an envelope", data, "INVALID_MESSAGE")

    def truncated(self) -> Case:
        full = codec.encode(self._valid_output()).decode()
        return Case("truncated", full[: self.rng.randint(0, len(full) - 1)], "INVALID_MESSAGE")

    def wrong_types(self) -> Case:
        msg_id = f"wt-{uuid.uuid4()}"
        payload = self.rng.choice(
            [
                {"seq": "one", "data": "x"},
                {"seq": 1.5, "data": "x"},
                {"seq": 0, "data": "x"},
                {"seq": -3, "data": "x"},
                {"seq": 2**64, "data": "x"},
                {"seq": 1, "data": 42},
                {"seq": 1, "data": "x", "commandId": "not-a-uuid"},
                {"seq": 1, "data": "x", "streamType": "SIDEWAYS"},
                {"seq": 1},
                ["not", "an", "object"],
            ]
        )
        type_ = "TERMINAL_OUTPUT"
        if self.rng.random() < 0.3:
            type_, payload = "COMMAND_COMPLETE", {"seq": 1, "commandId": str(uuid.uuid4())}
        return Case("wrong types", _env(type_, payload, msg_id), "INVALID_MESSAGE", msg_id)

    def unknown_type(self) -> Case:
        msg_id = f"ut-{uuid.uuid4()}"
        name = self.rng.choice(["TELEPORT", "", "terminal_output", "X" * 300, "COMMAND_REQUEST "])
        return Case("unknown type", _env(name, {}, msg_id), "UNKNOWN_TYPE", msg_id)

    def wrong_direction(self) -> Case:
        msg_id = f"wd-{uuid.uuid4()}"
        payload = self.rng.choice(
            [
                m.CommandRequest(command_id=uuid.uuid4(), content="rm -rf ~"),
                m.CommandCancel(command_id=uuid.uuid4()),
                m.OutputAck(seq=10**6),
                m.ServerHeartbeat(server_time=1),
                m.Error(code="X", message="y"),
                m.TerminalInput(data="q"),
            ]
        )
        data = codec.encode(payload, msg_id=msg_id).decode()
        return Case("wrong direction", data, "WRONG_DIRECTION", msg_id)

    def unknown_command(self) -> Case:
        msg_id = f"uc-{uuid.uuid4()}"
        self.seq += 1
        payload: m.Payload = self.rng.choice(
            [
                m.TerminalOutput(seq=self.seq, command_id=uuid.uuid4(), data="stray"),
                m.CommandComplete(
                    seq=self.seq, command_id=uuid.uuid4(), status=CommandStatus.COMPLETED
                ),
                m.CommandAck(seq=self.seq, command_id=uuid.uuid4()),
            ]
        )
        data = codec.encode(payload, msg_id=msg_id).decode()
        return Case("unknown command", data, "UNKNOWN_COMMAND", msg_id)

    def resent(self) -> Case:
        # A seq already taken: a resend, dropped without a word (the app keeps it once).
        if self.seq == 0:
            return self.unknown_command()
        old = self.rng.randint(1, self.seq)
        data = codec.encode(m.TerminalOutput(seq=old, command_id=uuid.uuid4(), data="again"))
        return Case("resent seq", data.decode(), None)

    def second_hello(self) -> Case:
        msg_id = f"sh-{uuid.uuid4()}"
        hello = m.AgentConnect(
            name="someone-else",
            agent_type=AgentType.SHELL,
            instance_id=uuid.uuid4(),
            protocol_version=PROTOCOL_VERSION,
        )
        data = codec.encode(hello, msg_id=msg_id).decode()
        return Case("second hello", data, "INVALID_MESSAGE", msg_id)

    def binary(self) -> Case:
        return Case("binary junk", self.rng.randbytes(self.rng.randint(1, 300)), "INVALID_MESSAGE")

    def oversized(self) -> Case:
        size = self.rng.randint(MAX_MESSAGE_BYTES + 1, HARD_MAX_FRAME_BYTES - 1024)
        body = _env("TERMINAL_OUTPUT", {"seq": 1, "data": "o" * size})
        return Case("oversized", body, "INVALID_MESSAGE")

    def _valid_output(self) -> m.TerminalOutput:
        return m.TerminalOutput(seq=10**9, command_id=uuid.uuid4(), data=self._text(40))


async def _read_errors(ws: ClientConnection, errors: list[m.Error], result: Result) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for raw in ws:
            msg = codec.decode(raw, expect=Direction.SERVER_TO_AGENT).payload
            if isinstance(msg, m.Error):
                if msg.code == "RATE_LIMIT" and not msg.fatal:
                    result.rate_warnings += 1
                else:
                    errors.append(msg)


async def fuzz_connection(
    url: str, token: str, name: str, count: int, seed: int, *, pace_per_s: float = PACE_PER_S
) -> Result:
    """Send ``count`` fuzz cases on one connection and check every answer."""
    result = Result()
    maker = CaseMaker(random.Random(seed))
    ws = await connect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        max_size=None,
        compression=None,
        open_timeout=20,
    )
    hello = m.AgentConnect(
        name=name,
        agent_type=AgentType.SHELL,
        instance_id=uuid.uuid4(),
        protocol_version=PROTOCOL_VERSION,
    )
    await ws.send(codec.encode(hello), text=True)
    welcome = codec.decode(await ws.recv(), expect=Direction.SERVER_TO_AGENT).payload
    assert isinstance(welcome, m.AgentWelcome), welcome
    errors: list[m.Error] = []
    reader = asyncio.create_task(_read_errors(ws, errors, result))
    expected: list[Case] = []
    beat = codec.encode(m.AgentHeartbeat())
    started = time.monotonic()
    frames = 0
    try:
        for i in range(count):
            case = maker.next()
            frames += 1
            if isinstance(case.data, bytes):
                await ws.send(case.data)
            else:
                await ws.send(case.data, text=True)
            result.sent += 1
            result.by_kind[case.kind] = result.by_kind.get(case.kind, 0) + 1
            if case.code is not None:
                expected.append(case)
            if i % HEARTBEAT_EVERY == HEARTBEAT_EVERY - 1:
                frames += 1
                await ws.send(beat, text=True)
            ahead = frames / pace_per_s - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
        # Everything answered: a last known refusal marks the end of the answers.
        end = f"end-{uuid.uuid4()}"
        await ws.send(_env("FUZZ_END", {}, end), text=True)
        async with asyncio.timeout(60):
            while not (errors and errors[-1].ref_id == end):
                if reader.done():
                    break
                await asyncio.sleep(0.02)
    except (ConnectionClosed, TimeoutError) as exc:
        result.closed = repr(exc)
    finally:
        await ws.close()
        await asyncio.wait_for(reader, 10)
    got = [e for e in errors if e.ref_id is None or not e.ref_id.startswith("end-")]
    if len(got) != len(expected):
        result.mismatches.append(f"{name}: {len(got)} errors for {len(expected)} refusals")
    for case, error in zip(expected, got, strict=False):
        if error.code != case.code or (case.ref_id and error.ref_id != case.ref_id) or error.fatal:
            result.mismatches.append(
                f"{name}: {case.kind} answered {error.code} ref={error.ref_id} fatal={error.fatal}"
                f" (wanted {case.code} ref={case.ref_id})"
            )
            if len(result.mismatches) > 20:
                break
    return result


async def fuzz(url: str, token: str, messages: int, connections: int, seed: int = 1) -> Result:
    per = max(1, messages // connections)
    results = await asyncio.gather(
        *(
            fuzz_connection(url, token, f"fuzz-{i}", per, seed * 1000 + i)
            for i in range(connections)
        )
    )
    total = Result()
    for r in results:
        total.sent += r.sent
        total.rate_warnings += r.rate_warnings
        total.mismatches += r.mismatches
        for k, v in r.by_kind.items():
            total.by_kind[k] = total.by_kind.get(k, 0) + v
        if r.closed and not total.closed:
            total.closed = r.closed
    return total


def main() -> int:
    import argparse
    import tempfile
    from pathlib import Path

    from tests.support import AppProcess

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--connections", type=int, default=40)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = AppProcess(Path(tmp) / "data", ["--heartbeat", "2"]).start()
        try:
            started = time.monotonic()
            result = asyncio.run(
                fuzz(app.url + "/ws/agent", app.agent_token, args.messages, args.connections)
            )
            took = time.monotonic() - started
            alive = app.proc is not None and app.proc.poll() is None
        finally:
            app.stop()
    print(f"sent {result.sent} fuzz messages in {took:.1f} s over {args.connections} connections")
    for kind, n in sorted(result.by_kind.items()):
        print(f"  {kind:<16} {n:>7}")
    print(
        f"app alive: {alive}; mismatched answers: {len(result.mismatches)}; closed: {result.closed}"
    )
    for line in result.mismatches[:20]:
        print("  " + line)
    return 0 if alive and not result.mismatches and not result.closed else 1


if __name__ == "__main__":
    raise SystemExit(main())
