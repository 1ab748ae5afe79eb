"""The app with its window under streaming load: loop lag, repaints and nothing lost.

    python benchmarks/bench_app_stream.py [--agents 10] [--rate 1.0] [--seconds 30]
                                          [--phases core,split,all] [--profile PHASE]

The real GUI app runs in this process, offscreen (``QT_QPA_PLATFORM=offscreen``): an
``OnsemblApp`` on port 0 with its ``MainWindow`` over it, on one qasync loop, as ``onsembl``
runs it. A load generator in another process speaks the real agent protocol on one connection
per agent, with the agent's own outbox (8 ms / 32 KB coalescing), resume buffer and pacer: each
command it is sent makes it "print" coloured log output at ``--rate`` MB/s for ``--seconds``, in
PTY-sized reads of up to 4 KB cut anywhere (mid-line, mid-escape), then COMMAND_COMPLETE; it keeps
each message until the app acknowledges it, as ``onsembl-agent`` does. Its achieved rate and CPU
are printed; at start it measures its own capacity without the app (it must exceed the load).

Phases, one after the other on the same app, agents and machine, each beside the others:

* **core** (the baseline): no window — gateway, core and store alone. Whatever lag this phase
  shows the window cannot go below; the window phases show what the UI adds on top.
* **split**: the window showing the split view of six agents (the most it shows), the All view
  fed behind it and the other agents' tabs hidden, as a user watching several agents would.
* **all**: the window showing the All tab (every agent's lines interleaved).

Figures: the loop-lag probe (a task that sleeps 5 ms repeatedly and records how late it wakes:
p50/p95/p99/max), repaints per view per second against frame-clock ticks (at most one a frame:
``extra`` counts paint events beyond one between two frames), rows painted per paint against rows
changed per frame, the generator's achieved rate, and bytes stored against bytes sent (with a
SHA-256 of each command's stored text against the generator's: nothing lost, nothing doubled).
Target (issue 6): lag p99 <= 50 ms with 10 agents x 1 MB/s.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import json
import os
import pstats
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from onsembl_desktop.agent.buffer import ResumeBuffer
from onsembl_desktop.agent.outbox import Outbox
from onsembl_desktop.agent.pacer import Pacer
from onsembl_desktop.protocol import PROTOCOL_VERSION, codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.codec import Direction
from onsembl_desktop.protocol.enums import AgentType, CommandStatus

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import pct  # (the same percentile as the load benchmark's)

PTY_READ = 4096  # what one read of a pseudo-terminal returns at most (Linux)
PREFIX = "load"
MAX_SPLIT = 6

# --- realistic coloured log output ----------------------------------------------------------------

WORDS = [
    *("build", "test", "passed", "failed", "cache", "compile", "link", "module", "request"),
    *("worker", "queue", "retry", "session", "token", "parser", "index", "commit", "fetch"),
    *("resolve", "render", "layout", "socket", "upload", "schema"),
]
LEVELS = [("INFO", "32"), ("DEBUG", "2;34"), ("WARN", "33"), ("ERROR", "1;31")]


def corpus(seed: int, size: int = 1 << 20) -> str:
    """About ``size`` characters of log output: timestamps, levels and modules in colour, lines of
    50 to 110 columns and one in twenty of 120 to 300 (they wrap at 120), a progress line redrawn
    with CR now and then, a few non-ASCII characters."""
    rng = random.Random(seed)
    out: list[str] = []
    total = i = 0
    while total < size:
        i += 1
        level, colour = rng.choices(LEVELS, weights=(60, 25, 10, 5))[0]
        stamp = f"12:{i // 3600 % 60:02d}:{i // 60 % 60:02d}.{i % 1000:03d}"
        module = f"{rng.choice(WORDS)}.{rng.choice(WORDS)}"
        count = rng.randint(12, 40) if rng.random() < 0.05 else rng.randint(1, 9)
        words = " ".join(rng.choice(WORDS) for _ in range(count))
        if rng.random() < 0.03:
            pct = rng.randint(0, 100)
            bar = "█" * (pct // 5) + "░" * (20 - pct // 5)
            line = f"\r\x1b[36m{bar}\x1b[0m {pct:3d}% \x1b[2m{module}\x1b[0m\r\n"
        else:
            mark = " ✓" if rng.random() < 0.05 else ""
            line = (
                f"\x1b[2m{stamp}\x1b[0m \x1b[{colour}m{level:<5}\x1b[0m "
                f"\x1b[36m{module:<24}\x1b[0m {words[:20]}\x1b[1m{words[20:30]}\x1b[0m"
                f"{words[30:]}{mark}\r\n"
            )
        out.append(line)
        total += len(line)
    return "".join(out)


# --- the load generator (its own process) ---------------------------------------------------------


class LoadAgent:
    """One agent connection: the agent's outbox, resume buffer and pacer over a real socket."""

    def __init__(self, name: str, args: argparse.Namespace, token: str, seed: int) -> None:
        self.name = name
        self.args = args
        self.token = token
        self.text = corpus(seed)
        self.pos = 0
        self.buffer = ResumeBuffer()
        self.pacer = Pacer()
        self.wake = asyncio.Event()
        self.outbox = Outbox(self.buffer, self.wake.set)
        self.outbox.ready = self._can_send_now
        self.sent_seq = 0
        self.connected = False
        self.interval = 10.0
        self.tasks: set[asyncio.Task[None]] = set()
        self.running: set[uuid.UUID] = set()
        self.reconnects = 0

    def _can_send_now(self) -> bool:  # as agent/client.py's: gather more while behind
        return self.connected and self.sent_seq >= self.buffer.last_seq and self.pacer.available()

    async def run(self) -> None:
        """Connect, and reconnect after a drop (resending what was not acknowledged)."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        instance_id = uuid.uuid4()
        while True:
            try:
                async with connect(
                    self.args.url + "/ws/agent",
                    additional_headers={"Authorization": f"Bearer {self.token}"},
                    compression=None,
                    max_size=1 << 21,
                    open_timeout=60,
                    ping_interval=20,  # as onsembl-agent
                    ping_timeout=20,
                ) as ws:
                    await self._serve(ws, instance_id)
            except (ConnectionClosed, OSError, TimeoutError) as exc:
                self.connected = False
                self.reconnects += 1
                print(f"{self.name}: connection lost ({exc!r}); reconnecting", flush=True)
                await asyncio.sleep(0.5)

    async def _serve(self, ws: Any, instance_id: uuid.UUID) -> None:
        hello = m.AgentConnect(
            name=self.name,
            agent_type=AgentType.SHELL,
            instance_id=instance_id,
            protocol_version=PROTOCOL_VERSION,
            last_seq=self.buffer.last_seq,
            commands=[m.CommandState(command_id=c, running=True) for c in self.running],
        )
        await self.pacer.take()
        await ws.send(codec.encode(hello), text=True)
        welcome = codec.decode(await ws.recv()).payload
        assert isinstance(welcome, m.AgentWelcome), welcome
        self.interval = welcome.heartbeat_interval_ms / 1000
        self.buffer.ack(welcome.acked_seq)
        self.sent_seq = welcome.acked_seq
        self.connected = True
        tasks = [
            asyncio.create_task(self._send(ws)),
            asyncio.create_task(self._beat(ws)),
            asyncio.create_task(self._read(ws)),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _send(self, ws: Any) -> None:
        while True:
            self.wake.clear()
            entries = self.buffer.after(self.sent_seq, 256)
            if not entries:
                await self.wake.wait()
                continue
            for entry in entries:
                await self.pacer.take()
                await ws.send(entry.data, text=True)
                self.sent_seq = entry.seq

    async def _beat(self, ws: Any) -> None:
        while True:
            await self.pacer.take()
            await ws.send(codec.encode(m.AgentHeartbeat()), text=True)
            await asyncio.sleep(self.interval)

    async def _read(self, ws: Any) -> None:
        async for raw in ws:
            msg = codec.decode(raw, expect=Direction.SERVER_TO_AGENT).payload
            if isinstance(msg, m.OutputAck):
                self.buffer.ack(msg.seq)
            elif isinstance(msg, m.CommandRequest):
                task = asyncio.create_task(self._stream(msg.command_id))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    def _piece(self, n: int) -> str:
        text, pos = self.text, self.pos
        piece = text[pos : pos + n]
        if len(piece) < n:
            piece += text[: n - len(piece)]
        self.pos = (pos + n) % len(text)
        return piece

    async def _stream(self, command_id: uuid.UUID) -> None:
        rate = self.args.rate * 1e6
        seconds = self.args.seconds
        if command_id in self.running:
            return  # a resend of the request after a reconnect
        self.running.add(command_id)
        self.outbox.send(lambda seq: m.CommandAck(seq=seq, command_id=command_id))
        digest = hashlib.sha256()
        produced = chunks = newlines = 0
        cpu0, t0 = time.process_time(), time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < seconds:
            due = int(rate * elapsed) - produced
            while due > 0:
                piece = self._piece(min(due, PTY_READ))
                data = piece.encode()
                digest.update(data)
                produced += len(data)
                newlines += piece.count("\n")
                chunks += 1
                due -= len(data)
                self.outbox.output(command_id, piece)
            await asyncio.sleep(0.002)
        ended = time.perf_counter()
        self.outbox.send(
            lambda seq: m.CommandComplete(
                seq=seq,
                command_id=command_id,
                status=CommandStatus.COMPLETED,
                exit_code=0,
                duration_ms=int((ended - t0) * 1000),
            )
        )
        self._write(
            event="produced",
            agent=self.name,
            command=str(command_id),
            bytes=produced,
            chunks=chunks,
            newlines=newlines,
            sha256=digest.hexdigest(),
            seconds=ended - t0,
            cpu0=cpu0,
            cpu1=time.process_time(),
        )
        while self.buffer.acked < self.buffer.last_seq:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        self.running.discard(command_id)
        self._write(
            event="acked",
            command=str(command_id),
            acked_after_s=time.perf_counter() - ended,
            reconnects=self.reconnects,
        )

    def _write(self, **line: Any) -> None:
        with open(self.args.out, "a") as f:
            f.write(json.dumps(line) + "\n")


def capacity(seconds: float = 1.0) -> float:
    """MB/s this process can cut, hash, coalesce and encode with no app and no socket."""

    async def go() -> float:
        agent = LoadAgent.__new__(LoadAgent)
        agent.text, agent.pos = corpus(99), 0
        buffer = ResumeBuffer()
        outbox = Outbox(buffer, lambda: None)
        command_id, produced = uuid.uuid4(), 0
        digest = hashlib.sha256()
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            for _ in range(64):
                piece = agent._piece(PTY_READ)
                data = piece.encode()
                digest.update(data)
                produced += len(data)
                outbox.output(command_id, piece)
            outbox.flush()
            buffer.ack(buffer.last_seq)
        return produced / (time.perf_counter() - t0) / 1e6

    return asyncio.run(go())


async def generate(args: argparse.Namespace) -> None:
    token = (Path(args.data_dir) / "agent_token").read_text().strip()
    agents = [LoadAgent(f"{PREFIX}{i:02d}", args, token, seed=i) for i in range(args.agents)]
    for result in await asyncio.gather(*(a.run() for a in agents), return_exceptions=True):
        print(f"load agent ended: {result!r}", flush=True)


# --- the app side (this process) ------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    lag_ms: list[float] = field(default_factory=list)
    gen: list[dict[str, Any]] = field(default_factory=list)
    gen_cpu: float = 0.0  # share of one core during the phase
    app_cpu: float = 0.0
    threads_cpu: dict[str, float] = field(default_factory=dict)  # % of one core, by thread
    fed: dict[str, tuple[int, int]] = field(default_factory=dict)  # engine: chars fed, skipped
    all_dropped: int = 0  # lines the hidden All view dropped unseen
    stored_bytes: int = 0
    stored_rows: int = 0
    digests_ok: int = 0
    ticks: int = 0
    views: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    drained: bool = False
    gc_ms: dict[int, list[float]] = field(default_factory=dict)  # generation: pauses on the loop


class GcPauses:
    """The garbage collector's pauses on the loop's thread, by generation (``gc.callbacks``)."""

    def __init__(self, into: dict[int, list[float]]) -> None:
        import threading

        self.into = into
        self.loop_thread = threading.get_ident()
        self.started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        import threading

        if threading.get_ident() != self.loop_thread:
            return
        if phase == "start":
            self.started = time.perf_counter()
        elif self.started:
            ms = (time.perf_counter() - self.started) * 1000
            self.into.setdefault(info["generation"], []).append(ms)


def thread_times() -> dict[str, float]:
    """CPU seconds so far of the loop's thread, the store writer and the rest of the process."""
    import threading

    import psutil

    names = {t.native_id: t.name for t in threading.enumerate()}
    main = threading.main_thread().native_id
    out: dict[str, float] = {"loop": 0.0, "writer": 0.0, "other": 0.0}
    for t in psutil.Process().threads():
        key = "loop" if t.id == main else "writer" if "writer" in names.get(t.id, "") else "other"
        out[key] += t.user_time + t.system_time
    return out


class Sampler:
    """A poor man's wall-clock profiler of the loop's thread (where it is, GIL waits included)."""

    def __init__(self) -> None:
        import threading

        self.counts: dict[str, int] = {}
        self.stop = threading.Event()
        self.main = threading.main_thread().ident or 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.002):
            frame = sys._current_frames().get(self.main)
            stack: list[str] = []
            while frame is not None and len(stack) < 6:
                code = frame.f_code
                stack.append(f"{Path(code.co_filename).name}:{code.co_name}")
                frame = frame.f_back
            key = " < ".join(stack[:4])
            self.counts[key] = self.counts.get(key, 0) + 1

    def report(self) -> None:
        total = sum(self.counts.values())
        print(f"wall-clock samples of the loop's thread: {total}")
        for key, n in sorted(self.counts.items(), key=lambda kv: -kv[1])[:25]:
            print(f"  {100 * n / total:5.1f}%  {key}")


async def lag_probe(samples: list[float], stop: asyncio.Event) -> None:
    """Sleep 5 ms again and again; record how late each wake-up is."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.005)
        samples.append((time.perf_counter() - start - 0.005) * 1000)


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.data_dir = tmp / "data"
        self.out = tmp / "gen.jsonl"
        self.window: Any = None
        self.gen: subprocess.Popen[bytes] | None = None

    async def run(self) -> list[Phase]:
        from onsembl_desktop.app import AppConfig, OnsemblApp, settle_heap

        self.app = OnsemblApp(
            AppConfig(
                data_dir=self.data_dir,
                port=0,
                heartbeat_interval_s=5,
                supervise_local_agents=False,
            )
        )
        await self.app.start()
        if not self.args.no_freeze:
            settle_heap()  # as onsembl does once started (app.run_until_signalled, ui.launch)
        if self.args.switch_interval:
            sys.setswitchinterval(self.args.switch_interval)
        print(
            f"loop: {type(asyncio.get_running_loop()).__qualname__}, "
            f"GIL switch interval {sys.getswitchinterval() * 1000:g} ms, "
            f"gc.freeze {'off' if self.args.no_freeze else 'on'}"
        )
        try:
            return await self._phases()
        finally:
            if self.gen is not None:
                self.gen.terminate()
                self.gen.wait(10)
            if self.window is not None:
                self.window.close()
            await self.app.stop()

    @property
    def core(self) -> Any:
        return self.app.core

    async def _phases(self) -> list[Phase]:
        from onsembl_desktop.protocol.enums import AgentStatus

        self.gen = subprocess.Popen(  # noqa: ASYNC220 (it only starts)
            [
                sys.executable,
                __file__,
                "--generator",
                "--url",
                self.app.url,
                "--data-dir",
                str(self.data_dir),
                "--agents",
                str(self.args.agents),
                "--rate",
                str(self.args.rate),
                "--seconds",
                str(self.args.seconds),
                "--out",
                str(self.out),
            ]
        )
        names = [f"{PREFIX}{i:02d}" for i in range(self.args.agents)]
        deadline = time.monotonic() + 60
        while True:
            found = [self.core.agents.by_name(n) for n in names]
            if all(a is not None and a.status is AgentStatus.ONLINE for a in found):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the load agents did not connect")
            await asyncio.sleep(0.1)
        self.agent_ids = [a.id for a in found if a is not None]
        phases = []
        for name in self.args.phases.split(","):
            if name != "core" and self.window is None:
                self._open_window()
            self._arrange(name)
            await asyncio.sleep(1.0)  # let the window settle (layout, first paints)
            if not await self._idle():
                print(f"{name}: skipped, the agents are still busy with the last phase's output")
                break
            print(f"running {name} for {self.args.seconds:g} s ...", flush=True)
            phase = await self._phase(name)
            print(
                f"  {name}: lag p50 {pct(phase.lag_ms, 0.5):.1f} p99 {pct(phase.lag_ms, 0.99):.1f} "
                f"max {max(phase.lag_ms, default=0):.1f} ms; drained: {phase.drained}",
                flush=True,
            )
            phases.append(phase)
        return phases

    async def _idle(self) -> bool:
        """Wait (up to --drain) until no agent runs a command: the last phase is over."""
        deadline = time.monotonic() + self.args.drain
        while time.monotonic() < deadline:
            agents = [self.core.agents.get(a) for a in self.agent_ids]
            if all(a is not None and a.current_command_id is None for a in agents):
                return True
            await asyncio.sleep(0.2)
        return False

    def _open_window(self) -> None:
        from PySide6.QtCore import QSettings

        from onsembl_desktop.app import settle_heap
        from onsembl_desktop.ui.main_window import MainWindow

        qs = QSettings(str(self.data_dir / "ui.ini"), QSettings.Format.IniFormat)
        self.window = MainWindow(self.core, self.app.url, "onsembl-agent ...", qs)
        # (No rebuild from the database: the earlier phases' 300 MB are not what is measured.)
        self.window.resize(1600, 1000)
        self.window.show()
        if not self.args.no_freeze:
            settle_heap()  # as ui/launch.py does once the window is up

    def _arrange(self, name: str) -> None:
        w = self.window
        if name == "split":
            w.terminals.set_split_agents(self.agent_ids[:MAX_SPLIT])
            w.set_split(True)
        elif name == "all":
            w.show_all()
        elif name == "tab":
            w.set_split(False)
            w.terminals.show_agent(self.agent_ids[0])

    def _visible_views(self) -> list[tuple[str, Any]]:
        if self.window is None:
            return []
        t = self.window.terminals
        named = [("All", t.all_panel.view)]
        for agent_id, panel in {**t.panels, **t.split_panels}.items():
            agent = self.core.agents.get(agent_id)
            where = "split" if panel in t.split_panels.values() else "tab"
            named.append((f"{agent.name if agent else agent_id} ({where})", panel.view))
        return [(n, v) for n, v in named if v.isVisible()]

    async def _phase(self, name: str) -> Phase:
        import psutil

        from onsembl_desktop.core.sending import SendRequest

        phase = Phase(name)
        views = self._visible_views()
        for _n, view in views:
            view.paint_stats.reset()
        ticks0 = self.window.clock.ticks if self.window is not None else 0
        fed0 = self._fed()
        done_before = self._gen_lines()
        stop = asyncio.Event()
        probe = asyncio.create_task(lag_probe(phase.lag_ms, stop))
        pauses = GcPauses(phase.gc_ms)
        gc.callbacks.append(pauses)
        me = psutil.Process()
        me.cpu_percent(None)
        threads0 = thread_times()
        profiler = cProfile.Profile() if self.args.profile == name else None
        if profiler is not None:
            profiler.enable()
        sampler = Sampler() if self.args.sample == name else None
        if sampler is not None:
            sampler.thread.start()
        commands = [
            self.core.send(SendRequest(content=f"stream {name}", agents=[agent_id])).id
            for agent_id in self.agent_ids
        ]
        await asyncio.sleep(self.args.seconds)
        stop.set()
        await probe
        gc.callbacks.remove(pauses)
        if profiler is not None:
            profiler.disable()
        if sampler is not None:
            sampler.stop.set()
            sampler.report()
        phase.app_cpu = me.cpu_percent(None)
        threads1 = thread_times()
        for key, spent in threads1.items():
            share = 100 * (spent - threads0.get(key, 0.0)) / self.args.seconds
            phase.threads_cpu[key] = share
        phase.ticks = (self.window.clock.ticks - ticks0) if self.window is not None else 0
        phase.views = [(n, v.paint_stats.summary(self.args.seconds)) for n, v in views]
        if self.window is not None:  # (engines catch up at the end: counted after the drain)
            await asyncio.sleep(2.0)
        for key, (fed, skipped, dropped) in self._fed().items():
            f0, s0, d0 = fed0.get(key, (0, 0, 0))
            phase.fed[key] = (fed - f0, skipped - s0)
            phase.all_dropped += dropped - d0
        # What the generator produced, then everything acknowledged (stored) or --drain over.
        wanted = {str(c) for c in commands}

        def lines(event: str) -> dict[str, dict[str, Any]]:
            new = self._gen_lines()[len(done_before) :]
            return {g["command"]: g for g in new if g["event"] == event and g["command"] in wanted}

        while len(lines("produced")) < len(wanted):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        deadline = time.monotonic() + self.args.drain
        while len(lines("acked")) < len(wanted) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        produced, acked = lines("produced"), lines("acked")
        phase.gen = [{**g, **acked.get(c, {})} for c, g in produced.items()]
        phase.drained = len(acked) == len(wanted)
        phase.gen_cpu = (max(g["cpu1"] for g in phase.gen) - min(g["cpu0"] for g in phase.gen)) / (
            max(g["seconds"] for g in phase.gen)
        )
        await self._check_stored(phase, commands)
        if profiler is not None:
            path = self.tmp.parent / f"bench_app_stream.{name}.prof"
            profiler.dump_stats(path)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return phase

    def _fed(self) -> dict[str, tuple[int, int, int]]:
        """Per agent: characters its engine was fed and skipped so far; the All view's drops."""
        if self.window is None:
            return {}
        out = {}
        for agent_id in self.agent_ids:
            term = self.window.hub.get(agent_id)
            # (getattr: the same benchmark runs on the code before these counters existed)
            fed = getattr(term, "fed_total", None)
            if fed is None:
                return {}
            out[str(agent_id)] = (fed, term.skipped_total, 0)
        out["All"] = (0, 0, self.window.terminals.all.dropped_lines)
        return out

    def _gen_lines(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(x) for x in self.out.read_text().splitlines() if x.strip()]

    async def _check_stored(self, phase: Phase, commands: list[uuid.UUID]) -> None:
        from sqlalchemy import text

        await self.core.store.flush()
        by_command = {g["command"]: g for g in phase.gen}

        def read(conn: Any) -> list[tuple[str, int, int, str]]:
            out = []
            for command_id in commands:
                digest = hashlib.sha256()
                size = rows = 0
                result = conn.execute(
                    text(
                        "SELECT content FROM terminal_outputs WHERE command_id = :c "
                        "ORDER BY sequence"
                    ),
                    {"c": command_id.hex},
                )
                for (content,) in result:
                    data = content.encode()
                    digest.update(data)
                    size += len(data)
                    rows += 1
                out.append((str(command_id), size, rows, digest.hexdigest()))
            return out

        for command, size, rows, digest in await self.core.store.read(read):
            phase.stored_bytes += size
            phase.stored_rows += rows
            phase.digests_ok += digest == by_command[command]["sha256"]


def report(phases: list[Phase], args: argparse.Namespace, gen_capacity: float) -> None:
    target = args.agents * args.rate

    def row(label: str, fn: Any) -> None:
        print(f"{label:<40}" + "".join(f"{fn(p):>26}" for p in phases))

    print()
    print(f"{'':<40}" + "".join(f"{p.name:>26}" for p in phases))
    row(
        "loop lag p50 / p95 ms",
        lambda p: f"{pct(p.lag_ms, 0.5):.1f} / {pct(p.lag_ms, 0.95):.1f}",
    )
    row(
        "loop lag p99 / max ms",
        lambda p: f"{pct(p.lag_ms, 0.99):.1f} / {max(p.lag_ms, default=0):.1f}",
    )
    row("lag samples", lambda p: f"{len(p.lag_ms):,}")
    for gen in (0, 1, 2):
        row(
            f"gc gen{gen} pauses on the loop (max ms)",
            lambda p, g=gen: f"{len(p.gc_ms.get(g, []))} ({max(p.gc_ms.get(g, [0.0])):.1f})",
        )
    row(
        "sent MB (achieved MB/s, target)",
        lambda p: (
            f"{sum(g['bytes'] for g in p.gen) / 1e6:.1f} "
            f"({sum(g['bytes'] / g['seconds'] for g in p.gen) / 1e6:.2f}, {target:g})"
        ),
    )
    row("stored MB (rows)", lambda p: f"{p.stored_bytes / 1e6:.1f} ({p.stored_rows:,})")
    row(
        "stored == sent (SHA-256 per command)",
        lambda p: (
            f"{p.digests_ok}/{len(p.gen)}"
            + (
                " ok"
                if p.digests_ok == len(p.gen) and p.stored_bytes == sum(g["bytes"] for g in p.gen)
                else " LOST"
            )
        ),
    )
    row(
        "last ack after the stream ended, s",
        lambda p: (
            f"{max(g['acked_after_s'] for g in p.gen):.2f}"
            if p.drained
            else f"not within {args.drain:g}"
        ),
    )
    row(
        "connections lost (total so far)",
        lambda p: str(sum(g.get("reconnects", 0) for g in p.gen)),
    )
    row("app CPU (% of one core)", lambda p: f"{p.app_cpu:.0f}")
    row(
        "  loop / writer / other threads",
        lambda p: " / ".join(f"{p.threads_cpu.get(k, 0):.0f}" for k in ("loop", "writer", "other")),
    )
    row("generator CPU (% of one core)", lambda p: f"{100 * p.gen_cpu:.0f}")
    row(
        "engines fed / skipped MB",
        lambda p: (
            f"{sum(f for f, _ in p.fed.values()) / 1e6:.1f} / "
            f"{sum(s for _, s in p.fed.values()) / 1e6:.1f}"
            if p.fed
            else "-"
        ),
    )
    row("All view lines dropped unseen", lambda p: f"{p.all_dropped:,}" if p.fed else "-")
    row("frame-clock ticks / s", lambda p: f"{p.ticks / args.seconds:.1f}" if p.ticks else "-")
    print()
    for p in phases:
        if not p.views:
            continue
        print(f"{p.name}: views visible: {len(p.views)}")
        print(
            f"  {'view':<22}{'paints/s':>9}{'extra':>7}{'rows/paint':>11}{'max':>5}"
            f"{'changed/frame':>14}{'rows seen':>10}{'ms/paint':>9}"
        )
        for name, s in p.views:
            print(
                f"  {name:<22}{s['paints_per_s']:>9.1f}{s['extra']:>7.0f}"
                f"{s['rows_per_paint']:>11.1f}{s['max_rows']:>5.0f}"
                f"{s['changed_per_frame']:>14.1f}{s['visible_rows']:>10.0f}{s['ms_per_paint']:>9.2f}"
            )
    print()
    print(f"load generator capacity without the app: {gen_capacity:.0f} MB/s (load: {target:g})")
    for p in phases:
        verdict = "met" if pct(p.lag_ms, 0.99) <= 50 else "MISSED"
        print(f"{p.name}: lag p99 <= 50 ms {verdict} ({pct(p.lag_ms, 0.99):.1f} ms)")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (other work on "
        "the machine shows in the lag)"
    )


def run_app(args: argparse.Namespace) -> list[Phase]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    import onsembl_desktop.ui  # noqa: F401 - the PySide6 fixes first
    from onsembl_desktop.ui.event_loop import EventLoop
    from onsembl_desktop.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app, "dark")
    loop = qasync.QEventLoop(app) if args.stock_loop else EventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp, loop:
        bench = Bench(args, Path(tmp))
        phases: list[Phase] = loop.run_until_complete(bench.run())
    return phases


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--agents", type=int, default=10)
    ap.add_argument("--rate", type=float, default=1.0, help="MB/s per agent")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--phases", default="core,split,all", help="core, split, all, tab")
    ap.add_argument("--drain", type=float, default=120.0, help="wait at most this for the acks")
    ap.add_argument(
        "--switch-interval",
        type=float,
        default=0.0,
        help="sys.setswitchinterval after the app has set its own (onsembl_desktop.app)",
    )
    ap.add_argument(
        "--no-freeze",
        action="store_true",
        help="no gc.freeze() (app.settle_heap) after start-up: every full collection walks it all",
    )
    ap.add_argument(
        "--stock-loop",
        action="store_true",
        help="qasync's own QEventLoop (a timer per ready callback), not the app's EventLoop",
    )
    ap.add_argument("--sample", default="", help="sample the loop's thread's stack in this phase")
    ap.add_argument("--profile", default="", help="cProfile the loop's thread in this phase")
    ap.add_argument("--generator", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generator:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # (no shutdown noise when stopped)
        asyncio.run(generate(args))
        return 0
    gen_capacity = capacity()
    phases = run_app(args)
    report(phases, args, gen_capacity)
    return 0


if __name__ == "__main__":
    sys.exit(main())
