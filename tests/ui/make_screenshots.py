"""Screenshots of the main views with the demo agents at work (for docs/screenshots and review).

    QT_QPA_PLATFORM=offscreen python -m tests.ui.make_screenshots OUTDIR [--theme dark|light]

Runs the real app in-process on a temp data dir with the demo agents, lets them work, then shows
each page with something selected and saves a PNG of the window.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from onsembl_desktop.app import AppConfig, OnsemblApp
from onsembl_desktop.demo.agents import DemoAgents
from onsembl_desktop.gateway.auth import agent_token
from onsembl_desktop.protocol.enums import CommandType
from onsembl_desktop.ui.event_loop import EventLoop
from onsembl_desktop.ui.main_window import MainWindow
from onsembl_desktop.ui.settings import UiSettings
from onsembl_desktop.ui.theme import apply_theme


async def until(predicate: object, within: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.1)


def _interesting_row(title: str, table: object) -> int:
    """A row worth showing: a claude command in Traces/History (tool calls, a long answer)."""
    model = table.model()  # type: ignore[attr-defined]
    if title in ("Traces", "History"):
        for row in range(model.rowCount()):
            texts = [str(model.index(row, c).data()) for c in range(model.columnCount())]
            if any("demo-claude" in t for t in texts) and any("Count" in t for t in texts):
                return row
    return 0


def save(widget: QWidget, path: Path) -> None:
    image = widget.grab()
    image.save(str(path), "PNG", 0)  # quality 0: the strongest PNG compression
    print(f"saved {path} ({image.width()}x{image.height()}, {path.stat().st_size // 1024} KB)")


async def shoot(out: Path, theme: str) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        qs = QSettings(str(data_dir / "ui.ini"), QSettings.Format.IniFormat)
        qs.setValue("appearance/theme", theme)
        settings = UiSettings(qs)
        apply_theme(app, theme)
        onsembl = OnsemblApp(AppConfig(data_dir=data_dir, port=0, heartbeat_interval_s=1))
        await onsembl.start()
        core = onsembl.core
        assert core is not None
        window = MainWindow(core, onsembl.url, "onsembl-agent …", settings, demo=True)
        window.resize(1440, 880)
        window.show()
        demo = DemoAgents(core, onsembl.url, agent_token(data_dir), data_dir, delay_s=0.12)
        demo.pause_s = (2.0, 4.0)
        await demo.start()
        suffix = "" if theme == "dark" else "-light"
        try:
            await until(lambda: len([a for a in core.agents.all() if a.status == "ONLINE"]) == 3)
            claude = core.agents.by_name("demo-claude")
            assert claude is not None
            core.commands.submit(
                "Investigate the TypeScript sources and report",
                agent_ids=[claude.id],
                command_type=CommandType.INVESTIGATE,
                priority=60,
            )
            await asyncio.sleep(14)
            window.clock.tick()
            save(window, out / f"main{suffix}.png")
            window.set_split(True)
            window.terminals.set_split_agents([a.id for a in core.agents.all()])
            await asyncio.sleep(1.0)
            window.clock.tick()
            save(window, out / f"split{suffix}.png")
            window.set_split(False)
            codex = core.agents.by_name("demo-codex")
            assert codex is not None
            for text, priority in (
                ("Explain what this repository does", 50),
                ("What does test.js do?", 70),
                ("What is in sample.txt?", 30),
            ):
                core.commands.submit(text, agent_ids=[codex.id], priority=priority)
            for title in ("Queue", "Traces", "Reports", "History", "Audit"):
                page = window.page(title)
                window.show_page(page)
                await asyncio.sleep(1.5)
                table = getattr(page, "table", None) or getattr(page, "commands_table", None)
                if table is not None and table.model().rowCount():
                    table.selectRow(_interesting_row(title, table))
                    await asyncio.sleep(1.5)
                if title == "Reports" and page.editor.doc and page.editor.doc.sections:
                    page.editor.tabs.setCurrentIndex(1)
                if title == "Traces":
                    calls = [n for n in page.nodes if n.type == "TOOL_CALL"]
                    if calls:
                        page.select_node(calls[0].id)
                        await asyncio.sleep(0.3)
                window.clock.tick()
                save(window, out / f"{title.lower()}{suffix}.png")
            window.show_page(window.terminal_stack)
            for agent in core.agents.all():
                core.commands.submit(
                    demo.prompts(agent.type.value.lower())[0], agent_ids=[agent.id]
                )
            await until(lambda: all(a.current_command_id for a in core.agents.all()), 10)
            await asyncio.sleep(0.3)
            window.emergency.stop()
            await asyncio.sleep(1.0)
            window.clock.tick()
            save(window, out / f"emergency{suffix}.png")
            dialog = window.emergency.dialog
            if dialog is not None:
                save(dialog, out / f"emergency-dialog{suffix}.png")
                dialog.reject()
            window.emergency.resume()
        finally:
            await demo.stop()
            window.close()
            await onsembl.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--theme", default="dark", choices=("dark", "light"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = EventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(shoot(args.out, args.theme))
    return 0


if __name__ == "__main__":
    sys.exit(main())
