"""README's command-line table lists every ``onsembl ctl`` subcommand that ``onsembl ctl --help``
shows (``ctl history`` was missing)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _subcommands() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "onsembl_desktop", "ctl", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    choices = re.search(r"\{([a-z,-]+)\}", result.stdout)
    assert choices is not None, result.stdout
    return choices.group(1).split(",")


def test_every_ctl_subcommand_has_a_row_in_the_readme_table() -> None:
    rows = [
        line
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("| `onsembl ctl ")
    ]
    # A row's first cell names its subcommands: "`onsembl ctl NAME …`", "… / `NAME` …".
    named = {
        name
        for row in rows
        for name in re.findall(r"(?:`onsembl ctl |/ `)([a-z-]+)", row.split(" | ")[0])
    }
    subcommands = _subcommands()
    assert len(subcommands) > 15
    assert [s for s in subcommands if s not in named] == []
