"""Conflicts and identity between two devices (in-process, each sync a controlled round):
last writer wins with a stable tie-break, the loser is in the audit log on both, a delete wins,
names another device's row holds are renamed, one person across devices."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from onsembl_desktop.store import queries
from onsembl_desktop.store.models import CommandPreset
from onsembl_desktop.store.types import utcnow
from tests.sync.conftest import Device, remote_rows


async def preset(device: Device, name: str, content: str = "x") -> uuid.UUID:
    preset_id = uuid.uuid4()
    values = {
        "id": preset_id,
        "user_id": device.store.user_id,
        "name": name,
        "content": content,
        "type": "NATURAL",
    }
    await device.store.write_wait(lambda conn: queries.insert_preset(conn, values))
    return preset_id


async def edit(device: Device, preset_id: uuid.UUID, **values: Any) -> None:
    values.setdefault("updated_at", utcnow())
    statement = update(CommandPreset).where(CommandPreset.id == preset_id).values(**values)
    await device.store.write_wait(lambda conn: conn.execute(statement))


def presets(device: Device) -> list[tuple[Any, ...]]:
    return device.rows("SELECT id, name, content, updated_at FROM command_presets ORDER BY name")


def conflicts(device: Device) -> list[dict[str, Any]]:
    rows = device.rows("SELECT details FROM audit_logs WHERE event_type = 'SYNC_CONFLICT'")
    return [json.loads(r[0]) for r in rows]


async def settle(*devices: Device) -> None:
    for device in (*devices, *devices):
        await device.sync()


async def test_concurrent_edits_last_writer_wins_and_the_loser_is_audited_on_both(
    devices: Callable[..., Any],
) -> None:
    a, b = await devices("a"), await devices("b")
    shared = await preset(a, "review", "v0")
    await settle(a, b)
    # Both edit before hearing of the other; B's edit is the later one.
    await edit(a, shared, content="from a")
    await edit(b, shared, content="from b")
    await a.sync()  # A pushes first
    await b.sync()  # B's later version replaces A's, which B never saw: a conflict
    await settle(a, b)
    assert [r[2] for r in presets(a)] == [r[2] for r in presets(b)] == ["from b"]
    for device in (a, b):
        (found,) = conflicts(device)
        assert found["table"] == "command_presets" and found["kept"] == "local"
        assert found["lost"]["content"] == "from a"

    # The other way round: A pulls B's version while its own, older, edit still waits.
    await edit(b, shared, content="b again")
    await edit(a, shared, content="a again")  # later
    await b.sync()
    await a.sync()
    await settle(a, b)
    assert [r[2] for r in presets(a)] == [r[2] for r in presets(b)] == ["a again"]
    assert len(conflicts(a)) == len(conflicts(b)) == 2
    assert {c["lost"]["content"] for c in conflicts(a)} == {"from a", "b again"}


async def test_equal_times_go_to_the_higher_device_id_on_both(
    devices: Callable[..., Any],
) -> None:
    a, b = await devices("a"), await devices("b")
    shared = await preset(a, "tie", "v0")
    await settle(a, b)
    stamp = utcnow() + timedelta(seconds=5)
    await edit(a, shared, content="from a", updated_at=stamp)
    await edit(b, shared, content="from b", updated_at=stamp)
    await a.sync()
    await b.sync()
    await settle(a, b)
    winner = "from a" if a.engine.device_id > b.engine.device_id else "from b"
    assert [r[2] for r in presets(a)] == [r[2] for r in presets(b)] == [winner]


async def test_a_delete_wins_over_an_edit_made_meanwhile(devices: Callable[..., Any]) -> None:
    a, b = await devices("a"), await devices("b")
    shared = await preset(a, "gone", "v0")
    await settle(a, b)
    await a.store.write_wait(lambda conn: queries.delete_preset(conn, shared))
    await edit(b, shared, content="edited while deleted elsewhere")
    await a.sync()
    await b.sync()
    await settle(a, b)
    assert presets(a) == presets(b) == []
    assert remote_rows(a.url, "SELECT count(*) FROM command_presets") == [(0,)]
    lost = [c for c in conflicts(b) if c["kept"] == "deleted"]
    assert lost and lost[0]["lost"]["content"] == "edited while deleted elsewhere"


async def test_one_person_and_names_held_elsewhere_are_renamed(
    devices: Callable[..., Any],
) -> None:
    a, b = await devices("a"), await devices("b")
    await preset(a, "fast", "a's")
    await a.sync()
    # B worked alone before it was configured: its own user, preset and command.
    own = b.store.user_id
    await preset(b, "fast", "b's")
    command = await b.command(await b.agent("sh1"))
    await settle(b, a)
    assert b.store.user_id == a.store.user_id != own
    assert b.rows("SELECT id FROM users") == a.rows("SELECT id FROM users")
    assert b.rows("SELECT user_id FROM commands WHERE id = ?", command.hex) == [
        (a.store.user_id.hex,)
    ]
    names = [r[1] for r in presets(a)]
    assert names == [r[1] for r in presets(b)] and len(names) == 2
    assert names[0] == "fast" and names[1].startswith("fast (")
    assert {r[2] for r in presets(b) if r[1] == "fast"} == {"a's"}


async def test_same_agent_names_in_two_apps_are_two_agents(devices: Callable[..., Any]) -> None:
    a, b = await devices("a"), await devices("b")
    mine, theirs = await a.agent("claude"), await b.agent("claude")
    await settle(a, b)
    assert remote_rows(a.url, "SELECT count(*) FROM agents WHERE name = 'claude'") == [(2,)]
    for device in (a, b):
        listed = await device.store.read(queries.load_agents)
        assert [r.id for r in listed] == [mine if device is a else theirs]
        assert len(device.rows("SELECT id FROM agents WHERE name = 'claude'")) == 2
