"""Using a preset: ask for its variables (with defaults and descriptions), show the command."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...core.presets import PresetError, fill, placeholders
from ...core.records import PresetInfo, PresetVariable
from ..theme import monospace_font, status_color


class PresetDialog(QDialog):
    def __init__(self, preset: PresetInfo, targets: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset = preset
        self.setWindowTitle(f"Preset: {preset.name}")
        self.resize(560, 420)
        intro = QLabel(
            f"<b>{preset.name}</b> · {preset.type.value.title()}"
            + (f"<br>{preset.description}" if preset.description else "")
            + f"<br>Sends to: {targets}"
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        self.fields: dict[str, QLineEdit] = {}
        declared = {v.name: v for v in preset.variables}
        for name in dict.fromkeys([*declared, *placeholders(preset.content)]):
            var = declared.get(name, PresetVariable(name))
            edit = QLineEdit(var.default or "")
            edit.setPlaceholderText(var.description or ("required" if var.default is None else ""))
            edit.setAccessibleName(f"Value of {name}")
            edit.setToolTip(var.description)
            edit.textChanged.connect(self._update)
            form.addRow(f"{name}:", edit)
            self.fields[name] = edit
        if not self.fields:
            form.addRow(QLabel("This preset has no variables."))
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setFont(monospace_font())
        self.preview.setAccessibleName("The command that will be sent")
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {status_color('FAILED').name()};")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.send_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.send_button.setText("Send")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(QLabel("Command:"))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._update()
        first = next(iter(self.fields.values()), None)
        if first is not None:
            first.setFocus()

    def values(self) -> dict[str, str]:
        """The values the user typed (an empty field leaves the variable's default)."""
        return {name: edit.text() for name, edit in self.fields.items() if edit.text()}

    def _update(self) -> None:
        try:
            text = fill(self.preset, self.values())
        except PresetError as exc:
            self.problem.setText(str(exc).split(" (give")[0])
            self.preview.setPlainText(self.preset.content)
            self.send_button.setEnabled(False)
            return
        self.problem.setText("")
        self.preview.setPlainText(text)
        self.send_button.setEnabled(True)
