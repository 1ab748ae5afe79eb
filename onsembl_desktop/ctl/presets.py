"""``onsembl ctl presets …`` and ``onsembl ctl profiles …``: command templates, limit profiles."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..words import plural
from .client import ControlClient, CtlError
from .output import Col, Table, print_json
from .registry import Subparsers

_TYPES = ["NATURAL", "INVESTIGATE", "REVIEW", "PLAN", "SYNTHESIZE"]
_AGENT_TYPES = ["SHELL", "CLAUDE", "CODEX", "GEMINI"]


def add_parsers(sub: Subparsers) -> None:
    _preset_parsers(sub)
    _profile_parsers(sub)


# --- presets -------------------------------------------------------------------------------------


def _preset_parsers(sub: Subparsers) -> None:
    presets = sub.add_parser(
        "presets",
        help="command presets: templates with {{variables}}",
        description="Presets are saved commands; {{name}} in their text is a variable filled in "
        "when used: `onsembl ctl send --preset NAME --var name=VALUE ...`.",
    )
    actions = presets.add_subparsers(dest="preset_action", required=True)
    ls = actions.add_parser("list", help="all presets, with how often they were used")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(ctl_handler=_presets_list)

    show = actions.add_parser("show", help="one preset")
    show.add_argument("name")
    show.set_defaults(ctl_handler=_presets_show)

    add = actions.add_parser("add", help="create a preset")
    add.add_argument("name")
    _preset_fields(add)
    add.set_defaults(ctl_handler=_presets_add)

    edit = actions.add_parser("edit", help="change a preset (what is not given stays)")
    edit.add_argument("name")
    edit.add_argument("--name", dest="new_name", metavar="NEW", help="rename it")
    _preset_fields(edit)
    edit.set_defaults(ctl_handler=_presets_edit)

    rm = actions.add_parser("rm", help="delete a preset")
    rm.add_argument("name")
    rm.set_defaults(ctl_handler=_presets_rm)

    export = actions.add_parser("export", help="write presets as JSON (all, or those named)")
    export.add_argument("names", nargs="*")
    export.add_argument("--output", "-o", type=Path, help="file (default: standard output)")
    export.set_defaults(ctl_handler=_presets_export)

    imp = actions.add_parser("import", help="add the presets of an exported JSON file")
    imp.add_argument("file", help="the file ('-': standard input)")
    imp.add_argument("--replace", action="store_true", help="overwrite presets of the same name")
    imp.set_defaults(ctl_handler=_presets_import)


def _preset_fields(p: argparse.ArgumentParser) -> None:
    text = p.add_mutually_exclusive_group()
    text.add_argument("--content", help="the command text, with {{variables}}")
    text.add_argument("--file", type=Path, help="read the command text from this file")
    p.add_argument("--type", type=str.upper, choices=_TYPES)
    p.add_argument("--description")
    p.add_argument(
        "--var",
        action="append",
        metavar="NAME[=DEFAULT]",
        help="declare a variable, with its default (repeatable)",
    )
    p.add_argument(
        "--describe",
        action="append",
        default=[],
        metavar="NAME=TEXT",
        help="describe a variable (repeatable)",
    )
    p.add_argument(
        "--target-type",
        action="append",
        type=str.upper,
        choices=_AGENT_TYPES,
        help="the agent types it is sent to by default (repeatable)",
    )


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    content = args.content
    if args.file is not None:
        content = args.file.read_text()
    fields: dict[str, Any] = {
        "content": content,
        "type": args.type,
        "description": args.description,
        "targetAgentTypes": args.target_type,
    }
    if args.var is not None or args.describe:
        descriptions = dict(_pair(d, "--describe") for d in args.describe)
        variables = []
        for spec in args.var or []:
            name, has_default, default = spec.partition("=")
            variables.append(
                {
                    "name": name,
                    "description": descriptions.pop(name, ""),
                    "default": default if has_default else None,
                }
            )
        variables += [{"name": n, "description": d} for n, d in descriptions.items()]
        fields["variables"] = variables
    return fields


def _pair(text: str, option: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise CtlError(f"{option} takes NAME=VALUE, not {text!r}")
    return name, value


async def _presets_list(client: ControlClient, args: argparse.Namespace) -> int:
    presets = await client.call("presets.list")
    if args.json:
        print_json(presets)
        return 0
    PRESETS.print(presets)
    return 0


PRESETS = Table[dict[str, Any]](
    Col("NAME", lambda p: p["name"], 24),
    Col("TYPE", lambda p: p["type"], 11),
    Col("USED", lambda p: p["usageCount"], 5, right=True),
    Col("VARIABLES", lambda p: ", ".join(v["name"] for v in p["variables"]), 24),
    Col("CONTENT", lambda p: p["content"].splitlines()[0][:50] if p["content"] else ""),
)


async def _presets_show(client: ControlClient, args: argparse.Namespace) -> int:
    print_json(await client.call("presets.show", name=args.name))
    return 0


async def _presets_add(client: ControlClient, args: argparse.Namespace) -> int:
    fields = _fields(args)
    if not fields["content"]:
        raise CtlError("a preset needs --content or --file")
    preset = await client.call(
        "presets.add",
        name=args.name,
        **{k: v for k, v in fields.items() if v is not None},
    )
    variables = ", ".join(v["name"] for v in preset["variables"]) or "none"
    print(f"created preset {preset['name']} (variables: {variables})")
    return 0


async def _presets_edit(client: ControlClient, args: argparse.Namespace) -> int:
    preset = await client.call(
        "presets.edit", name=args.name, newName=args.new_name, **_fields(args)
    )
    print(f"updated preset {preset['name']}")
    return 0


async def _presets_rm(client: ControlClient, args: argparse.Namespace) -> int:
    await client.call("presets.remove", name=args.name)
    print(f"deleted preset {args.name}")
    return 0


async def _presets_export(client: ControlClient, args: argparse.Namespace) -> int:
    doc = await client.call("presets.export", names=args.names)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(args.output.write_text, text)
        print(f"exported {plural(len(doc['presets']), 'preset')} to {args.output}", file=sys.stderr)
    return 0


async def _presets_import(client: ControlClient, args: argparse.Namespace) -> int:
    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            text = await asyncio.to_thread(Path(args.file).read_text)
        document = json.loads(text)
    except (OSError, ValueError) as exc:
        raise CtlError(f"cannot read {args.file}: {exc}") from None
    result = await client.call("presets.import", document=document, replace=args.replace)
    for key in ("created", "updated", "skipped"):
        if result[key]:
            print(f"{key}: {', '.join(result[key])}")
    if result["skipped"]:
        print("(skipped presets exist already; --replace overwrites them)", file=sys.stderr)
    return 0


# --- profiles ------------------------------------------------------------------------------------


def _profile_parsers(sub: Subparsers) -> None:
    profiles = sub.add_parser(
        "profiles",
        help="execution-constraint profiles (time, tokens, memory, CPU); one is the default",
        description="A command uses the default profile unless it names one (--profile); limits "
        "it gives itself (--time-limit, ...) override the profile's.",
    )
    actions = profiles.add_subparsers(dest="profile_action", required=True)
    ls = actions.add_parser("list", help="all profiles")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(ctl_handler=_profiles_list)

    add = actions.add_parser("add", help="create a profile")
    add.add_argument("name")
    _limit_options(add)
    add.add_argument("--default", action="store_true", help="make it the default")
    add.set_defaults(ctl_handler=_profiles_add)

    edit = actions.add_parser("edit", help="change a profile ('none' removes a limit)")
    edit.add_argument("name")
    edit.add_argument("--name", dest="new_name", metavar="NEW", help="rename it")
    _limit_options(edit)
    edit.set_defaults(ctl_handler=_profiles_edit)

    rm = actions.add_parser("rm", help="delete a profile")
    rm.add_argument("name")
    rm.set_defaults(ctl_handler=_profiles_rm)

    default = actions.add_parser("default", help="choose the default profile")
    which = default.add_mutually_exclusive_group(required=True)
    which.add_argument("name", nargs="?")
    which.add_argument("--none", action="store_true", help="no default: no limits unless asked")
    default.set_defaults(ctl_handler=_profiles_default)


_LIMITS = {  # option -> (limit, unit factor to the stored unit)
    "time_limit": ("time_limit_ms", 1000),
    "token_budget": ("token_budget", 1),
    "memory_limit": ("memory_limit_mb", 1),
    "cpu_limit": ("cpu_limit_percent", 1),
}


def _limit_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time-limit", metavar="SEC", help="seconds a command may run")
    p.add_argument("--token-budget", metavar="N", help="tokens a command may use")
    p.add_argument("--memory-limit", metavar="MB", help="memory of the CLI's process tree")
    p.add_argument("--cpu-limit", metavar="PCT", help="CPU, in percent of one core")
    p.add_argument("--description")


def _limits(args: argparse.Namespace) -> dict[str, int | None]:
    limits: dict[str, int | None] = {}
    for option, (name, factor) in _LIMITS.items():
        text = getattr(args, option)
        if text is None:
            continue
        if text.lower() == "none":
            limits[name] = None
            continue
        try:
            limits[name] = round(float(text) * factor)
        except ValueError:
            raise CtlError(f"--{option.replace('_', '-')} takes a number or 'none'") from None
    return limits


async def _profiles_list(client: ControlClient, args: argparse.Namespace) -> int:
    profiles = await client.call("profiles.list")
    if args.json:
        print_json(profiles)
        return 0
    PROFILES.print(profiles)
    return 0


def _limit(key: str, shown: Callable[[Any], str]) -> Callable[[dict[str, Any]], str]:
    """A profile's limit as the table shows it ("-": none)."""
    return lambda p: shown(p["limits"][key]) if p["limits"][key] else "-"


PROFILES = Table[dict[str, Any]](
    Col("", lambda p: "*" if p["isDefault"] else " ", 1),  # the default profile
    Col("NAME", lambda p: p["name"], 20),
    Col("TIME", _limit("timeLimitMs", lambda ms: f"{ms / 1000:g} s"), 8, right=True),
    Col("TOKENS", _limit("tokenBudget", str), 10, right=True),
    Col("MEMORY", _limit("memoryLimitMb", lambda mb: f"{mb} MB"), 8, right=True),
    Col("CPU", _limit("cpuLimitPercent", lambda pct: f"{pct}%"), 6, right=True),
    Col("DESCRIPTION", lambda p: p["description"] or ""),
)


async def _profiles_add(client: ControlClient, args: argparse.Namespace) -> int:
    limits = {k: v for k, v in _limits(args).items() if v is not None}
    profile = await client.call(
        "profiles.add",
        name=args.name,
        description=args.description,
        default=args.default,
        **{_camel(k): v for k, v in limits.items()},
    )
    print(f"created profile {profile['name']}" + (" (default)" if profile["isDefault"] else ""))
    return 0


async def _profiles_edit(client: ControlClient, args: argparse.Namespace) -> int:
    profile = await client.call(
        "profiles.edit",
        name=args.name,
        newName=args.new_name,
        description=args.description,
        limits=_limits(args),
    )
    print(f"updated profile {profile['name']}")
    return 0


async def _profiles_rm(client: ControlClient, args: argparse.Namespace) -> int:
    await client.call("profiles.remove", name=args.name)
    print(f"deleted profile {args.name}")
    return 0


async def _profiles_default(client: ControlClient, args: argparse.Namespace) -> int:
    profile = await client.call("profiles.default", name=None if args.none else args.name)
    print(f"default profile: {profile['name'] if profile else 'none'}")
    return 0


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
