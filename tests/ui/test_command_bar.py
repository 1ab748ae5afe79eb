"""The command bar: history, type, priority, custom limits, profiles, presets with variables."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QLabel

from onsembl_desktop.core.records import Limits, PresetVariable
from onsembl_desktop.protocol.enums import AgentStatus, CommandStatus, CommandType
from onsembl_desktop.ui.dialogs.preset_dialog import PresetDialog
from onsembl_desktop.ui.dialogs.presets_manager import PresetsManager
from onsembl_desktop.ui.dialogs.profiles_manager import ProfilesManager
from tests.ui.conftest import Ui, UiRun, until


def _choose(combo: object, text: str) -> None:
    index = combo.findText(text)  # type: ignore[attr-defined]
    assert index >= 0, text
    combo.setCurrentIndex(index)  # type: ignore[attr-defined]


def test_history_type_priority_and_custom_limits(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        bar = w.command_bar
        ui.start_agent("sh1")
        (agent,) = await ui.online("sh1")
        edit = bar.edit
        edit.setFocus()
        for text in ("echo one", "echo two"):
            QTest.keyClicks(edit, text)
            QTest.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            assert edit.toPlainText() == ""
        # Up walks back through what was sent, Down comes forward to the draft.
        QTest.keyClicks(edit, "draft")
        QTest.keyClick(edit, Qt.Key.Key_Up)
        assert edit.toPlainText() == "echo two"
        QTest.keyClick(edit, Qt.Key.Key_Up)
        assert edit.toPlainText() == "echo one"
        QTest.keyClick(edit, Qt.Key.Key_Down)
        QTest.keyClick(edit, Qt.Key.Key_Down)
        assert edit.toPlainText() == "draft"
        # Shift+Enter is a new line, not a send.
        QTest.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        assert edit.toPlainText() == "draft\n"
        edit.clear()

        # Type, priority and custom limits reach the command.
        _choose(bar.kind, "Review")
        bar.priority.setValue(80)
        _choose(bar.limits, "Custom limits…")
        assert bar.time_limit.isVisible() and bar.token_budget.isVisible()
        bar.time_limit.setValue(30)
        QTest.keyClicks(edit, "echo limited")
        QTest.keyClick(edit, Qt.Key.Key_Return)
        info = next(c for c in w.core.commands.open_commands() if c.content == "echo limited")
        assert info.type is CommandType.REVIEW
        assert info.priority == 80
        assert info.constraints.get("time_limit_ms") == 30_000
        await until(lambda: w.core.agents.get(agent.id).current_command_id is None)  # type: ignore[union-attr]

    ui_run(body)


def test_profiles_and_presets_managers_then_send_a_preset(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        bar = w.command_bar
        ui.start_agent("sh1")
        await ui.online("sh1")

        # A default profile made in the manager becomes the bar's "default limits".
        w.dialogs.open_profiles()
        profiles = w.dialog
        assert isinstance(profiles, ProfilesManager)
        QTest.keyClicks(profiles.name, "quick")
        profiles.time.setValue(120)
        profiles.tokens.setValue(5000)
        profiles.default.setChecked(True)
        QTest.mouseClick(profiles.save_button, Qt.MouseButton.LeftButton)
        await until(lambda: w.core.profiles.get("quick") is not None)
        assert w.core.profiles.get("quick").limits == Limits(  # type: ignore[union-attr]
            time_limit_ms=120_000, token_budget=5000
        )
        await until(lambda: bar.limits.itemText(0) == "Limits: quick (default)")
        assert profiles.model.rows[0].name == "quick"
        profiles.reject()

        # A preset with a variable, made in the presets manager.
        w.dialogs.open_presets()
        presets = w.dialog
        assert isinstance(presets, PresetsManager)
        QTest.keyClicks(presets.name, "greet")
        QTest.keyClicks(presets.content, "echo hello-{{who}}-{{mood}}")
        assert presets.variables.rowCount() == 2  # one row per placeholder
        presets.variables.item(1, 1).setText("calm")  # mood's default
        QTest.mouseClick(presets.save_button, Qt.MouseButton.LeftButton)
        await until(lambda: w.core.presets.get("greet") is not None)
        preset = w.core.presets.get("greet")
        assert preset is not None
        assert preset.variables == (PresetVariable("who"), PresetVariable("mood", "", "calm"))
        # Export, delete, import: it comes back.
        out = ui.tmp / "presets.json"
        await presets.export_file(out)
        assert '"greet"' in out.read_text()
        QTest.mouseClick(presets.delete_button, Qt.MouseButton.LeftButton)
        await until(lambda: w.core.presets.get("greet") is None)
        await presets.import_file(out)
        await until(lambda: w.core.presets.get("greet") is not None)
        assert "1 new" in presets.status.text()
        # A file that is not JSON, a folder that does not exist: said, in red.
        (ui.tmp / "bad.json").write_text("{not json")
        await presets.import_file(ui.tmp / "bad.json")
        assert presets.status.text().startswith("Cannot read bad.json")
        await presets.export_file(ui.tmp / "missing" / "out.json")
        assert presets.status.text().startswith("Cannot write")
        presets.reject()

        # Using the preset asks for its variables and sends the filled-in command.
        await until(lambda: bar.preset.isEnabled())
        w.use_preset(w.core.presets.get("greet"))  # what the Preset menu's entry does
        dialog = w.dialog
        assert isinstance(dialog, PresetDialog)
        send = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert not send.isEnabled()  # "who" has no default yet
        QTest.keyClicks(dialog.fields["who"], "world")
        assert dialog.preview.toPlainText() == "echo hello-world-calm"
        QTest.mouseClick(send, Qt.MouseButton.LeftButton)
        command = await until(
            lambda: next(
                (c for c in w.core.commands.open_commands() if c.content.startswith("echo hello")),
                None,
            )
        )
        assert command.content == "echo hello-world-calm"
        assert command.constraints.get("profile") == "quick"
        assert command.constraints.get("time_limit_ms") == 120_000
        await until(lambda: w.core.commands.get(command.id).status is CommandStatus.COMPLETED)  # type: ignore[union-attr]
        await until(lambda: w.core.presets.get("greet").usage_count == 1)  # type: ignore[union-attr]

    ui_run(body)


def test_queued_feedback_follows_the_command(ui_run: UiRun) -> None:
    """The bar's "Queued for sh1 (busy, #1)" holds only while it waits: once it starts the bar
    says it was sent, cancelled in the queue it says so (it used to keep saying queued)."""

    async def body(ui: Ui) -> None:
        w = ui.window
        bar = w.command_bar
        ui.start_agent("sh1")
        await ui.online("sh1")

        def send(text: str) -> None:
            bar.edit.setPlainText(text)
            QTest.keyClick(bar.edit, Qt.Key.Key_Return)

        send("sleep 30")
        sleeper = w.core.agents.by_name("sh1").current_command_id  # type: ignore[union-attr]
        send("echo later")
        assert bar.feedback.text() == "Queued for sh1 (busy, #1)"
        assert sleeper is not None
        w.core.queues.cancel(sleeper)
        await until(lambda: bar.feedback.text() == "Sent to sh1")
        # ("echo later" takes a moment: sent before it ends, "sleep 30" would queue behind it.)
        await until(lambda: w.core.agents.by_name("sh1").current_command_id is None)  # type: ignore[union-attr]

        send("sleep 30")
        send("echo never")
        assert bar.feedback.text() == "Queued for sh1 (busy, #1)"
        (waiting,) = w.core.queues.get(w.core.agents.by_name("sh1").id).waiting  # type: ignore[union-attr]
        w.core.queues.cancel(waiting.command.id)
        await until(lambda: bar.feedback.text() == "Cancelled before it ran on sh1")

    ui_run(body)


def test_long_feedback_never_widens_the_window(ui_run: UiRun) -> None:
    """A broadcast's feedback names every agent: cut to the bar's width with the whole text in
    the tooltip (a plain label grew the window from 1280 to 1541 px, off a 1280 screen)."""

    async def body(ui: Ui) -> None:
        w = ui.window
        bar = w.command_bar
        before = w.minimumSizeHint().width()
        long = "Sent to sh1 · Queued for " + ", ".join(
            f"agent-{i} (offline — runs when it reconnects, #{i})" for i in range(8)
        )
        bar.show_feedback(long)
        await until(lambda: QLabel.text(bar.feedback) != long)  # laid out and cut
        assert w.minimumSizeHint().width() == before
        assert w.width() == 1280
        assert bar.feedback.text() == long and bar.feedback.toolTip() == long
        assert QLabel.text(bar.feedback).endswith("…")
        bar.show_feedback("Sent to sh1")
        await until(lambda: QLabel.text(bar.feedback) == "Sent to sh1")

    ui_run(body)


def test_no_target_chosen_says_to_choose_one(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        bar = ui.window.command_bar
        bar.edit.setPlainText("echo nobody")
        QTest.keyClick(bar.edit, Qt.Key.Key_Return)
        assert bar.feedback.text() == "No agent to send to — connect one first"
        ui.start_agent("sh1")
        (agent,) = await ui.online("sh1")
        await until(lambda: bar.targets()[0] == [agent.id])
        bar._toggle_target(agent.id, False)  # unticked in the To menu
        assert bar.target.text() == "No agent"
        QTest.keyClick(bar.edit, Qt.Key.Key_Return)
        assert bar.feedback.text() == "Choose who gets it: To → an agent, or all"
        assert bar.edit.toPlainText() == "echo nobody"  # kept to send once chosen

    ui_run(body)


def test_default_target_is_an_online_agent_and_a_choice_is_kept(ui_run: UiRun) -> None:
    """Until the user picks a target, the bar's target is the first online agent (it was the
    first agent of the list, offline or not); a choice the user made stays as it is."""

    async def body(ui: Ui) -> None:
        w = ui.window
        bar = w.command_bar
        first = ui.start_agent("aaa")
        (aaa,) = await ui.online("aaa")
        assert bar.targets() == ([aaa.id], False)  # the only one
        await ui.stop_agent(first)
        await until(lambda: w.core.agents.get(aaa.id).status is AgentStatus.OFFLINE)  # type: ignore[union-attr]
        ui.start_agent("bbb")
        (bbb,) = await ui.online("bbb")
        await until(lambda: bar.targets() == ([bbb.id], False))
        assert bar.target.text() == "bbb"
        w.grab().save("/tmp/onsembl-shots/command-bar-default.png")

        # The user picks the offline one: it stays picked (its command waits in its queue).
        bar.set_targets([aaa.id])
        ui.start_agent("ccc")
        await ui.online("ccc")
        await until(lambda: len(w.model.agents()) == 3)
        assert bar.targets() == ([aaa.id], False)

    ui_run(body)
