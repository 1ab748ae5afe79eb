"""``onsembl ctl``: a command-line client of the running app's control endpoint.

Finds the app through ``DATA_DIR/endpoint.json`` and authenticates with ``DATA_DIR/control_token``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .errors import KnownError
from .gateway.auth import control_token
from .paths import read_endpoint
from .protocol import control as c
from .protocol.codec import now_ms


class CtlError(KnownError):
    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class ControlClient:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._ws: ClientConnection | None = None
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._events: asyncio.Queue[c.ControlEvent | None] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ControlClient:
        endpoint = read_endpoint(self.data_dir)
        if endpoint is None:
            raise CtlError(f"Onsembl is not running with data dir {self.data_dir}")
        url = str(endpoint["url"]).rstrip("/") + "/ws/control"
        token = control_token(self.data_dir)
        try:
            self._ws = await connect(
                url,
                additional_headers={"Authorization": f"Bearer {token}"},
                max_size=16 * 1024 * 1024,
                compression=None,
                open_timeout=10,
            )
        except InvalidStatus as exc:
            body = exc.response.body.decode(errors="replace").strip() if exc.response.body else ""
            raise CtlError(f"the app refused the connection: {body}") from None
        except OSError as exc:
            raise CtlError(f"cannot reach the app at {url}: {exc}") from None
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._ws is not None:
            await self._ws.close()

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                msg = c.decode_reply(raw)
                if isinstance(msg, c.ControlEvent):
                    self._events.put_nowait(msg)
                    continue
                future = self._pending.pop(msg.id, None)
                if future is None or future.done():
                    continue
                if msg.ok:
                    future.set_result(msg.result)
                else:
                    err = msg.error or c.ControlErrorInfo(code="?", message="unknown error")
                    future.set_exception(CtlError(err.message, err.code))
        except ConnectionClosed:
            pass
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(CtlError("the app closed the connection"))
            self._events.put_nowait(None)

    async def call(self, method: str, **params: Any) -> Any:
        assert self._ws is not None
        req_id = str(uuid.uuid4())
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = future
        req = c.ControlRequest(
            id=req_id,
            method=method,
            params={k: v for k, v in params.items() if v is not None},
            timestamp=now_ms(),
        )
        await self._ws.send(c.encode(req), text=True)
        return await future

    async def events(self) -> AsyncIterator[c.ControlEvent]:
        while True:
            event = await self._events.get()
            if event is None:
                raise CtlError("the app closed the connection")
            yield event


# --- the command line ------------------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ctl = sub.add_parser("ctl", help="talk to the running app (for scripts and tests)")
    ctl_sub = ctl.add_subparsers(dest="ctl_command", required=True)

    agents = ctl_sub.add_parser("agents", help="list agents")
    agents.add_argument("--json", action="store_true")

    send = ctl_sub.add_parser("send", help="send a command; prints its id")
    send.add_argument(
        "--agent", action="append", default=[], metavar="NAME", help="target agent (repeatable)"
    )
    send.add_argument("--all", action="store_true", help="send to every online agent")
    send.add_argument(
        "--type",
        default="NATURAL",
        type=str.upper,
        choices=["NATURAL", "INVESTIGATE", "REVIEW", "PLAN", "SYNTHESIZE"],
    )
    send.add_argument("--priority", type=int, default=50)
    send.add_argument("--time-limit", type=float, metavar="SEC")
    send.add_argument("--token-budget", type=int)
    send.add_argument(
        "--fail-if-offline",
        action="store_true",
        help="fail at once instead of queueing for an offline agent",
    )
    send.add_argument(
        "--wait",
        action="store_true",
        help="stream the output; exit 0 only if the command COMPLETED",
    )
    send.add_argument("text")

    show = ctl_sub.add_parser("show", help="a command's status and stored output")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")

    cancel = ctl_sub.add_parser("cancel", help="cancel a command")
    cancel.add_argument("id")


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run(args))
    except CtlError as exc:
        print(f"onsembl ctl: {exc}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace) -> int:
    async with ControlClient(args.data_dir) as client:
        handler = _HANDLERS[args.ctl_command]
        return await handler(client, args)


async def _agents(client: ControlClient, args: argparse.Namespace) -> int:
    agents = await client.call("agents.list")
    if args.json:
        print(json.dumps(agents, indent=2))
        return 0
    print(f"{'NAME':<20} {'TYPE':<8} {'STATUS':<10} {'ACTIVITY':<11} {'QUEUE':>5}  HOST")
    for a in agents:
        print(
            f"{a['name']:<20} {a['type']:<8} {a['status']:<10} {a['activity']:<11} "
            f"{a['queueLength']:>5}  {a['hostMachine']}"
        )
    return 0


async def _send(client: ControlClient, args: argparse.Namespace) -> int:
    result = await client.call(
        "commands.send",
        content=args.text,
        agents=args.agent,
        all=args.all,
        type=args.type,
        priority=args.priority,
        timeLimitMs=int(args.time_limit * 1000) if args.time_limit else None,
        tokenBudget=args.token_budget,
        failIfOffline=args.fail_if_offline,
    )
    print(result["id"], flush=True)
    queued = [r["agent"] for r in result["runs"] if r["status"] == "QUEUED"]
    if queued and not args.wait:
        print(f"queued for {', '.join(queued)}", file=sys.stderr)
    if not args.wait:
        return 0
    return await _watch(client, result["id"])


async def _watch(client: ControlClient, command_id: str) -> int:
    await client.call("commands.watch", commandId=command_id)
    out = sys.stdout
    async for event in client.events():
        if event.event == "output":
            out.write(event.data["data"])
            out.flush()
        elif event.event == "done":
            status = event.data["status"]
            if status != "COMPLETED":
                error = event.data.get("error") or ""
                print(f"\ncommand {status}{': ' + error if error else ''}", file=sys.stderr)
            return 0 if status == "COMPLETED" else 1
    return 1


async def _show(client: ControlClient, args: argparse.Namespace) -> int:
    view = await client.call("commands.show", commandId=args.id)
    if args.json:
        print(json.dumps(view, indent=2))
        return 0
    print(f"command {view['id']}  {view['status']}  ({view['type']}, priority {view['priority']})")
    print(f"  {view['content']}")
    for run in view["runs"]:
        extra = f" exit {run['exitCode']}" if run["exitCode"] is not None else ""
        error = f" — {run['error']}" if run["error"] else ""
        print(f"  {run['agent']}: {run['status']}{extra}{error}")
    print()
    for chunk in view["output"]:
        sys.stdout.write(chunk["data"])
    sys.stdout.flush()
    return 0


async def _cancel(client: ControlClient, args: argparse.Namespace) -> int:
    view = await client.call("commands.cancel", commandId=args.id)
    print(f"{view['id']} {view['status']}")
    return 0


_HANDLERS = {"agents": _agents, "send": _send, "show": _show, "cancel": _cancel}
