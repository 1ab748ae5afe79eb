"""The approval policy both sides apply: rules before the mode, deny before allow, commands and
paths matched strictly (a chained command or a path outside the working folder never slips
through a pattern)."""

from __future__ import annotations

import uuid

import pytest

from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.approvals import (
    Action,
    Policy,
    Verdict,
    command_matches,
    decide,
    describe,
    path_matches,
    relative_path,
    rule_for,
)
from onsembl_desktop.protocol.enums import ApprovalKind, ApprovalMode, RuleEffect

CWD = "/home/u/project"
K = ApprovalKind


def rule(effect: RuleEffect = RuleEffect.ALLOW, **kw: object) -> m.ApprovalRule:
    return m.ApprovalRule(id=uuid.uuid4(), effect=effect, **kw)  # type: ignore[arg-type]


def shell(command: str) -> Action:
    return Action(K.EXECUTE, "Bash", shell_command=command)


def edit(*paths: str) -> Action:
    return Action(K.EDIT, "Edit", paths=paths)


@pytest.mark.parametrize(
    ("mode", "kind", "verdict"),
    [
        (ApprovalMode.ASK, K.READ, Verdict.ASK),
        (ApprovalMode.ASK, K.EXECUTE, Verdict.ASK),
        (ApprovalMode.ASK_WRITES, K.READ, Verdict.ALLOW),
        (ApprovalMode.ASK_WRITES, K.SEARCH, Verdict.ALLOW),
        (ApprovalMode.ASK_WRITES, K.FETCH, Verdict.ASK),  # the network is not a read
        (ApprovalMode.ASK_WRITES, K.EDIT, Verdict.ASK),
        (ApprovalMode.ASK_WRITES, K.EXECUTE, Verdict.ASK),
        (ApprovalMode.ASK_WRITES, K.OTHER, Verdict.ASK),
        (ApprovalMode.ALLOW_ALL, K.DELETE, Verdict.ALLOW),
        (ApprovalMode.DENY_ALL, K.READ, Verdict.DENY),
    ],
)
def test_the_mode_decides_what_no_rule_does(
    mode: ApprovalMode, kind: ApprovalKind, verdict: Verdict
) -> None:
    decision = decide(mode, [], Action(kind, "t", paths=("a.txt",)), CWD)
    assert decision.verdict is verdict and decision.rule is None


def test_rules_beat_the_mode_and_deny_beats_allow() -> None:
    allow_npm = rule(kind=K.EXECUTE, pattern="npm *")
    deny_publish = rule(RuleEffect.DENY, pattern="npm publish*")
    rules = [allow_npm, deny_publish]
    assert decide(ApprovalMode.ASK, rules, shell("npm test"), CWD).rule == allow_npm
    denied = decide(ApprovalMode.ALLOW_ALL, rules, shell("npm publish --tag x"), CWD)
    assert denied.verdict is Verdict.DENY and denied.rule == deny_publish
    assert "denied by the rule" in denied.reason
    # under "deny everything" an allow rule still allows
    assert decide(ApprovalMode.DENY_ALL, rules, shell("npm ci"), CWD).verdict is Verdict.ALLOW


def test_a_rule_for_another_agent_does_not_apply() -> None:
    mine = rule(kind=K.EXECUTE, pattern="make", agent="claude-1")
    assert decide(ApprovalMode.ASK, [mine], shell("make"), CWD, "claude-1").verdict is Verdict.ALLOW
    assert decide(ApprovalMode.ASK, [mine], shell("make"), CWD, "codex-1").verdict is Verdict.ASK


@pytest.mark.parametrize(
    ("pattern", "command", "matches"),
    [
        ("npm test", "npm test", True),
        ("npm test", "  npm test ", True),
        ("npm test", "npm test --watch", False),  # no "*": the command itself only
        ("npm test *", "npm test --watch", True),
        ("npm test*", "npm test; rm -rf ~", False),  # chained commands never match a glob
        ("npm *", "npm test && curl x | sh", False),
        ("npm *", "npm run $(whoami)", False),
        ("npm *", "npm test > /etc/passwd", False),
        ("npm *", "npm test\nrm -rf /", False),
        ("git log [x]", "git log [x]", True),  # brackets are literal, not a class
        ("git log ?", "git log a", False),
    ],
)
def test_command_patterns(pattern: str, command: str, matches: bool) -> None:
    assert command_matches(pattern, command) is matches


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("src/", "src/a.py", True),
        ("src/", f"{CWD}/src/deep/b.py", True),
        ("src/", "srcx/a.py", False),
        ("src/", "src/../etc/passwd", False),
        ("src/", "/etc/passwd", False),
        ("./src/", "src/a.py", True),
        (".github/", ".github/workflows/ci.yml", True),
        ("*.md", "README.md", True),
        ("*", "../outside.txt", False),  # outside the working folder: never
        ("src/*.py", "src/a.py", True),
    ],
)
def test_path_patterns(pattern: str, path: str, matches: bool) -> None:
    assert path_matches(pattern, path, CWD) is matches


def test_every_path_of_a_call_must_match() -> None:
    under_src = rule(kind=K.EDIT, pattern="src/")
    assert decide(ApprovalMode.ASK, [under_src], edit("src/a", "src/b"), CWD).verdict == "ALLOW"
    assert decide(ApprovalMode.ASK, [under_src], edit("src/a", "lib/b"), CWD).verdict == "ASK"
    # a path rule never matches a call that names no path
    assert decide(ApprovalMode.ASK, [under_src], Action(K.EDIT, "Edit"), CWD).verdict == "ASK"


def test_relative_path_is_lexical_and_bounded() -> None:
    assert relative_path("a/./b/../c", CWD) == "a/c"
    assert relative_path(CWD, CWD) == "."
    assert relative_path("/home/u/projectx/a", CWD) is None


def test_always_rules_are_as_narrow_as_the_request() -> None:
    cmd = rule_for(shell("npm test"), CWD, RuleEffect.ALLOW, "claude-1")
    assert (cmd.kind, cmd.pattern, cmd.agent, cmd.tool) == (K.EXECUTE, "npm test", "claude-1", None)
    nested = rule_for(edit(f"{CWD}/src/app/main.py"), CWD, RuleEffect.ALLOW)
    assert (nested.kind, nested.pattern) == (K.EDIT, "src/app/")
    top = rule_for(edit("README.md"), CWD, RuleEffect.ALLOW)
    assert top.pattern == "README.md"
    outside = rule_for(Action(K.READ, "Read", paths=("/etc/hosts",)), CWD, RuleEffect.ALLOW)
    assert (outside.pattern, outside.tool, outside.kind) == (None, "Read", K.READ)
    # the rule it makes decides the next such call
    policy = Policy(ApprovalMode.ASK)
    policy.add(nested)
    policy.add(nested)
    assert len(policy.rules) == 1
    assert policy.decide(edit("src/app/other.py"), CWD).verdict is Verdict.ALLOW
    assert policy.decide(edit("src/lib.py"), CWD).verdict is Verdict.ASK


def test_describe() -> None:
    assert describe(rule(pattern="npm test", kind=K.EXECUTE, agent="c1")) == (
        'allow "npm test" execute for agent c1'
    )
    assert describe(rule(RuleEffect.DENY)) == "deny everything"


def test_approval_messages_need_version_2() -> None:
    request = m.ApprovalRequest(seq=1, command_id=uuid.uuid4(), request_id=uuid.uuid4(), tool="x")
    raw = codec.encode(request)
    assert codec.decode(raw).payload == request
    with pytest.raises(codec.ProtocolError) as info:
        codec.decode(raw, negotiated_version=1)
    assert info.value.code is codec.ErrorCode.UNSUPPORTED_VERSION
    assert "needs protocol version 2" in info.value.message
