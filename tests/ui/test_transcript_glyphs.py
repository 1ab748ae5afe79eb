"""The AI transcripts' markers (tool call, result, thinking, the last line) must be glyphs of the
terminal's monospace font: one it lacks is painted as a box. Claude Code's own ⏺ and ⎿ are in
neither DejaVu Sans Mono nor Consolas/Menlo, so the adapters use WGL4 glyphs (the set Consolas
and Menlo cover) that DejaVu Sans Mono has as well."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QApplication

from onsembl_desktop.agent.adapters._render import MARKS
from onsembl_desktop.core.transcript import footer, header
from onsembl_desktop.protocol.enums import CommandStatus
from onsembl_desktop.ui.theme import monospace_font
from tests.agent_adapters.samples import STREAMS
from tests.agent_adapters.test_standins import run as run_standin

# WGL4 beyond ASCII and Latin-1, as far as a transcript marker might use it: punctuation, arrows,
# box drawing, block elements and geometric shapes.
WGL4 = {
    *range(0x20, 0x7F),
    *range(0xA0, 0x100),
    *(0x2013, 0x2014, 0x2015, 0x2017, 0x2018, 0x2019, 0x201A, 0x201B, 0x201C, 0x201D, 0x201E),
    *(0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2032, 0x2033, 0x2039, 0x203A, 0x203C, 0x203E),
    *range(0x2190, 0x2196),
    0x21A8,
    *(0x2500, 0x2502, 0x250C, 0x2510, 0x2514, 0x2518, 0x251C, 0x2524, 0x252C, 0x2534, 0x253C),
    *range(0x2550, 0x256D),
    *(0x2580, 0x2584, 0x2588, 0x258C, 0x2590, 0x2591, 0x2592, 0x2593),
    *(0x25A0, 0x25A1, 0x25AA, 0x25AB, 0x25AC, 0x25B2, 0x25BA, 0x25BC, 0x25C4, 0x25CA, 0x25CB),
    *(0x25CF, 0x25D8, 0x25D9, 0x25E6),
}

# Real runs whose transcripts hold every kind of marker: tool calls and results (errors too),
# thinking, sub-agents, plans, and each CLI's last line.
RUNS = [
    (
        "claude",
        "claude/hivemind-2.1.284-foreground-subagent-Agent-tool-parallel-bash-no-result.jsonl",
    ),
    ("claude", "claude/agentclisdk-1760716800040-1-research-extracted.jsonl"),
    ("codex", "codex/takopi-exec-explain-repo-many-commands.jsonl"),
    ("codex", "codex/justazul-review-ok-command-failed.jsonl"),
    ("gemini", "gemini/simmer-probe-shell-and-read-file.jsonl"),
]


def _fonts(qapp: QApplication) -> list[QFont]:
    fonts = [monospace_font()]  # what the terminal view paints with
    if "DejaVu Sans Mono" in QFontDatabase.families():
        fonts.append(monospace_font(family="DejaVu Sans Mono"))
    return fonts


def _decoded(line: str) -> str:
    try:
        return json.dumps(json.loads(line), ensure_ascii=False)
    except ValueError:
        return ""


def _missing(font: QFont, text: str) -> set[str]:
    metrics = QFontMetrics(font)
    return {c for c in text if ord(c) > 0x7F and not metrics.inFontUcs4(ord(c))}


def test_every_marker_is_wgl4_and_in_the_monospace_font(qapp: QApplication) -> None:
    assert {c for mark in MARKS for c in mark if ord(c) not in WGL4} == set()
    for font in _fonts(qapp):
        assert _missing(font, "".join(MARKS)) == set(), font.family()


def test_the_apps_command_header_and_footer_marks_too(qapp: QApplication) -> None:
    # The app's own lines around each command in an agent's terminal (it had U+276F, in neither
    # WGL4 nor Consolas/Menlo).
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    ours = header("make test\nand more", at) + "".join(
        footer(status, 1, "boom", at, at) for status in CommandStatus
    )
    assert {c for c in ours if ord(c) not in WGL4 and c not in "\r\n\x1b"} == set()
    for font in _fonts(qapp):
        assert _missing(font, ours) == set(), font.family()


@pytest.mark.parametrize(("cli", "sample"), RUNS, ids=[Path(s).stem for _, s in RUNS])
def test_a_real_transcript_adds_no_glyph_the_font_lacks(
    qapp: QApplication, cli: str, sample: str
) -> None:
    path = STREAMS / sample
    if not path.exists():
        pytest.skip(f"sample missing: {path}")
    proc, parsed = run_standin(cli, {"ONSEMBL_STANDIN_SAMPLE": str(path)})
    # What the CLI itself wrote (its JSON, decoded) may hold anything; what we add may not.
    said = proc.stdout + "".join(_decoded(line) for line in proc.stdout.splitlines())
    ours = "".join(c for c in parsed.transcript if c not in said)
    for font in _fonts(qapp):
        assert _missing(font, ours) == set(), font.family()
    assert "●" in parsed.transcript  # the tool-call marker was there to check
