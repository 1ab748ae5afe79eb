"""ctl's tables (ctl/output.py) print exactly the lines their hand-written f-strings printed
before: the same widths, alignment and gaps, for the same rows."""

from __future__ import annotations

from typing import Any

from onsembl_desktop.ctl.agent import LOCAL_AGENTS
from onsembl_desktop.ctl.commands import AGENTS
from onsembl_desktop.ctl.presets import PRESETS, PROFILES
from onsembl_desktop.ctl.tokens import TOKENS


def test_agents_table() -> None:
    a: dict[str, Any] = {
        "name": "claude-main",
        "type": "CLAUDE",
        "status": "ONLINE",
        "activity": "PROCESSING",
        "queueLength": 12,
        "hostMachine": "build-7",
        "cli": {"name": "codex", "version": "0.171.0"},
        "tokens": {"total": 12345, "costUsd": 0.01234, "costEstimated": True},
    }
    assert AGENTS.header() == (
        f"{'NAME':<20} {'TYPE':<8} {'STATUS':<10} {'ACTIVITY':<11} {'QUEUE':>5}  "
        f"{'CLI':<18} {'TOKENS':>9} {'COST':>10}  HOST"
    )
    assert AGENTS.row(a) == (
        f"{a['name']:<20} {a['type']:<8} {a['status']:<10} {a['activity']:<11} "
        f"{a['queueLength']:>5}  {'codex 0.171.0':<18} {'12,345':>9} {'≈$0.0123':>10}  "
        f"{a['hostMachine']}"
    )
    shell = {**a, "cli": None, "tokens": {"total": 0, "costUsd": None}}
    assert AGENTS.row(shell).split()[5:8] == ["-", "0", "-"]


def test_tokens_table() -> None:
    for t in (
        {
            "id": "3f2a9c1e",
            "agent": None,
            "connections": 3,
            "createdAt": "2026-12-08T00:00:00+00:00",
            "lastUsedAt": None,
            "label": "build server",
        },
        {
            "id": "aa",
            "agent": "a-very-long-agent-name-indeed",
            "connections": 12345,
            "createdAt": None,
            "lastUsedAt": "2026-12-08T00:00:01+00:00",
            "label": "",
        },
    ):
        assert TOKENS.header() == (
            f"{'ID':<9} {'AGENT':<16} {'CONN':>4}  {'CREATED':<25} {'LAST USED':<25} LABEL"
        )
        assert TOKENS.row(t) == (
            f"{t['id']:<9} {t['agent'] or '(any)':<16} {t['connections']:>4}  "
            f"{t['createdAt'] or '-':<25} {t['lastUsedAt'] or '-':<25} {t['label']}"
        )


def test_presets_and_profiles_tables() -> None:
    p: dict[str, Any] = {
        "name": "review",
        "type": "REVIEW",
        "usageCount": 7,
        "variables": [{"name": "path"}, {"name": "focus"}],
        "content": "Review {{path}} for {{focus}}\nand say what to change" + "x" * 60,
    }
    assert PRESETS.header() == f"{'NAME':<24} {'TYPE':<11} {'USED':>5}  {'VARIABLES':<24} CONTENT"
    variables = "path, focus"
    content = p["content"].splitlines()[0][:50]
    assert PRESETS.row(p) == (
        f"{p['name']:<24} {p['type']:<11} {p['usageCount']:>5}  {variables:<24} {content}"
    )
    bare = {**p, "content": "", "variables": []}
    assert PRESETS.row(bare) == f"{p['name']:<24} {p['type']:<11} {p['usageCount']:>5}  {'':<24} "

    assert PROFILES.header() == (
        f"  {'NAME':<20} {'TIME':>8} {'TOKENS':>10} {'MEMORY':>8} {'CPU':>6}  DESCRIPTION"
    )
    for lim, default, description in (
        (
            {
                "timeLimitMs": 90500,
                "tokenBudget": 20000,
                "memoryLimitMb": 512,
                "cpuLimitPercent": 50,
            },
            True,
            "quick jobs",
        ),
        (
            {
                "timeLimitMs": None,
                "tokenBudget": None,
                "memoryLimitMb": None,
                "cpuLimitPercent": None,
            },
            False,
            None,
        ),
    ):
        row = {"name": "fast", "isDefault": default, "limits": lim, "description": description}
        time_s = f"{lim['timeLimitMs'] / 1000:g} s" if lim["timeLimitMs"] else "-"
        memory = f"{lim['memoryLimitMb']} MB" if lim["memoryLimitMb"] else "-"
        cpu = f"{lim['cpuLimitPercent']}%" if lim["cpuLimitPercent"] else "-"
        mark = "*" if default else " "
        assert PROFILES.row(row) == (
            f"{mark} {row['name']:<20} {time_s:>8} {lim['tokenBudget'] or '-':>10} {memory:>8} "
            f"{cpu:>6}  {row['description'] or ''}"
        )


def test_local_agents_table() -> None:
    assert LOCAL_AGENTS.header() == (
        f"{'NAME':<20} {'TYPE':<7} {'STATE':<9} {'PID':>7} {'RESTARTS':>8}  CWD"
    )
    for pid in (4242, None):
        a = {"name": "sh1", "type": "SHELL", "state": "RUNNING", "pid": pid, "restarts": 2}
        a["cwd"] = "/home/me/project"
        shown = a["pid"] if a["pid"] is not None else "-"
        assert LOCAL_AGENTS.row(a) == (
            f"{a['name']:<20} {a['type']:<7} {a['state']:<9} {shown:>7} {a['restarts']:>8}  "
            f"{a['cwd']}"
        )
