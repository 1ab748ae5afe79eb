"""A scripted model API on 127.0.0.1 for the real CLIs: what it serves and what it was sent.

Each API (Anthropic Messages, OpenAI Responses, Gemini) is a subclass that knows its wire format.
A test scripts the replies of the model *turns* (the requests of the CLI's agent loop) in order;
everything else a CLI asks at start-up or on the side (a token count, a model listing, a quota
probe, telemetry) gets a small generic answer or a clean 404, and is logged like every request.
The server records every request with what it answered, so a test checks what the CLI shows
against what was served, never against figures typed into the test.

It is ``http.server`` in a thread (stdlib only): the CLIs are the only clients, a handful of
requests each, and a streamed reply is written event by event and flushed, as a real API does.
"""

from __future__ import annotations

import http.server
import itertools
import json
import logging
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

log = logging.getLogger("tests.realcli.mock")

_ids = itertools.count(1)


def next_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):06d}mock"


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens one reply reports, in the API's own terms (each subclass maps them to its fields).

    ``input`` is the uncached input; ``cache_read`` and ``cache_write`` come on top of it (as the
    Anthropic API counts them; OpenAI and Gemini report cached input inside their input figure).
    ``reasoning`` is part of ``output`` for OpenAI and on top of it for Gemini (thoughts).
    """

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0

    @property
    def total(self) -> int:
        return self.input + self.cache_read + self.cache_write + self.output


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The model asks the CLI to run one of the tools the CLI offered (its own name for it)."""

    name: str
    args: dict[str, Any]
    id: str = field(default_factory=lambda: next_id("call_"))


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted answer to one model turn."""

    text: str = ""
    tools: tuple[ToolCall, ...] = ()
    usage: Usage = Usage(input=100, output=20)
    thinking: str = ""
    status: int = 200  # anything else: an HTTP error with the API's error body
    error: str = ""  # that error's message
    stall: bool = False  # start the stream, then hold it open until released or shut down
    delay_s: float = 0.0  # wait this long before answering (a slow API; released early by stop)
    chunks: int = 3  # a text goes out in this many deltas


@dataclass(slots=True)
class Request:
    """What a CLI sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the decoded JSON body, or the raw text, or None
    at: float
    turn: int | None = None  # its index among model turns (None: a side request)
    reply: Reply | None = None  # what a model turn was answered with
    status: int = 200


class MockModelServer:
    """The shared machinery; a subclass implements :meth:`handle` for its API."""

    name: ClassVar[str] = "mock"
    default_reply: ClassVar[Reply] = Reply(text="(the mock's script is exhausted)", usage=Usage())

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: list[Reply] = []
        self.requests: list[Request] = []
        self.turns: list[Request] = []
        self.unscripted = 0  # model turns answered with default_reply (the script ran out)
        self._release = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life -------------------------------------------------------------------------------------

    def start(self) -> MockModelServer:
        handler = type("Handler", (_Handler,), {"mock": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"{self.name}-mock", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(10)

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # --- the script -------------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue the replies of the next model turns, in order."""
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.turns.clear()
            self.unscripted = 0
            self._release.clear()

    def release(self) -> None:
        """Let stalled streams end (their connection is closed)."""
        self._release.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def served(self) -> list[Reply]:
        """The replies every model request got (turns and side requests), errors included."""
        with self._lock:
            return [r.reply for r in self.requests if r.reply is not None]

    def mark(self) -> int:
        """A position in the request log: :meth:`served_usage` can count from it on."""
        with self._lock:
            return len(self.requests)

    def served_usage(self, since: int = 0) -> Usage:
        """The tokens of every successful reply (from request ``since`` on), summed."""
        total = Usage()
        with self._lock:
            replies = [r.reply for r in self.requests[since:] if r.reply is not None]
        for reply in replies:
            if reply.status == 200:
                u = reply.usage
                total = Usage(
                    total.input + u.input,
                    total.output + u.output,
                    total.cache_read + u.cache_read,
                    total.cache_write + u.cache_write,
                    total.reasoning + u.reasoning,
                )
        return total

    def _next_reply(self) -> Reply:
        with self._lock:
            if self._script:
                return self._script.pop(0)
            self.unscripted += 1
            return self.default_reply

    def record(self, request: Request, *, turn: bool) -> Reply | None:
        with self._lock:
            self.requests.append(request)
        if not turn:
            return None
        reply = self._next_reply()
        with self._lock:
            request.turn = len(self.turns)
            request.reply = reply
            self.turns.append(request)
        return reply

    def describe(self) -> str:
        """Every request, one line each (for a failing test's message)."""
        with self._lock:
            return "\n".join(
                f"{r.method} {r.path} -> {r.status}"
                + (f" turn {r.turn}" if r.turn is not None else "")
                for r in self.requests
            )

    # --- for subclasses ---------------------------------------------------------------------------

    def handle(self, request: Request, out: Response) -> None:
        raise NotImplementedError

    def wait_before(self, reply: Reply) -> None:
        """A reply's delay (cut short when the server stops or stalls are released)."""
        if reply.delay_s:
            self._release.wait(reply.delay_s)

    def stalled(self) -> bool:
        """Wait while a stalled stream should stay open; False once released or stopping."""
        return not self._release.wait(0.05)


class Response:
    """What a handler writes: a JSON document, an error, or an event stream."""

    def __init__(self, handler: _Handler, request: Request) -> None:
        self._h = handler
        self._request = request
        self._streaming = False

    def json(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self._request.status = status
        self._h.send_response(status)
        self._h.send_header("Content-Type", "application/json")
        self._h.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self._h.send_header(key, value)
        self._h.end_headers()
        self._h.wfile.write(data)
        self._h.wfile.flush()

    def start_stream(self) -> None:
        self._request.status = 200
        self._streaming = True
        self._h.send_response(200)
        self._h.send_header("Content-Type", "text/event-stream")
        self._h.send_header("Cache-Control", "no-cache")
        self._h.send_header("Connection", "close")  # the body ends when the connection does
        self._h.end_headers()
        self._h.close_connection = True

    def event(self, data: Any, name: str | None = None) -> None:
        """One server-sent event (flushed at once)."""
        text = f"event: {name}\n" if name else ""
        text += f"data: {json.dumps(data)}\n\n"
        try:
            self._h.wfile.write(text.encode())
            self._h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            log.info("%s: the client went away mid-stream", self._request.path)
            raise _ClientGone from None


class _ClientGone(Exception):
    pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A CLI that drops a keep-alive connection (or is killed mid-stream) is no failure.
        log.debug("mock connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    mock: ClassVar[MockModelServer]
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        request = Request(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            at=time.time(),
        )
        out = Response(self, request)
        try:
            self.mock.handle(request, out)
        except _ClientGone:
            pass
        except Exception:
            log.exception("mock %s failed on %s %s", self.mock.name, self.command, self.path)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s: " + format, self.mock.name, *args)


def chunks(text: str, count: int) -> Iterator[str]:
    """``text`` in about ``count`` pieces (a streamed reply's deltas)."""
    if not text:
        return
    size = max(1, -(-len(text) // max(1, count)))
    for start in range(0, len(text), size):
        yield text[start : start + size]
