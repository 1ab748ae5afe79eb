"""Queued output reaches the engines exactly: a hidden terminal catches up to the very screen that
feeding it directly gives, in slices or at once; the All view drops no line within its bound."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import cast

import pytest

from onsembl_desktop.core.events import EventBus
from onsembl_desktop.core.service import Core
from onsembl_desktop.terminal import Terminal
from onsembl_desktop.textlines import clean_lines
from onsembl_desktop.ui.presentation import terminals
from onsembl_desktop.ui.presentation.all_output import AllOutput
from onsembl_desktop.ui.presentation.terminals import TerminalHub


def nobody_watches(_t: Terminal) -> bool:
    return False


def output(seed: int, lines: int = 400) -> str:
    """What agents print: colours, progress bars redrawn with CR, cursor moves and erases, wide
    characters, long lines that wrap, a title, a few blank lines."""
    rng = random.Random(seed)
    out = []
    for i in range(lines):
        kind = rng.random()
        if kind < 0.1:
            out.append(f"\r\x1b[36m{'█' * rng.randint(0, 20)}\x1b[0m {rng.randint(0, 100)}%")
            out.append("\r\n" if rng.random() < 0.3 else "")
        elif kind < 0.15:
            out.append(f"\x1b[2K\x1b[1G\x1b]0;title {i}\x07step {i} 漢字 ✓\r\n")
        elif kind < 0.2:
            out.append("\r\n")
        elif kind < 0.25:
            out.append(f"\x1b[1;3{i % 8}m{'long ' * rng.randint(20, 60)}\x1b[0m\r\n")
        else:
            out.append(f"\x1b[2m12:00:{i % 60:02d}\x1b[0m \x1b[32mINFO\x1b[0m line {i}\r\n")
    return "".join(out)


def pieces(text: str, seed: int) -> list[str]:
    """``text`` cut at random points (mid-line, mid-escape), as reads of a PTY come."""
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(text)), len(text) // 300))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def screen(t: Terminal) -> tuple[object, ...]:
    rows = tuple(tuple(t.row_runs(y)) for y in range(t.rows))
    return (t.history_text(), t.display(), rows, t.cursor, t.title)


@pytest.fixture
def hub() -> Iterator[TerminalHub]:
    # Only the bus of a core is used by what these tests drive (write, pump, catch up).
    hub = TerminalHub(cast("Core", SimpleNamespace(bus=EventBus())), scrollback=500)
    hub.feed_lazily(lambda: None)
    yield hub
    hub.close()


def test_a_hidden_terminal_waits_then_catches_up_exactly(hub: TerminalHub) -> None:
    text = output(1)
    term = hub.get(uuid.uuid4())
    for piece in pieces(text, 2):
        term.write(piece)
    # Not on screen and the loop busy (no time for hidden engines): nothing was emulated.
    assert hub.pump(0.0, nobody_watches, hidden=True)  # (returns: output still queued)
    assert term.terminal.history_size == 0 and not any(term.terminal.display())
    assert term.backlog_chars == len(text)

    # Shown: fed a slice at a time (a frame's budget each), it ends where feeding it all would.
    while term.backlog:
        term.feed(997)
    direct = Terminal(cols=terminals.DEFAULT_COLS, rows=terminals.DEFAULT_ROWS, scrollback=500)
    direct.feed(text)
    assert screen(term.terminal) == screen(direct)
    assert term.fed_total == len(text) and term.skipped_total == 0


def test_pump_feeds_engines_on_screen_first(hub: TerminalHub) -> None:
    watched, hidden = hub.get(uuid.uuid4()), hub.get(uuid.uuid4())
    for term in (watched, hidden):
        term.write(output(3, 50))
    on_screen = {id(watched.terminal)}

    def shown(t: Terminal) -> bool:
        return id(t) in on_screen

    assert hub.pump(float("inf"), shown, hidden=False)  # the hidden one still waits
    assert not watched.backlog and hidden.backlog
    assert not hub.pump(float("inf"), shown, hidden=True)
    assert not hidden.backlog
    assert screen(hidden.terminal) == screen(watched.terminal)


def test_a_backlog_past_its_bound_keeps_its_end_and_says_so(
    hub: TerminalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terminals, "MAX_BACKLOG", 20_000)
    monkeypatch.setattr(terminals, "KEEP_BACKLOG", 3_000)  # (less than the scrollback holds)
    text = "".join(f"line {i}\r\n" for i in range(10_000))
    term = hub.get(uuid.uuid4())
    for piece in pieces(text, 4):
        term.write(piece)
        assert term.backlog_chars <= 20_000
    skipped = term.skipped_chars
    kept = "".join(term.backlog)
    assert text.endswith(kept) and text[len(text) - len(kept) - 1] == "\n"  # from a line start
    assert skipped == len(text) - len(kept) == term.skipped_total
    term.catch_up()
    lines = term.terminal.history_text() + term.terminal.display()
    assert any(f"{skipped / 1e6:.1f} MB of output skipped" in line for line in lines)
    assert lines[-2] == "line 9999"


def test_clear_and_rebuild_drop_what_was_queued(hub: TerminalHub) -> None:
    agent = uuid.uuid4()
    term = hub.get(agent)
    term.write("queued\r\n")
    hub.clear(agent)
    assert not term.backlog and not any(term.terminal.display())


def test_live_queries_are_answered_in_time_and_replays_not() -> None:
    typed: list[str] = []
    core = SimpleNamespace(bus=EventBus(), terminal_input=lambda _a, text: typed.append(text))
    hub = TerminalHub(cast("Core", core), scrollback=100)
    hub.feed_lazily(lambda: None)
    term = hub.get(uuid.uuid4())
    term.write("\x1b[c", live=True)  # a program asks: answered when fed
    term.write("\x1b[c")  # a replay of stored output: not
    assert typed == []
    term.catch_up()
    assert typed == ["\x1b[?62;22c"]
    term.write("ab\x1b[6n", live=True)
    term.came[0] -= terminals.ANSWER_WITHIN_S  # queued too long: whatever reads keys now is not it
    term.catch_up()
    term.write("\x1b[6n", live=True)
    term.catch_up()
    assert typed == ["\x1b[?62;22c", "\x1b[1;3R"]
    hub.close()


# --- the All view ----------------------------------------------------------------------------


_OLD_NOT_SGR = re.compile(
    r"\x1b\[[0-9;:]*m"
    r"|(\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f])"
)


def reference_lines(text: str) -> list[str]:
    """The All view's rule line by line, as it was written before lines were cut in bulk."""
    out = []
    for raw in text.split("\n"):
        line = _OLD_NOT_SGR.sub(lambda m: "" if m.group(1) else m.group(0), raw)
        if "\r" in line:
            parts = [p for p in line.split("\r") if p]
            line = parts[-1] if parts else ""
        if re.sub(r"\x1b\[[0-9;:]*m", "", line).strip():
            out.append(line)
    return out


@pytest.mark.parametrize("seed", range(20))
def test_lines_cut_in_bulk_are_the_lines_cut_one_by_one(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = [
        "a",
        " ",
        "\t",
        "\r",
        "\x1b",
        "[",
        "]",
        "1",
        ";",
        ":",
        "m",
        "K",
        "\x07",
        "\\",
        "P",
        "é",
    ]
    noise = "".join(rng.choice(alphabet) for _ in range(3000))
    for text in (output(seed), noise):
        assert clean_lines(text) == reference_lines(text)


def test_the_all_view_drops_no_line(qapp: object) -> None:
    agents = [uuid.uuid4() for _ in range(3)]
    view = AllOutput(lambda a: None, max_lines=5000)  # no agent records: tags are the ids' starts
    view.feed_lazily(lambda: None)
    view.terminal.resize(400, 40)  # wide enough that no line wraps (one row per line)
    texts = {agent: output(i, 300) for i, agent in enumerate(agents)}
    streams = {agent: pieces(text, 7) for agent, text in texts.items()}
    rng = random.Random(8)
    while any(streams.values()):  # the agents' chunks interleave as they arrive
        agent = rng.choice([a for a, s in streams.items() if s])
        view.tap(agent, streams[agent].pop(0))
    assert view.pump(0.0, nobody_watches, hidden=True)  # hidden, loop busy: all still queued
    assert not view.pump(float("inf"), lambda _t: True, hidden=False)
    assert view.dropped_lines == 0
    kept = view.lines()
    for agent, text in texts.items():
        assert [line for a, line in kept if a == agent] == reference_lines(text)
    # The engine shows them all, tagged, in the order they were cut.
    shown = view.terminal.history_text() + view.terminal.display()
    tagged = [line for line in shown if line.strip()]
    assert len(tagged) == len(kept)
    strip = re.compile(r"\x1b\[[0-9;]*m")
    for line, (agent, text) in zip(tagged, kept, strict=True):
        tag, _, rest = line.partition(" | ")
        assert tag.strip() == str(agent)[:8]
        assert rest.rstrip() == strip.sub("", text).rstrip()


def test_a_hidden_all_view_past_its_bound_keeps_the_newest_lines(qapp: object) -> None:
    view = AllOutput(lambda a: None, max_lines=100)
    view.terminal = Terminal(cols=220, rows=40, scrollback=1000)  # (room to see the notice)
    view.feed_lazily(lambda: None)
    agent = uuid.uuid4()
    for i in range(1000):
        view.tap(agent, f"line {i}\r\n")
    assert view.dropped_lines > 0
    view.catch_up()
    texts = [line for _a, line in view.lines()]
    assert texts[-1] == "line 999" and len(texts) == 100
    assert texts == [f"line {i}" for i in range(900, 1000)]
    shown = view.terminal.history_text() + view.terminal.display()
    notice = next(i for i, line in enumerate(shown) if "lines skipped here to keep up" in line)
    assert f"… {view.dropped_lines:,} lines skipped" in shown[notice]
    assert [line.partition(" | ")[2] for line in shown[notice + 1 : notice + 3]] == [
        f"line {1000 - 2 * 100 + i}" for i in range(2)
    ]  # the queue kept twice the view's lines: the newest
