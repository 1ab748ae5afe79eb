"""The Gemini API (generativelanguage) as Gemini CLI uses it with an API key.

Gemini CLI is pointed at it with ``GOOGLE_GEMINI_BASE_URL`` and ``GEMINI_API_KEY``, its settings
saying ``security.auth.selectedType = "gemini-api-key"``. A model turn is a
``POST /v1beta/models/MODEL:streamGenerateContent?alt=sse`` (or ``:generateContent``) whose
request offers tools; a request without tools (a helper prompt: a next-speaker check, a
summary) gets a short text. ``countTokens`` gets a figure, anything else a 404. Usage follows the
API: ``promptTokenCount`` includes ``cachedContentTokenCount``; thoughts are counted apart.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .mock_base import MockModelServer, Reply, Request, Response, Usage, chunks, next_id

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
# Gemini CLI's helper prompts (its model router, the next-speaker check) ask for JSON of a schema
# of their own: one document holding every field they read passes each of them.
SIDE_REPLY = Reply(
    text=(
        '{"reasoning": "a short answer", "next_speaker": "user", "complexity_reasoning": '
        '"a short answer", "complexity_score": 10, "model_choice": "flash"}'
    ),
    usage=Usage(input=5, output=2),
    chunks=1,
)


class GeminiMock(MockModelServer):
    name = "gemini"
    side_reply: ClassVar[Reply] = SIDE_REPLY

    def handle(self, request: Request, out: Response) -> None:
        path = request.path.split("?", 1)[0]
        body = request.body if isinstance(request.body, dict) else {}
        model = path.rsplit("/", 1)[-1].split(":", 1)[0]
        if request.method == "POST" and path.endswith(":countTokens"):
            self.record(request, turn=False)
            out.json({"totalTokens": 1000})
        elif request.method == "POST" and (
            path.endswith(":streamGenerateContent") or path.endswith(":generateContent")
        ):
            reply = self.record(request, turn=bool(body.get("tools")))
            if reply is None:
                reply = self.side_reply
                request.reply = reply
            self._generate(model, reply, out, stream=path.endswith(":streamGenerateContent"))
        else:
            self.record(request, turn=False)
            out.json({"error": {"code": 404, "message": "not here", "status": "NOT_FOUND"}}, 404)

    def _generate(self, model: str, reply: Reply, out: Response, *, stream: bool) -> None:
        self.wait_before(reply)
        if reply.status != 200:
            status = _STATUS.get(reply.status, "INTERNAL")
            out.json(
                {
                    "error": {
                        "code": reply.status,
                        "message": reply.error or status,
                        "status": status,
                    }
                },
                status=reply.status,
            )
            return
        response_id = next_id("")
        parts: list[dict[str, Any]] = []
        if reply.thinking:
            parts.append({"text": reply.thinking, "thought": True})
        texts = list(chunks(reply.text, reply.chunks)) if stream else [reply.text]
        calls = [
            {"functionCall": {"name": c.name, "args": c.args, "id": c.id}} for c in reply.tools
        ]
        usage = _usage(reply.usage)
        if not stream:
            body = _chunk(model, response_id, [*parts, {"text": reply.text}, *calls], usage, True)
            out.json(body)
            return
        out.start_stream()
        pieces: list[list[dict[str, Any]]] = [[p] for p in parts]
        pieces += [[{"text": t}] for t in texts]
        if reply.stall:
            for piece in pieces:
                out.event(_chunk(model, response_id, piece, None, False))
            while self.stalled():
                pass
            return
        pieces.append(calls) if calls else None
        if not pieces:
            pieces = [[{"text": ""}]]
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            out.event(_chunk(model, response_id, piece, usage if last else None, last))


def _chunk(
    model: str,
    response_id: str,
    parts: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    last: bool,
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if last:
        candidate["finishReason"] = "STOP"
    body: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": model,
        "responseId": response_id,
    }
    if usage is not None:
        body["usageMetadata"] = usage
    return body


def _usage(usage: Usage) -> dict[str, Any]:
    prompt = usage.input + usage.cache_read
    figures = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": usage.output,
        "totalTokenCount": prompt + usage.output + usage.reasoning,
    }
    if usage.cache_read:
        figures["cachedContentTokenCount"] = usage.cache_read
    if usage.reasoning:
        figures["thoughtsTokenCount"] = usage.reasoning
    return figures
