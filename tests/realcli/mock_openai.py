"""The OpenAI Responses API as Codex uses it through a custom model provider (SSE streaming).

Codex is pointed at it with ``-c model_providers.mock={base_url=…, wire_api="responses",
env_key=…}``. A model turn is a ``POST …/responses``; a model listing gets a short list, and
anything else a 404. Usage follows the API: ``input_tokens`` includes the cached input
(``input_tokens_details.cached_tokens``), ``output_tokens`` includes reasoning.
"""

from __future__ import annotations

import json
from typing import Any

from .mock_base import MockModelServer, Reply, Request, Response, Usage, chunks, next_id

_ERROR_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded", 500: "server_error"}


class OpenAIMock(MockModelServer):
    name = "openai"

    def handle(self, request: Request, out: Response) -> None:
        path = request.path.split("?", 1)[0].rstrip("/")
        body = request.body if isinstance(request.body, dict) else {}
        if request.method == "POST" and path.endswith("/responses"):
            reply = self.record(request, turn=True)
            assert reply is not None
            self._respond(body, reply, out)
        elif request.method == "GET" and path.endswith("/models"):
            self.record(request, turn=False)
            out.json({"object": "list", "data": [{"id": "gpt-mock", "object": "model"}]})
        else:
            self.record(request, turn=False)
            out.json({"error": {"message": "not here", "type": "not_found"}}, status=404)

    def _respond(self, body: dict[str, Any], reply: Reply, out: Response) -> None:
        self.wait_before(reply)
        if reply.status != 200:
            code = _ERROR_CODES.get(reply.status, "server_error")
            out.json(
                {
                    "error": {
                        "message": reply.error or code,
                        "type": "invalid_request_error" if reply.status < 500 else "server_error",
                        "param": None,
                        "code": code,
                    }
                },
                status=reply.status,
            )
            return
        response_id = next_id("resp_")
        model = str(body.get("model") or "gpt-mock")
        out.start_stream()
        base = {"id": response_id, "object": "response", "model": model, "status": "in_progress"}
        out.event({"type": "response.created", "response": base}, "response.created")
        items: list[dict[str, Any]] = []
        index = 0
        if reply.thinking:
            item = {
                "id": next_id("rs_"),
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": reply.thinking}],
            }
            _item(out, index, item)
            items.append(item)
            index += 1
        if reply.text:
            item_id = next_id("msg_")
            added = {"id": item_id, "type": "message", "role": "assistant", "content": []}
            out.event(
                {"type": "response.output_item.added", "output_index": index, "item": added},
                "response.output_item.added",
            )
            for piece in chunks(reply.text, reply.chunks):
                out.event(
                    {
                        "type": "response.output_text.delta",
                        "item_id": item_id,
                        "output_index": index,
                        "content_index": 0,
                        "delta": piece,
                    },
                    "response.output_text.delta",
                )
            if reply.stall:
                while self.stalled():
                    pass
                return
            done = {
                **added,
                "status": "completed",
                "content": [{"type": "output_text", "text": reply.text, "annotations": []}],
            }
            out.event(
                {"type": "response.output_item.done", "output_index": index, "item": done},
                "response.output_item.done",
            )
            items.append(done)
            index += 1
        for call in reply.tools:
            item = {
                "id": next_id("fc_"),
                "type": "function_call",
                "status": "completed",
                "call_id": call.id,
                "name": call.name,
                "arguments": json.dumps(call.args),
            }
            _item(out, index, item)
            items.append(item)
            index += 1
        out.event(
            {
                "type": "response.completed",
                "response": {
                    **base,
                    "status": "completed",
                    "output": items,
                    "usage": _usage(reply.usage),
                },
            },
            "response.completed",
        )


def _item(out: Response, index: int, item: dict[str, Any]) -> None:
    out.event(
        {"type": "response.output_item.added", "output_index": index, "item": item},
        "response.output_item.added",
    )
    out.event(
        {"type": "response.output_item.done", "output_index": index, "item": item},
        "response.output_item.done",
    )


def _usage(usage: Usage) -> dict[str, Any]:
    prompt = usage.input + usage.cache_read
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": usage.cache_read},
        "output_tokens": usage.output,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning},
        "total_tokens": prompt + usage.output,
    }
