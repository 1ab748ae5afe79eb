"""``onsembl ctl tokens list|create|revoke``: per-agent tokens (shown once, stored hashed)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..words import plural
from .client import ControlClient
from .output import Col, Table, print_json
from .registry import Subparsers


def add_parsers(sub: Subparsers) -> None:
    tokens = sub.add_parser("tokens", help="agent tokens: list, create, revoke")
    actions = tokens.add_subparsers(dest="tokens_action", required=True)

    ls = actions.add_parser("list", help="the tokens (ids, labels, agents), never their values")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(ctl_handler=_list)

    create = actions.add_parser(
        "create",
        help="make a new agent token and print it (the only time it is shown)",
        description="Make a token for one agent (or several): give it to `onsembl-agent "
        "--token`. The app keeps only its SHA-256, so it cannot show it again.",
    )
    create.add_argument("--label", required=True, help="what it is for, e.g. 'build server'")
    create.add_argument("--agent", metavar="NAME", help="only an agent of this name may use it")
    create.add_argument("--json", action="store_true")
    create.set_defaults(ctl_handler=_create)

    revoke = actions.add_parser(
        "revoke", help="revoke a token: agents using it are disconnected at once"
    )
    revoke.add_argument("id")
    revoke.set_defaults(ctl_handler=_revoke)


async def _list(client: ControlClient, args: argparse.Namespace) -> int:
    tokens = await client.call("tokens.list")
    if args.json:
        print_json(tokens)
        return 0
    TOKENS.print(tokens)
    return 0


TOKENS = Table[dict[str, Any]](
    Col("ID", lambda t: t["id"], 9),
    Col("AGENT", lambda t: t["agent"] or "(any)", 16),
    Col("CONN", lambda t: t["connections"], 4, right=True),
    Col("CREATED", lambda t: t["createdAt"] or "-", 25),
    Col("LAST USED", lambda t: t["lastUsedAt"] or "-", 25),
    Col("LABEL", lambda t: t["label"]),
)


async def _create(client: ControlClient, args: argparse.Namespace) -> int:
    info = await client.call("tokens.create", label=args.label, agent=args.agent)
    if args.json:
        print_json(info)
        return 0
    print(info["token"])
    bound = f" for agent {info['agent']}" if info["agent"] else ""
    print(
        f"(token {info['id']}{bound}: shown only now; revoke with "
        f"`onsembl ctl tokens revoke {info['id']}`)",
        file=sys.stderr,
    )
    return 0


async def _revoke(client: ControlClient, args: argparse.Namespace) -> int:
    info = await client.call("tokens.revoke", id=args.id)
    closed = plural(info["connections"], "connection")
    print(f"revoked {info['id']} ({info['label']}); {closed} closed")
    return 0
