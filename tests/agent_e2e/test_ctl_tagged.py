"""``ctl send --wait``, ``show`` and ``history`` name the agent of each line when a command ran on
several agents (their lines came interleaved with no name); one agent's output stays as it came."""

from __future__ import annotations

import io
from collections.abc import Callable

from onsembl_desktop.ctl.tagging import TaggedOutput
from tests.support import AgentProcess, AppProcess

# Each agent prints three lines, the second in two pieces a moment apart and with colour, and
# redraws a progress line with carriage returns.
SCRIPT = (
    "printf 'one\\n'; printf 'two '; sleep 0.3; "
    "printf '\\033[32mgreen\\033[0m\\n'; printf '10%%\\r50%%\\r100%%\\n'"
)


def test_several_agents_lines_are_tagged(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    start_agent("alpha")
    start_agent("bravo-two")
    app.wait_agent("alpha")
    app.wait_agent("bravo-two")
    sent = app.ctl("send", "--all", "--wait", SCRIPT, timeout=60)
    assert sent.returncode == 0, sent.stderr
    command_id, *lines = sent.stdout.splitlines()
    for name in ("alpha", "bravo-two"):
        mine = [line for line in lines if line.startswith(f"{name:<9} │ ")]
        assert [line[len(f"{name:<9} │ ") :] for line in mine] == [
            "one",
            "two \x1b[32mgreen\x1b[0m\x1b[0m",
            "100%",
        ], lines
    assert len(lines) == 6  # nothing untagged, nothing twice

    shown = app.ctl("show", command_id[:8], check=True).stdout
    body = shown.partition("\n\n")[2].splitlines()
    assert sorted(body) == sorted(lines)

    one = app.ctl("send", "--agent", "alpha", "--wait", "printf 'a\\rb\\n'", timeout=60)
    # As it came: "a\rb\r\n" (read here with universal newlines), no tag.
    assert one.returncode == 0 and one.stdout.split("\n")[1:] == ["a", "b", ""]

    history = app.ctl("history", "--search", "green", check=True).stdout
    assert "alpha: two green" in history and "bravo-two: two green" in history


def test_unfinished_lines_end_with_the_output() -> None:
    out = io.StringIO()
    tagged = TaggedOutput(["a", "bb", "a"], out)
    tagged.write("a", "x\ny")
    tagged.write("bb", "first\n")
    tagged.write("a", "z")
    assert out.getvalue() == "a  │ x\nbb │ first\n"
    tagged.write("cc", "a late agent\n")  # (not listed: tagged all the same)
    tagged.finish()
    assert out.getvalue().splitlines()[2:] == ["cc │ a late agent", "a  │ yz"]
