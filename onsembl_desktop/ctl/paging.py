"""Paged control methods, read a page at a time: ``commands.show`` output, ``history.list``.

A paged reply carries a ``next`` cursor (None after the last page) whose fields go, unchanged,
into the call for the following page. :func:`pages` fetches each page once the one before was
used, and :func:`write_json_list` prints a list spread over pages as ``json.dumps(indent=2)``
would print it whole, so any amount of stored data is shown in bounded memory.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator, Iterable
from typing import Any, TextIO

from .client import ControlClient


async def pages(
    client: ControlClient, method: str, first: dict[str, Any], **params: Any
) -> AsyncIterator[dict[str, Any]]:
    """``first`` (the reply to ``method`` with ``params``) and the pages that follow it, each
    fetched once the one before was used: one page in memory at a time."""
    page = first
    while True:
        yield page
        if page["next"] is None:
            return
        page = await client.call(method, **params, **page["next"])


async def write_json_list(out: TextIO, pages: AsyncIterator[Iterable[Any]], level: int = 0) -> None:
    """What ``json.dumps`` with ``indent=2`` prints for the items of all ``pages`` as one list,
    nested ``level`` deep (from ``[`` to ``]``), written and flushed a page at a time."""
    inner = "  " * (level + 1)
    out.write("[")
    empty = True
    async for page in pages:
        for item in page:
            out.write("\n" if empty else ",\n")
            out.write(textwrap.indent(json.dumps(item, indent=2), inner))
            empty = False
        out.flush()
    out.write("]" if empty else "\n" + "  " * level + "]")
