"""``onsembl ctl``: a command-line client of the running app's control endpoint.

Finds the app through ``DATA_DIR/endpoint.json`` and authenticates with ``DATA_DIR/control_token``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .. import tls
from ..errors import KnownError
from ..gateway.auth import control_token
from ..paths import read_endpoint
from ..protocol import control as c
from ..protocol.codec import ProtocolError, now_ms

log = logging.getLogger("onsembl.ctl")


# How a subcommand's help names a command id: a full one or a unique prefix of it.
ID_HELP = "command id, or a unique prefix of it (4+ hex digits)"


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
        pinned: dict[str, Any] = {}
        if url.startswith("wss://"):
            # The app's own certificate, from the same data dir: pin it like an agent does.
            pin = tls.fingerprint(self.data_dir)
            if pin is None:
                raise CtlError(f"the app serves TLS but {self.data_dir} holds no certificate")
            pinned = {
                "ssl": tls.pinned_client_context(),
                "create_connection": tls.pinned_connection(pin),
            }
        try:
            self._ws = await connect(
                url,
                additional_headers={"Authorization": f"Bearer {token}"},
                max_size=c.MAX_REPLY_BYTES,
                compression=None,
                open_timeout=10,
                **pinned,
            )
        except InvalidStatus as exc:
            body = exc.response.body.decode(errors="replace").strip() if exc.response.body else ""
            raise CtlError(f"the app refused the connection: {body}") from None
        except tls.FingerprintMismatchError as exc:
            raise CtlError(str(exc)) from None
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
        except ProtocolError as exc:  # not an Onsembl app speaking, or a bug: end like a close
            log.warning("unreadable reply from the app: %s", exc.message)
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

    async def command_id(self, text: str) -> str:
        """The full id of the command ``text`` names: itself if it is a full id, else the one
        command (open or finished) whose id starts with it, which the app resolves
        (``commands.resolve``: at least 4 hex digits, dashes optional)."""
        return await self._resolve(text, "commands.resolve")

    async def report_id(self, text: str) -> str:
        """The full id of the report ``text`` names: a full id, or a unique prefix of one that the
        app resolves (``reports.resolve``), as for commands."""
        return await self._resolve(text, "reports.resolve")

    async def _resolve(self, text: str, method: str) -> str:
        try:
            return str(uuid.UUID(text))
        except ValueError:
            pass
        result = await self.call(method, prefix=text)
        return str(result["id"])

    async def events(self) -> AsyncIterator[c.ControlEvent]:
        while True:
            event = await self._events.get()
            if event is None:
                raise CtlError("the app closed the connection")
            yield event
