"""Tools → Constraint profiles: named limits (time, tokens, memory, CPU), one of them the default.

A command uses the default profile unless the command bar names another or gives its own limits.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLineEdit, QSpinBox, QWidget

from ...core.events import ProfilesChanged
from ...core.records import Limits, ProfileInfo
from ...core.service import Core
from ..models.rows_model import Column
from ..widgets.command_bar import describe_limits
from .manager_base import ManagerDialog


def _spin(suffix: str, top: int, step: int, none_text: str, name: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, top)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setSpecialValueText(none_text)
    box.setAccessibleName(name)
    return box


class ProfilesManager(ManagerDialog[ProfileInfo]):
    def __init__(self, core: Core, parent: QWidget | None = None) -> None:
        super().__init__(
            core,
            "Constraint profiles",
            [
                Column("Name", lambda p: p.name + ("  (default)" if p.is_default else "")),
                Column("Limits", lambda p: describe_limits(p.limits)),
            ],
            (180,),
            parent,
        )
        self.resize(820, 440)
        self.name = QLineEdit()
        self.name.setAccessibleName("Profile name")
        self.description = QLineEdit()
        self.description.setAccessibleName("Profile description")
        self.time = _spin(" s", 7 * 24 * 3600, 60, "no time limit", "Time limit in seconds")
        self.tokens = _spin(" tokens", 2_000_000_000, 1000, "no token budget", "Token budget")
        self.memory = _spin(" MB", 1_000_000, 256, "no memory limit", "Memory limit in MB")
        self.cpu = _spin(" %", 100_00, 25, "no CPU limit", "CPU limit in percent of one core")
        self.default = QCheckBox("Default for commands that name no profile")
        form = QWidget()
        layout = QFormLayout(form)
        layout.addRow("&Name", self.name)
        layout.addRow("&Description", self.description)
        layout.addRow("&Time limit", self.time)
        layout.addRow("T&oken budget", self.tokens)
        layout.addRow("&Memory", self.memory)
        layout.addRow("&CPU", self.cpu)
        layout.addRow("", self.default)
        self.watch(ProfilesChanged)
        self.build(form, (380, 440))

    def items(self) -> list[ProfileInfo]:
        return self.core.profiles.all()

    def load(self, p: ProfileInfo) -> None:
        super().load(p)
        self.name.setText(p.name)
        self.description.setText(p.description or "")
        self.time.setValue((p.limits.time_limit_ms or 0) // 1000)
        self.tokens.setValue(p.limits.token_budget or 0)
        self.memory.setValue(p.limits.memory_limit_mb or 0)
        self.cpu.setValue(p.limits.cpu_limit_percent or 0)
        self.default.setChecked(p.is_default)

    def clear_form(self) -> None:
        self.name.setText("")
        self.description.setText("")
        for box in (self.time, self.tokens, self.memory, self.cpu):
            box.setValue(0)
        self.default.setChecked(False)
        self.name.setFocus()

    def limits(self) -> Limits:
        return Limits(
            time_limit_ms=self.time.value() * 1000 or None,
            token_budget=self.tokens.value() or None,
            memory_limit_mb=self.memory.value() or None,
            cpu_limit_percent=self.cpu.value() or None,
        )

    def save(self) -> None:
        name = self.name.text().strip()
        description = self.description.text().strip()
        if self.current is None:
            work = self.core.profiles.create(
                name,
                self.limits(),
                description=description or None,
                default=self.default.isChecked(),
            )
        else:
            work = self.core.profiles.update(
                self.current,
                new_name=name,
                description=description,
                limits={k: getattr(self.limits(), k) for k in Limits.names()},
                default=self.default.isChecked(),
            )
        self.run(work, self.saved)

    def delete_call(self, name: str) -> Awaitable[Any]:
        return self.core.profiles.delete(name)
