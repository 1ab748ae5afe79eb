"""Tools → Presets: create, edit, delete, import and export command presets (``core.presets``).

A preset is a command template with ``{{variable}}`` placeholders; each variable may have a
default and a description, which the preset dialog shows when the preset is used.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ...core.events import PresetsChanged
from ...core.presets import placeholders
from ...core.records import PresetInfo, PresetVariable
from ...core.service import Core
from ...protocol.enums import AgentType, CommandType
from ..models.rows_model import Column
from ..presentation.tasks import spawn
from ..theme import monospace_font
from .manager_base import ManagerDialog


class PresetsManager(ManagerDialog[PresetInfo]):
    def __init__(self, core: Core, parent: QWidget | None = None) -> None:
        super().__init__(
            core,
            "Presets",
            [
                Column("Name", lambda p: p.name, tooltip=lambda p: p.description or p.content),
                Column("Type", lambda p: p.type.value.title()),
                Column("Uses", lambda p: str(p.usage_count), right=True),
                Column(
                    "Last used",
                    lambda p: (
                        p.last_used_at.astimezone().strftime("%b %d %H:%M")
                        if p.last_used_at
                        else "never"
                    ),
                ),
            ],
            (120, 70, 45, 80),  # all four fit the list at the dialog's size
            parent,
        )
        self.resize(920, 580)
        self.name = QLineEdit()
        self.name.setAccessibleName("Preset name")
        self.type = QComboBox()
        self.type.setAccessibleName("Preset command type")
        for t in CommandType:
            self.type.addItem(t.value.title(), t)
        self.description = QLineEdit()
        self.description.setAccessibleName("Preset description")
        self.content = QPlainTextEdit()
        self.content.setFont(monospace_font())
        self.content.setAccessibleName("Preset content")
        self.content.setPlaceholderText("Review {{path}} for {{concern}} and report what you find")
        self.content.setTabChangesFocus(True)
        self.content.textChanged.connect(self._sync_variables)
        self.variables = QTableWidget(0, 3)
        self.variables.setHorizontalHeaderLabels(["Variable", "Default", "Description"])
        self.variables.setAccessibleName("Preset variables")
        self.variables.verticalHeader().hide()
        self.variables.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.types: dict[AgentType, QCheckBox] = {}
        types_row = QHBoxLayout()
        for agent_type in AgentType:
            box = QCheckBox(agent_type.value.title())
            box.setAccessibleName(f"Target {agent_type.value.title()} agents")
            self.types[agent_type] = box
            types_row.addWidget(box)
        types_row.addStretch(1)

        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Type", self.type)
        form.addRow("&Description", self.description)
        form.addRow("&Content", self.content)
        form.addRow("Variables", self.variables)
        form.addRow("Agent types", types_row)
        hint = QLabel(
            "Write {{name}} where a value goes; each one becomes a variable. With agent types "
            "ticked and no agent chosen, the preset goes to every online agent of those types."
        )
        hint.setWordWrap(True)
        form.addRow(hint)
        imp = QPushButton("Import…")
        exp = QPushButton("Export…")
        imp.clicked.connect(self._import)
        exp.clicked.connect(self._export)
        self.buttons.addWidget(imp)
        self.buttons.addWidget(exp)
        editor = QWidget()
        editor.setLayout(form)
        self.watch(PresetsChanged)
        self.build(editor, (340, 580))

    def items(self) -> list[PresetInfo]:
        return self.core.presets.all()

    def load(self, p: PresetInfo) -> None:
        super().load(p)
        self.name.setText(p.name)
        self.type.setCurrentIndex(max(0, self.type.findData(p.type)))
        self.description.setText(p.description or "")
        self.content.blockSignals(True)
        self.content.setPlainText(p.content)
        self.content.blockSignals(False)
        self._fill_variables(list(p.variables))
        for t, box in self.types.items():
            box.setChecked(t in p.target_agent_types)

    def clear_form(self) -> None:
        self.name.setText("")
        self.description.setText("")
        self.content.setPlainText("")
        self._fill_variables([])
        for box in self.types.values():
            box.setChecked(False)
        self.name.setFocus()

    # --- variables --------------------------------------------------------------------------------

    def _fill_variables(self, variables: list[PresetVariable]) -> None:
        self.variables.setRowCount(len(variables))
        for row, v in enumerate(variables):
            name = QTableWidgetItem(v.name)
            self.variables.setItem(row, 0, name)
            self.variables.setItem(row, 1, QTableWidgetItem(v.default or ""))
            self.variables.setItem(row, 2, QTableWidgetItem(v.description))

    def form_variables(self) -> list[PresetVariable]:
        out = []
        for row in range(self.variables.rowCount()):
            cells = [self.variables.item(row, c) for c in range(3)]
            name, default, description = (c.text() if c else "" for c in cells)
            if name.strip():
                out.append(PresetVariable(name.strip(), description, default or None))
        return out

    def _sync_variables(self) -> None:
        """Keep one row per placeholder of the content (what was typed for it stays)."""
        known = {v.name: v for v in self.form_variables()}
        self._fill_variables(
            [known.get(n, PresetVariable(n)) for n in placeholders(self.content.toPlainText())]
        )

    # --- changes ----------------------------------------------------------------------------------

    def save(self) -> None:
        fields: dict[str, Any] = {
            "content": self.content.toPlainText(),
            "type": CommandType(self.type.currentData()),
            "description": self.description.text().strip(),
            "variables": self.form_variables(),
            "target_agent_types": [t for t, box in self.types.items() if box.isChecked()],
        }
        name = self.name.text().strip()
        if self.current is None:
            fields["description"] = fields["description"] or None
            self.run(self.core.presets.create(name, **fields), self.saved)
        else:
            self.run(self.core.presets.update(self.current, new_name=name, **fields), self.saved)

    def delete_call(self, name: str) -> Awaitable[Any]:
        return self.core.presets.delete(name)

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import presets", str(Path.home()), "JSON (*.json)"
        )
        if path:
            spawn(self.import_file(Path(path)))

    async def import_file(self, path: Path, replace: bool = False) -> None:
        """Read ``path`` off the loop (a file on a slow or gone disk must not freeze the window),
        then import its presets."""
        loop = asyncio.get_running_loop()
        try:
            doc = await loop.run_in_executor(None, _read_json, path)
        except (OSError, ValueError) as exc:
            self.say(f"Cannot read {path.name}: {exc}", error=True)
            return

        def imported(result: dict[str, list[str]]) -> None:
            self.say(
                f"Imported {len(result['created'])} new, {len(result['updated'])} updated, "
                f"{len(result['skipped'])} skipped (name already used)."
            )

        self.run(self.core.presets.import_(doc, replace=replace), imported)

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export presets", str(Path.home() / "onsembl-presets.json"), "JSON (*.json)"
        )
        if path:
            spawn(self.export_file(Path(path)))

    async def export_file(self, path: Path) -> None:
        doc = self.core.presets.export()
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, partial(path.write_text, text, encoding="utf-8"))
        except OSError as exc:
            self.say(f"Cannot write {path}: {exc.strerror or exc}", error=True)
            return
        self.say(f"Exported {len(doc['presets'])} presets to {path}.")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
