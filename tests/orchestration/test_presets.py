"""Presets: variables filled from values and defaults, a missing one named, usage counted and
audited, edit, delete, export and import."""

from __future__ import annotations

import json

from tests.orchestration.conftest import Orch, details


def test_preset_variables_usage_and_audit(orch: Orch) -> None:
    ctl = orch.app.ctl
    out = orch.tmp_path / "greet.txt"
    result = ctl(
        "presets",
        "add",
        "greet",
        "--content",
        f"echo '{{{{greeting}}}}, {{{{ who }}}}!' >> {out}",
        "--var",
        "greeting=hello",
        "--describe",
        "who=whom to greet",
        "--type",
        "plan",
    )
    assert result.returncode == 0, result.stderr
    assert "variables: greeting, who" in result.stdout
    [preset] = orch.call("presets.list")
    assert preset["variables"] == [
        {"name": "greeting", "description": "", "default": "hello"},
        {"name": "who", "description": "whom to greet", "default": None},
    ]
    orch.start_agents("p1")

    missing = ctl("send", "--agent", "p1", "--preset", "greet")
    assert missing.returncode == 2
    assert "needs a value for who (whom to greet)" in missing.stderr
    assert "--var who=VALUE" in missing.stderr
    typo = ctl("send", "--agent", "p1", "--preset", "greet", "--var", "whom=x")
    assert typo.returncode == 2 and "has no variable whom" in typo.stderr

    sent = ctl("send", "--agent", "p1", "--preset", "greet", "--var", "who=world", "--wait")
    assert sent.returncode == 0, sent.stderr
    command_id = sent.stdout.splitlines()[0]
    view = orch.show(command_id)
    assert view["content"] == f"echo 'hello, world!' >> {out}" and view["type"] == "PLAN"
    again = orch.call(
        "commands.sendPreset",
        preset="greet",
        agents=["p1"],
        variables={"greeting": "hi", "who": "you"},
    )
    orch.wait_status(again["id"])
    assert out.read_text().splitlines() == ["hello, world!", "hi, you!"]

    [preset] = orch.call("presets.list")
    assert preset["usageCount"] == 2 and preset["lastUsedAt"] is not None
    used = orch.audit("PRESET_USED")
    assert [e["commandId"] for e in used] == [again["id"], command_id]
    assert details(used[1])["variables"] == {"who": "world"}
    assert details(used[0])["preset"] == "greet"
    [created] = orch.audit("PRESET_CREATED")
    assert details(created)["variables"] == ["greeting", "who"]
    [(preset_id,)] = orch.db(
        "SELECT preset_id FROM commands WHERE id = ?", command_id.replace("-", "")
    )
    assert preset_id == preset["id"].replace("-", "")


def test_preset_edit_delete_export_import_and_target_types(orch: Orch) -> None:
    ctl = orch.app.ctl
    assert ctl("presets", "add", "a", "--content", "echo {{x}}", "--var", "x=1").returncode == 0
    assert (
        ctl("presets", "add", "b", "--content", "echo b", "--target-type", "shell").returncode == 0
    )
    duplicate = ctl("presets", "add", "a", "--content", "echo again")
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    edited = ctl("presets", "edit", "a", "--content", "echo {{x}} {{y}}", "--description", "two")
    assert edited.returncode == 0, edited.stderr
    a = next(p for p in orch.call("presets.list") if p["name"] == "a")
    assert a["description"] == "two"
    assert [(v["name"], v["default"]) for v in a["variables"]] == [("x", "1"), ("y", None)]

    export = orch.tmp_path / "presets.json"
    assert ctl("presets", "export", "-o", str(export)).returncode == 0
    doc = json.loads(export.read_text())
    assert doc["format"] == "onsembl-presets" and [p["name"] for p in doc["presets"]] == ["a", "b"]

    assert ctl("presets", "rm", "a").returncode == 0
    assert [p["name"] for p in orch.call("presets.list")] == ["b"]
    imported = ctl("presets", "import", str(export))
    assert imported.returncode == 0, imported.stderr
    assert "created: a" in imported.stdout and "skipped: b" in imported.stdout
    doc["presets"][1]["content"] = "echo b2"
    export.write_text(json.dumps(doc))
    replaced = ctl("presets", "import", str(export), "--replace")
    assert "updated: a, b" in replaced.stdout, replaced.stderr
    assert next(p for p in orch.call("presets.list") if p["name"] == "b")["content"] == "echo b2"
    bad = orch.tmp_path / "bad.json"
    bad.write_text('{"presets": 3}')
    assert ctl("presets", "import", str(bad)).returncode == 2

    # A preset's target types pick the agents when none are named.
    orch.start_agents("s1", "s2")
    view = orch.call("commands.sendPreset", preset="b")
    assert sorted(r["agent"] for r in view["runs"]) == ["s1", "s2"]
    orch.wait_status(view["id"])

    types = [e["type"] for e in reversed(orch.audit())]
    assert types.count("PRESET_CREATED") == 3 and types.count("PRESET_UPDATED") == 3
    assert types.count("PRESET_DELETED") == 1 and types.count("PRESET_USED") == 1
