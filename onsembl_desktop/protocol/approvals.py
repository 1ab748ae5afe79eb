"""What an approval policy says about one tool call: allow, deny, or ask the person.

Sans-I/O and shared by both sides, so the agent (which applies a command's policy locally, to
spare an allowed call the round trip) and the app (which owns the rules and checks a request
again when it arrives) decide alike.

Order: a matching DENY rule, then a matching ALLOW rule, then the policy's mode. Rules are the
user's explicit word, so they beat the mode (an "allow `npm test`" rule works under "ask for
everything", a "deny `rm *`" rule under "allow everything").
"""

from __future__ import annotations

import posixpath
import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase

from .enums import ApprovalKind, ApprovalMode, RuleEffect
from .messages import ApprovalPolicy, ApprovalRule

# A command with any of these runs more than one thing (or reads a file, or substitutes): a
# pattern with "*" must not let `npm test; rm -rf ~` through as "npm test *".
_CHAINS = re.compile(r"[;&|`\n\r<>]|\$\(")


class Verdict(StrEnum):
    ALLOW = "ALLOW"
    DENY = "DENY"
    ASK = "ASK"


@dataclass(frozen=True, slots=True)
class Action:
    """A tool call as a policy sees it. ``paths`` may be absolute or relative to ``cwd``."""

    kind: ApprovalKind
    tool: str = ""
    shell_command: str | None = None
    paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    rule: ApprovalRule | None = None  # the rule that decided (None: the mode)
    reason: str = ""  # for the transcript and the audit: why, in words


@dataclass(slots=True)
class Policy:
    """A command's policy with the rules added while it runs ("allow always")."""

    mode: ApprovalMode = ApprovalMode.ASK_WRITES
    rules: list[ApprovalRule] = field(default_factory=list)

    @classmethod
    def of(cls, message: ApprovalPolicy) -> Policy:
        return cls(mode=message.mode, rules=list(message.rules))

    def add(self, rule: ApprovalRule) -> None:
        if all(r.id != rule.id for r in self.rules):
            self.rules.append(rule)

    def decide(self, action: Action, cwd: str, agent: str | None = None) -> Decision:
        return decide(self.mode, self.rules, action, cwd, agent)


def decide(
    mode: ApprovalMode,
    rules: list[ApprovalRule],
    action: Action,
    cwd: str,
    agent: str | None = None,
) -> Decision:
    for effect in (RuleEffect.DENY, RuleEffect.ALLOW):
        for rule in rules:
            if rule.effect is effect and rule_matches(rule, action, cwd, agent):
                verdict = Verdict.DENY if effect is RuleEffect.DENY else Verdict.ALLOW
                done = "denied" if effect is RuleEffect.DENY else "allowed"
                return Decision(verdict, rule, f"{done} by the rule: {describe(rule)}")
    if mode is ApprovalMode.ALLOW_ALL:
        return Decision(Verdict.ALLOW, None, "the policy allows everything")
    if mode is ApprovalMode.DENY_ALL:
        return Decision(Verdict.DENY, None, "the policy denies everything")
    if mode is ApprovalMode.ASK_WRITES and action.kind.is_read:
        return Decision(Verdict.ALLOW, None, "the policy allows reads")
    return Decision(Verdict.ASK, None, "the policy asks")


def rule_matches(rule: ApprovalRule, action: Action, cwd: str, agent: str | None = None) -> bool:
    if rule.agent is not None and agent is not None and rule.agent != agent:
        return False
    if rule.kind is not None and rule.kind is not action.kind:
        return False
    if rule.tool is not None and rule.tool.casefold() != action.tool.casefold():
        return False
    if rule.pattern is None:
        return True
    if action.kind is ApprovalKind.EXECUTE or action.shell_command is not None:
        return command_matches(rule.pattern, action.shell_command or "")
    if not action.paths:
        return False
    return all(path_matches(rule.pattern, p, cwd) for p in action.paths)


def command_matches(pattern: str, command: str) -> bool:
    """``pattern`` is the command itself, or with ``*`` for any characters (``npm test *``)."""
    command, pattern = command.strip(), pattern.strip()
    if command == pattern:
        return True
    if "*" not in pattern or _CHAINS.search(command):
        return False
    return fnmatchcase(command, pattern.replace("[", "[[]").replace("?", "[?]"))


def relative_path(path: str, cwd: str) -> str | None:
    """``path`` relative to ``cwd`` (both taken lexically), or None when it is outside it."""
    base = posixpath.normpath(cwd.replace("\\", "/"))
    full = path.replace("\\", "/")
    full = posixpath.normpath(full if posixpath.isabs(full) else posixpath.join(base, full))
    if full == base:
        return "."
    prefix = base.rstrip("/") + "/"
    return full[len(prefix) :] if full.startswith(prefix) else None


def path_matches(pattern: str, path: str, cwd: str) -> bool:
    """``src/`` matches anything under src; otherwise ``*`` globs over the relative path. A path
    outside the working folder never matches a rule."""
    rel = relative_path(path, cwd)
    if rel is None:
        return False
    pattern = pattern.strip()
    while pattern.startswith("./"):
        pattern = pattern[2:]
    if pattern in (".", "", "*", "**"):
        return True
    if pattern.endswith("/"):
        return rel == pattern.rstrip("/") or rel.startswith(pattern)
    return rel == pattern or fnmatchcase(rel, pattern)


def rule_for(
    action: Action, cwd: str, effect: RuleEffect, agent: str | None = None
) -> ApprovalRule:
    """The rule an "always" answer adds: the same command, edits under the same folder, or the
    same kind of action of the same tool."""
    pattern: str | None = None
    if action.shell_command is not None:
        pattern = action.shell_command.strip()
    elif action.kind is not ApprovalKind.EXECUTE and action.paths:
        relative = [relative_path(p, cwd) for p in action.paths]
        folders = {posixpath.dirname(r) for r in relative if r is not None}
        if len(folders) == 1 and None not in relative:
            folder = folders.pop()
            # the folder it works in; a file at the top: that file alone
            pattern = f"{folder}/" if folder else relative[0]
    return ApprovalRule(
        id=uuid.uuid4(),
        effect=effect,
        kind=action.kind,
        tool=action.tool or None if pattern is None else None,
        pattern=pattern,
        agent=agent,
    )


def describe(rule: ApprovalRule) -> str:
    """A rule in words: `allow "npm test" (EXECUTE) for agent claude-1`."""
    what = []
    if rule.pattern is not None:
        what.append(f'"{rule.pattern}"')
    if rule.tool is not None:
        what.append(f"tool {rule.tool}")
    if rule.kind is not None:
        what.append(rule.kind.value.lower())
    body = " ".join(what) or "everything"
    who = f" for agent {rule.agent}" if rule.agent else ""
    return f"{rule.effect.value.lower()} {body}{who}"
