"""The Anthropic Messages API as Claude Code uses it (``ANTHROPIC_BASE_URL``), with SSE streaming.

A model turn is a ``POST /v1/messages`` that offers tools: the agent loop's own request. Claude
Code also sends requests without tools (a title, a topic, a quota probe, some as streams):
those are answered with a short text and counted as served too (their usage reaches the CLI's
figures). Token counts get a figure; ``HEAD /api/hello`` and anything else a 404.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .mock_base import MockModelServer, Reply, Request, Response, Usage, chunks, next_id

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
SIDE_REPLY = Reply(text="Side answer", usage=Usage(input=7, output=3))


class AnthropicMock(MockModelServer):
    name = "anthropic"
    side_reply: ClassVar[Reply] = SIDE_REPLY

    def handle(self, request: Request, out: Response) -> None:
        path = request.path.split("?", 1)[0]
        body = request.body if isinstance(request.body, dict) else {}
        if request.method == "POST" and path == "/v1/messages/count_tokens":
            self.record(request, turn=False)
            out.json({"input_tokens": 1000})
        elif request.method == "POST" and path == "/v1/messages":
            turn = bool(body.get("tools"))
            reply = self.record(request, turn=turn)
            if reply is None:  # a side request: answered, and its usage served like any
                reply = self.side_reply
                request.reply = reply
            self._message(request, body, reply, out)
        else:
            self.record(request, turn=False)
            out.json(
                {"type": "error", "error": {"type": "not_found_error", "message": "not here"}},
                status=404,
            )

    def _message(self, request: Request, body: dict[str, Any], reply: Reply, out: Response) -> None:
        self.wait_before(reply)
        model = str(body.get("model") or "claude-mock")
        if reply.status != 200:
            kind = _ERROR_TYPES.get(reply.status, "api_error")
            out.json(
                {"type": "error", "error": {"type": kind, "message": reply.error or kind}},
                status=reply.status,
                headers={"request-id": next_id("req_")},
            )
            return
        message_id = next_id("msg_")
        blocks = _blocks(reply)
        stop = "tool_use" if reply.tools else "end_turn"
        usage = reply.usage
        if not body.get("stream"):
            out.json(
                {
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": blocks,
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": _usage(usage, usage.output),
                }
            )
            return
        out.start_stream()
        start = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            # As the real API: the start carries the input figures and an early output count.
            "usage": _usage(usage, min(1, usage.output)),
        }
        out.event({"type": "message_start", "message": start}, "message_start")
        for index, block in enumerate(blocks):
            _stream_block(out, index, block, reply.chunks)
            if reply.stall and index == len(blocks) - 1:
                break
        if reply.stall:
            while self.stalled():
                pass
            return
        out.event(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": _usage(usage, usage.output),
            },
            "message_delta",
        )
        out.event({"type": "message_stop"}, "message_stop")


def _usage(usage: Usage, output: int) -> dict[str, Any]:
    return {
        "input_tokens": usage.input,
        "cache_creation_input_tokens": usage.cache_write,
        "cache_read_input_tokens": usage.cache_read,
        "output_tokens": output,
    }


def _blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.thinking:
        blocks.append({"type": "thinking", "thinking": reply.thinking, "signature": "sig-mock"})
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    for call in reply.tools:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.args})
    return blocks


def _stream_block(out: Response, index: int, block: dict[str, Any], count: int) -> None:
    kind = block["type"]
    if kind == "text":
        first = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in chunks(block["text"], count)]
    elif kind == "thinking":
        first = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in chunks(block["thinking"], 2)]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    else:
        first = {**block, "input": {}}
        text = __import__("json").dumps(block["input"])
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in chunks(text, 2)]
    out.event(
        {"type": "content_block_start", "index": index, "content_block": first},
        "content_block_start",
    )
    for delta in deltas:
        out.event(
            {"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta"
        )
    out.event({"type": "content_block_stop", "index": index}, "content_block_stop")
