"""Terminal tests run the engine in strict mode: internal errors fail the test."""

from __future__ import annotations

import pytest

from onsembl_desktop.terminal import Terminal


@pytest.fixture(autouse=True)
def strict_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Terminal, "strict", True)
