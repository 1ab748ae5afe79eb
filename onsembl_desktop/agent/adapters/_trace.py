"""Building one command's trace tree and sending each node as it is created or changes.

Node ids are uuid5 of the run (``CommandRequest.id_scope``: the command on this agent) and a key
made of the CLI's own ids (``tool:toolu_…``), so parsing the same output twice gives the same ids,
and two agents running one command give two trees. A node is re-sent with the same id whenever it
changes; an unchanged node is never sent twice.

Times are the CLI's own timestamps where it gives them; otherwise :class:`Clock` reads an injected
monotonic clock relative to the moment the command started.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ...protocol import messages as m
from ...protocol.enums import TraceType

MAX_TEXT = 8_000  # characters of a result/prompt kept in a node (the raw line keeps it all)
MAX_NAME = 200


class Clock:
    """Milliseconds since the epoch, from ``started_at_ms`` plus an injected monotonic clock."""

    def __init__(self, started_at_ms: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._origin = clock()
        self.started_at_ms = started_at_ms

    def now_ms(self) -> int:
        return self.started_at_ms + max(0, int((self._clock() - self._origin) * 1000))


def cap(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text) - limit} more characters]"


def cap_json(value: Any, depth: int = 0) -> Any:
    """A JSON value with long strings and lists cut, for a node's content (tool arguments)."""
    if isinstance(value, str):
        return cap(value)
    if depth > 8:
        return "…"
    if isinstance(value, dict):
        return {str(k): cap_json(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, list):
        return [cap_json(v, depth + 1) for v in value[:200]]
    return value


@dataclass(eq=False, slots=True)
class Node:
    id: uuid.UUID
    parent: Node | None
    type: TraceType
    name: str
    started_at: int
    content: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] | None = None
    completed_at: int | None = None
    last_seen: int | None = None  # latest event of this node while open (its end if closed then)
    own_tokens: int | None = None  # tokens of this node alone (a model turn's usage)
    tokens_override: int | None = None  # the CLI's own total for the subtree (the root)
    error: str | None = None
    children: list[Node] = field(default_factory=list)
    sent: m.TraceNode | None = None

    @property
    def is_open(self) -> bool:
        return self.completed_at is None

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def tokens(self) -> int | None:
        """This node's tokens rolled up over its subtree."""
        if self.tokens_override is not None:
            return self.tokens_override
        values = [t for t in (child.tokens() for child in self.children) if t is not None]
        if self.own_tokens is None and not values:
            return None
        return (self.own_tokens or 0) + sum(values)


class TraceTree:
    def __init__(self, scope: uuid.UUID, clock: Clock) -> None:
        self._scope = scope
        self._clock = clock
        self._nodes: dict[str, Node] = {}
        self._out: list[m.TraceNode] = []
        self.root: Node | None = None

    def take(self) -> list[m.TraceNode]:
        out, self._out = self._out, []
        return out

    def get(self, key: str) -> Node | None:
        return self._nodes.get(key)

    def open_nodes(self) -> list[Node]:
        return [node for node in self._nodes.values() if node.is_open]

    def open(
        self,
        key: str,
        parent: Node | None,
        type: TraceType,
        name: str,
        *,
        at: int | None = None,
        content: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Node:
        """Create (and send) a node; an existing key gives back the existing node unchanged."""
        existing = self._nodes.get(key)
        if existing is not None:
            return existing
        started = at if at is not None else self._clock.now_ms()
        node = Node(
            id=uuid.uuid5(self._scope, key),
            parent=parent,
            type=type,
            name=name[:MAX_NAME] or type.value.lower(),
            started_at=started,
            content=content or {},
            metadata=metadata,
            last_seen=started,
        )
        self._nodes[key] = node
        if parent is None:
            self.root = self.root or node
        else:
            parent.children.append(node)
        self.send(node)
        return node

    def touch(self, node: Node, at: int | None) -> None:
        """Something of this node happened at ``at`` (its end so far)."""
        if at is not None and (node.last_seen is None or at > node.last_seen):
            node.last_seen = at

    def close(
        self,
        node: Node,
        *,
        at: int | None = None,
        error: str | None = None,
    ) -> None:
        """Complete a node at ``at`` (default: its last event); its end covers its children's."""
        if not node.is_open:
            return
        self.touch(node, at)
        ends = [node.last_seen or node.started_at]
        ends += [c.completed_at for c in node.children if c.completed_at is not None]
        node.completed_at = max(ends)
        if error is not None:
            node.error = error
        self.send(node)

    def close_all(self, at: int | None = None) -> None:
        """The stream ended: complete whatever is open, then refresh every rolled-up figure.

        A parent ends no earlier than any of its children (the CLI's timestamps and the runner's
        clock are read apart).
        """
        end = at if at is not None else self._clock.now_ms()
        for node in reversed(list(self._nodes.values())):  # children were created after parents
            self.close(node, at=end)
            ends = [c.completed_at for c in node.children if c.completed_at is not None]
            if ends and node.completed_at is not None:
                node.completed_at = max(node.completed_at, *ends)
        for node in self._nodes.values():
            self.send(node)

    def send(self, node: Node) -> None:
        snapshot = self._snapshot(node)
        if snapshot != node.sent:
            node.sent = snapshot
            self._out.append(snapshot)

    @staticmethod
    def _snapshot(node: Node) -> m.TraceNode:
        duration = None
        if node.completed_at is not None:
            duration = max(0, node.completed_at - node.started_at)
        return m.TraceNode(
            id=node.id,
            parent_id=node.parent.id if node.parent is not None else None,
            type=node.type,
            name=node.name,
            content=dict(node.content),
            started_at=max(0, node.started_at),
            completed_at=max(0, node.completed_at) if node.completed_at is not None else None,
            duration_ms=duration,
            tokens_used=node.tokens(),
            error=node.error,
            metadata=dict(node.metadata) if node.metadata is not None else None,
        )
