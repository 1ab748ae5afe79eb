"""Load benchmark: many agents on one app, some streaming, over real sockets.

    python benchmarks/bench_load.py [--agents 200] [--streaming 20] [--seconds 20]

The app is ``onsembl --headless`` in its own process (fast heartbeats: 1 s, so a missed one shows
within the run). A load generator, in another process, speaks the real agent protocol on one
connection per agent: AGENT_CONNECT, a heartbeat every interval, and for the streaming agents a
command (sent through the control endpoint, as ``ctl send`` does) whose output it streams at
50 KB/s (1 KB TERMINAL_OUTPUT every 20 ms, as a coalescing wrapper sends a steady stream).

Three phases in one run, each figure beside the others:

1. **idle** — the app alone: its CPU and memory at rest;
2. **baseline** — 10 agents, all 10 streaming (target: p99 ≤ 50 ms);
3. **load** — ``--agents`` connected, ``--streaming`` of them streaming (target: p99 ≤ 200 ms).

Latencies: *output → stored* is from sending a chunk to the OUTPUT_ACK that covers it (the app
acknowledges only what is committed to disk); *output → screen* is from sending it to its
``OutputReceived`` event reaching a subscriber inside the app (the hidden ``--probe``: where the
UI's terminal engine gets it). Both processes read the same clock. The percentiles cover steady
streaming: the first 2 s after the commands are sent (the app writes 20 commands, runs, queues
and audit rows while the first chunks arrive) are reported apart, as their worst latency.
Heartbeats: every agent must stay ONLINE, no connection may drop, and each must get the
server's heartbeats. Heartbeats are every second here (10 s by default), so 200 agents write
200 health updates a second: ten times the default load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import control as c
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.codec import Direction
from onsembl_desktop.protocol.enums import AgentType

CHUNK_BYTES = 1024
CHUNK_EVERY_S = 0.02  # 50 KB/s
WARMUP_S = 2.0


# --- the load generator (its own process) ---------------------------------------------------------


@dataclass
class GenResult:
    agents: int = 0
    online_at_end: int = 0
    closed: int = 0
    server_beats: list[int] = field(default_factory=list)
    stored_ms: list[float] = field(default_factory=list)
    warmup_max_ms: float = 0.0
    chunks: int = 0
    started_ns: int = 0
    ended_ns: int = 0
    cpu_s: float = 0.0


class FakeAgent:
    def __init__(self, name: str, url: str, token: str, result: GenResult) -> None:
        self.name = name
        self.url = url
        self.token = token
        self.result = result
        self.seq = 0
        self.sent_at: dict[int, float] = {}
        self.acked = 0
        self.beats = 0
        self.command: asyncio.Future[uuid.UUID] = asyncio.get_running_loop().create_future()
        self.interval = 1.0

    async def run(self, stop: asyncio.Event, streaming: bool) -> None:
        async with connect(
            self.url,
            additional_headers={"Authorization": f"Bearer {self.token}"},
            compression=None,
            open_timeout=60,
            max_size=None,
        ) as ws:
            hello = m.AgentConnect(
                name=self.name,
                agent_type=AgentType.SHELL,
                instance_id=uuid.uuid4(),
                protocol_version=1,
            )
            await ws.send(codec.encode(hello), text=True)
            welcome = codec.decode(await ws.recv()).payload
            assert isinstance(welcome, m.AgentWelcome), welcome
            self.interval = welcome.heartbeat_interval_ms / 1000
            tasks = [
                asyncio.create_task(self._read(ws)),
                asyncio.create_task(self._beat(ws)),
            ]
            if streaming:
                tasks.append(asyncio.create_task(self._stream(ws, stop)))
            try:
                await stop.wait()
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _read(self, ws: Any) -> None:
        try:
            async for raw in ws:
                msg = codec.decode(raw, expect=Direction.SERVER_TO_AGENT).payload
                if isinstance(msg, m.OutputAck):
                    now = time.perf_counter()
                    for seq in range(self.acked + 1, msg.seq + 1):
                        sent = self.sent_at.pop(seq, None)
                        if sent is not None:
                            self.result.stored_ms.append((now - sent) * 1000)
                    self.acked = max(self.acked, msg.seq)
                elif isinstance(msg, m.ServerHeartbeat):
                    self.beats += 1
                elif isinstance(msg, m.CommandRequest) and not self.command.done():
                    self.command.set_result(msg.command_id)
        except ConnectionClosed:
            self.result.closed += 1

    async def _beat(self, ws: Any) -> None:
        while True:
            await ws.send(codec.encode(m.AgentHeartbeat()), text=True)
            await asyncio.sleep(self.interval)

    async def _stream(self, ws: Any, stop: asyncio.Event) -> None:
        command_id = await self.command
        self.seq += 1
        await ws.send(codec.encode(m.CommandAck(seq=self.seq, command_id=command_id)), text=True)
        pad = "x" * (CHUNK_BYTES - 40) + "\r\n"
        next_at = time.perf_counter()
        while not stop.is_set():
            self.seq += 1
            data = f"@t{time.time_ns()};{pad}"
            self.sent_at[self.seq] = time.perf_counter()
            out = m.TerminalOutput(seq=self.seq, command_id=command_id, data=data)
            await ws.send(codec.encode(out), text=True)
            self.result.chunks += 1
            next_at += CHUNK_EVERY_S
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))


async def _control(url: str, token: str) -> tuple[Any, Callable[..., Any]]:
    ws = await connect(url, additional_headers={"Authorization": f"Bearer {token}"})

    async def call(method: str, **params: Any) -> Any:
        req = c.ControlRequest(
            id=str(uuid.uuid4()), method=method, params=params, timestamp=codec.now_ms()
        )
        await ws.send(c.encode(req), text=True)
        while True:
            reply = c.decode_reply(await ws.recv())
            if isinstance(reply, c.ControlResponse) and reply.id == req.id:
                assert reply.ok, reply.error
                return reply.result

    return ws, call


async def generate(args: argparse.Namespace) -> GenResult:
    result = GenResult(agents=args.agents)
    data_dir = Path(args.data_dir)
    token = (data_dir / "agent_token").read_text().strip()
    ctl_token = (data_dir / "control_token").read_text().strip()
    agent_url = args.url + "/ws/agent"
    stop = asyncio.Event()
    agents = [
        FakeAgent(f"{args.prefix}{i:03d}", agent_url, token, result) for i in range(args.agents)
    ]
    streaming = set(range(args.streaming))
    runs = [asyncio.create_task(a.run(stop, i in streaming)) for i, a in enumerate(agents)]
    ctl_ws, call = await _control(args.url + "/ws/control", ctl_token)
    # Every agent connected before the clock starts.
    while (  # noqa: ASYNC110
        len(
            [
                a
                for a in await call("agents.list")
                if a["status"] == "ONLINE" and a["name"].startswith(args.prefix)
            ]
        )
        < args.agents
    ):
        await asyncio.sleep(0.2)
    for i in sorted(streaming):
        await call("commands.send", agents=[agents[i].name], content="bench stream")
    # Warm-up: the commands' own writes and the streams' first chunks land together. Measured
    # apart (its worst case is reported), so the percentiles describe steady streaming.
    await asyncio.sleep(WARMUP_S)
    result.warmup_max_ms = max(result.stored_ms, default=0.0)
    result.stored_ms.clear()
    cpu0 = time.process_time()
    result.started_ns = time.time_ns()
    await asyncio.sleep(args.seconds)
    result.ended_ns = time.time_ns()
    result.cpu_s = time.process_time() - cpu0
    listed = await call("agents.list")
    result.online_at_end = sum(
        1 for a in listed if a["name"].startswith(args.prefix) and a["status"] == "ONLINE"
    )
    result.server_beats = [a.beats for a in agents]
    stop.set()  # (the commands stay open; the app gives them up after its grace period)
    await asyncio.gather(*runs, return_exceptions=True)
    await ctl_ws.close()
    return result


# --- the driver -----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


@dataclass
class Phase:
    name: str
    agents: int
    streaming: int
    seconds: float
    gen: GenResult | None = None
    screen_ms: list[float] = field(default_factory=list)
    app_cpu: float = 0.0  # % of one core
    app_rss_mb: float = 0.0
    missed_beats: int = 0


class App:
    def __init__(self, data_dir: Path, probe: Path) -> None:
        self.data_dir = data_dir
        self.probe = probe
        self.log = open(data_dir.parent / "app.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "onsembl_desktop",
                "--headless",
                "--data-dir",
                str(data_dir),
                "--port",
                "0",
                "--heartbeat",
                "1",
                "--probe",
                str(probe),
            ],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), line
        self.url = line.split()[-1]
        self.ps = psutil.Process(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def run_phase(app: App, phase: Phase, prefix: str) -> None:
    out_file = app.data_dir.parent / f"{prefix}.json"
    gen = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--generator",
            "--url",
            app.url,
            "--data-dir",
            str(app.data_dir),
            "--agents",
            str(phase.agents),
            "--streaming",
            str(phase.streaming),
            "--seconds",
            str(phase.seconds),
            "--prefix",
            prefix,
            "--out",
            str(out_file),
        ],
    )
    cpu_samples, rss = [], []
    app.ps.cpu_percent(None)
    while gen.poll() is None:
        time.sleep(0.5)
        cpu_samples.append(app.ps.cpu_percent(None))
        rss.append(app.ps.memory_info().rss)
    phase.gen = GenResult(**json.loads(out_file.read_text()))
    # Only the samples of the measured window (the generator reports it).
    phase.app_cpu = statistics.mean(cpu_samples[-int(phase.seconds * 2) :] or [0.0])
    phase.app_rss_mb = max(rss or [0]) / 1e6
    time.sleep(1.2)  # (the probe flushes once a second)
    for line in app.probe.read_text().splitlines():
        at, lat = line.split()
        if phase.gen.started_ns <= int(at) <= phase.gen.ended_ns:
            phase.screen_ms.append(int(lat) / 1000)
    expected = phase.seconds  # one server heartbeat a second
    phase.missed_beats = sum(1 for b in phase.gen.server_beats if b < expected - 2)


def idle_phase(app: App, seconds: float) -> Phase:
    phase = Phase("idle app", 0, 0, seconds)
    app.ps.cpu_percent(None)
    samples = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.5)
        samples.append(app.ps.cpu_percent(None))
    phase.app_cpu = statistics.mean(samples)
    phase.app_rss_mb = app.ps.memory_info().rss / 1e6
    return phase


def report(phases: list[Phase]) -> None:
    def row(label: str, fn: Callable[[Phase], str]) -> None:
        print(f"{label:<34}" + "".join(f"{fn(p):>24}" for p in phases))

    print()
    print(f"{'':<34}" + "".join(f"{p.name:>24}" for p in phases))
    row("agents connected / streaming", lambda p: f"{p.agents} / {p.streaming}" if p.gen else "-")
    row("ONLINE at the end", lambda p: f"{p.gen.online_at_end}/{p.agents}" if p.gen else "-")
    row("connections dropped", lambda p: str(p.gen.closed) if p.gen else "-")
    row("agents that missed heartbeats", lambda p: str(p.missed_beats) if p.gen else "-")
    row("chunks streamed", lambda p: f"{p.gen.chunks:,}" if p.gen else "-")
    for label, values in (
        ("output->stored p50 / p99 ms", lambda p: p.gen.stored_ms if p.gen else []),
        ("output->screen p50 / p99 ms", lambda p: p.screen_ms),
    ):
        row(
            label,
            lambda p, v=values: (  # type: ignore[misc]
                f"{pct(v(p), 0.5):.1f} / {pct(v(p), 0.99):.1f}" if v(p) else "-"
            ),
        )
    row(
        "first 2 s (commands start) max ms",
        lambda p: f"{p.gen.warmup_max_ms:.0f}" if p.gen and p.streaming else "-",
    )
    row("app CPU (% of one core)", lambda p: f"{p.app_cpu:.1f}")
    row("app resident memory MB", lambda p: f"{p.app_rss_mb:.0f}")
    row(
        "load generator CPU (% of a core)",
        lambda p: f"{100 * p.gen.cpu_s / p.seconds:.0f}" if p.gen else "-",
    )
    print()
    for p in phases:
        if p.gen and p.agents:
            target = 50.0 if p.agents <= 10 else 200.0
            worst = max(pct(p.gen.stored_ms, 0.99), pct(p.screen_ms, 0.99))
            verdict = "met" if worst <= target else "MISSED"
            print(f"{p.name}: p99 target {target:.0f} ms {verdict} (worst p99 {worst:.1f} ms)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--streaming", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--generator", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--prefix", default="ld", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generator:
        result = asyncio.run(generate(args))
        # To a file: the latencies are hundreds of KB, more than a pipe holds unread.
        Path(args.out).write_text(json.dumps(asdict(result)))
        return 0
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        app = App(data_dir, Path(tmp) / "probe.txt")
        try:
            phases = [idle_phase(app, 5)]
            for phase, prefix in (
                (Phase("baseline 10/10", 10, 10, min(args.seconds, 15.0)), "base"),
                (
                    Phase(
                        f"load {args.agents}/{args.streaming}",
                        args.agents,
                        args.streaming,
                        args.seconds,
                    ),
                    "load",
                ),
            ):
                print(f"running {phase.name} for {phase.seconds:g} s ...", flush=True)
                run_phase(app, phase, prefix)
                phases.append(phase)
            disconnects = (data_dir.parent / "app.log").read_text().count("missed 3 heartbeats")
        finally:
            app.stop()
    report(phases)
    print(f"app log: 'missed 3 heartbeats' x {disconnects}")
    print(
        f"machine: {os.cpu_count()} cores; load average {load_before:.2f} before the run, "
        f"{os.getloadavg()[0]:.2f} after (other work on the machine shows in the latencies)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
