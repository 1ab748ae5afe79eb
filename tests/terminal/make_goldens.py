"""Regenerate the golden files: record real programs, ask tmux what they show.

Run from the repository root (needs tmux, vim, less, htop, top, mc, dialog,
git, bash and, for the tqdm case, tqdm importable via ``TQDM_PATH``)::

    python tests/terminal/make_goldens.py [NAME ...]

Each case writes ``golden/NAME.bin`` (the bytes, as recorded) and
``golden/NAME.json`` (size and tmux's screen, scrollback, cursor, ``-e`` text).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import tmuxref
from record import record

GOLDEN = Path(__file__).parent / "golden"
Keys = list[tuple[float, bytes]]


def _text_file(tmp: str) -> str:
    path = Path(tmp, "notes.txt")
    lines = [f"{i:03d} the quick brown fox jumps over the lazy dog" for i in range(150)]
    lines[42] = "042 here is the NEEDLE we search for"
    lines[97] = "097 and another NEEDLE further down"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _git_repo(tmp: str) -> str:
    repo = Path(tmp, "repo")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ann",
        "GIT_AUTHOR_EMAIL": "a@x",
        "GIT_COMMITTER_NAME": "Ann",
        "GIT_COMMITTER_EMAIL": "a@x",
        "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    repo.mkdir()
    git("init", "-q", "-b", "main")
    for i in range(3):
        Path(repo, "f").write_text(str(i))
        git("commit", "-qam" if i else "-qm", f"main {i}", *([] if i else ["--allow-empty"]))
        if i == 0:
            git("add", "f")
            git("commit", "-qm", "add f")
    for branch in ("feature", "fix"):
        git("checkout", "-qb", branch, "main~1")
        for j in range(2):
            Path(repo, branch).write_text(str(j))
            git("add", branch)
            git("commit", "-qm", f"{branch} {j}")
        git("checkout", "-q", "main")
        git("merge", "-q", "--no-ff", "-m", f"merge {branch}", branch)
    return str(repo)


def _ls_dir(tmp: str) -> str:
    d = Path(tmp, "lsdir")
    d.mkdir()
    for name in ("README.md", "notes.txt", "archive.tar.gz", "photo.png"):
        Path(d, name).write_text("x")
    for name in ("src", "docs", "build"):
        Path(d, name).mkdir()
    tool = Path(d, "run.sh")
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    Path(d, "link").symlink_to("notes.txt")
    Path(d, "broken").symlink_to("nowhere")
    return str(d)


def _synthetic() -> bytes:
    """Hand-written sequences covering what the programs may not."""
    parts = [
        "\x1b]0;synthetic title\x07",
        "plain \x1b[1mbold\x1b[22m \x1b[2mdim\x1b[22m \x1b[3mitalic\x1b[23m \x1b[4munder\x1b[24m ",
        "\x1b[5mblink\x1b[25m \x1b[7minverse\x1b[27m \x1b[8mhidden\x1b[28m ",
        "\x1b[9mstrike\x1b[29m\r\n",
        "".join(f"\x1b[38;5;{i}m#" for i in range(0, 256, 5)) + "\x1b[0m\r\n",
        "".join(f"\x1b[48;2;{i * 8};{255 - i * 8};128m " for i in range(32)) + "\x1b[0m\r\n",
        "\x1b[38:2::255:128:0mcolon rgb\x1b[0m \x1b[91mbright\x1b[0m \x1b[104mbg\x1b[0m\r\n",
        "wide: 中文字符 and emoji 😀👍 end\r\n",
        "tabs:\tA\tB\tC\r\n",
        "wrap: " + "0123456789" * 9 + "\r\n",
        "\x1b[5;20r\x1b[20;1Hregion\r\nscrolls\r\ninside\x1b[r",
        "\x1b[12;5Hinsert: abcdef\x1b[12;13H\x1b[4hXY\x1b[4l\x1b[3P",
        "\x1b[13;1H\x1b[44merase with bg\x1b[K\x1b[0m",
        "\x1b[14;1H\x1b(0lqqqk\x1b(B box \x0e\x1b)0x\x0f",
        "\x1b[?25l\x1b[16;10H\x1b7\x1b[1;1H\x1b8saved",
        "\x1b[17;1Hcombining: e\u0301 a\u0308 \u00e9",
        "\x1b[>4;2m\x1b[?1049h\x1b[2Jalt screen\x1b[?1049l after alt",
    ]
    return "".join(parts).encode()


def cases(tmp: str) -> dict[str, tuple[int, int, Callable[[], bytes]]]:
    bash_env = {"PS1": "$ ", "INPUTRC": "/dev/null", "HISTFILE": "/dev/null"}
    typing: Keys = [(0.5, b"echo hello world"), (0.2, b"\x01"), (0.2, b"X"), (0.2, b"\x05")]
    typing += [(0.2, b"\x7f\x7f"), (0.2, b"\x17"), (0.2, b"\r"), (0.3, b"ls /nonexistent\r")]
    typing += [(0.3, b"echo" + b" a long argument" * 4), (0.2, b"\x01\x1bf\x1bf"), (0.2, b"\x0b")]
    typing += [(0.2, b" \xe4\xb8\xad\xe6\x96\x87 wide"), (0.2, b"\x02\x02\x7f")]
    tqdm_code = (
        "import time\nfrom tqdm import tqdm\n"
        "for _ in tqdm(range(120), ncols=70, mininterval=0): time.sleep(0.004)\n"
        "print('finished')\n"
    )
    tq_env = {"PYTHONPATH": os.environ.get("TQDM_PATH", "/tmp/tq")}
    notes = _text_file(tmp)
    return {
        "synthetic": (80, 24, _synthetic),
        "ls_color": (80, 24, lambda: record(["ls", "--color=always", "-l", _ls_dir(tmp)], 80, 24)),
        "git_graph": (
            80,
            24,
            lambda: record(
                ["git", "--no-pager", "log", "--graph", "--color=always", "--decorate", "--all"],
                80,
                24,
                cwd=_git_repo(tmp),
            ),
        ),
        "vim_edit": (
            80,
            24,
            lambda: record(
                ["vim", "-u", "NONE", "-N", "-c", "syntax on", notes],
                80,
                24,
                [(0.6, b"5Gdd"), (0.2, b"Otyped line \xe4\xb8\xad\x1b"), (0.2, b"/NEEDLE\r")],
            ),
        ),
        "vim_quit": (
            80,
            24,
            lambda: record(
                ["bash", "--norc", "--noprofile", "-i"],
                80,
                24,
                [
                    (0.5, b"echo before vim\r"),
                    (0.3, f"vim -u NONE -N {notes}\r".encode()),
                    (0.8, b"ihello\x1b"),
                    (0.8, b":q!\r"),
                    (0.6, b"echo after\r"),
                ],
                env=bash_env,
            ),
        ),
        "less_search": (
            80,
            24,
            lambda: record(["less", notes], 80, 24, [(0.5, b"/NEEDLE\r"), (0.3, b"n")]),
        ),
        "htop": (100, 30, lambda: record(["htop"], 100, 30, [(1.5, b"")])),
        "top": (80, 24, lambda: record(["top", "-d", "0.5"], 80, 24, [(1.2, b"")])),
        "mc": (80, 24, lambda: record(["mc", "--nosubshell"], 80, 24, [(1.5, b"")], cwd=tmp)),
        "dialog": (
            60,
            20,
            lambda: record(
                [
                    "dialog",
                    "--menu",
                    "Pick one",
                    "14",
                    "40",
                    "4",
                    "a",
                    "apple",
                    "b",
                    "banana",
                    "c",
                    "cherry",
                    "d",
                    "dates",
                ],
                60,
                20,
                [(0.5, b"\x1b[B"), (0.2, b"\x1b[B")],
            ),
        ),
        "tqdm": (80, 24, lambda: record(["python3", "-c", tqdm_code], 80, 24, env=tq_env)),
        "rich": (100, 30, lambda: record(["/work/venv/bin/python", "-m", "rich"], 100, 30)),
        "bash_readline": (
            40,
            10,
            lambda: record(["bash", "--norc", "--noprofile", "-i"], 40, 10, typing, env=bash_env),
        ),
    }


def main(names: list[str]) -> None:
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (cols, rows, make) in cases(tmp).items():
            if names and name not in names:
                continue
            data = make()
            shown = tmuxref.replay(data, cols, rows)
            GOLDEN.joinpath(f"{name}.bin").write_bytes(data)
            meta = {
                "cols": cols,
                "rows": rows,
                "screen": shown.screen,
                "history": shown.history,
                "cursor": list(shown.cursor),
                "cursor_visible": shown.cursor_visible,
                "alternate": shown.alternate,
                "ansi": shown.ansi,
            }
            text = json.dumps(meta, indent=1, ensure_ascii=False)
            GOLDEN.joinpath(f"{name}.json").write_text(text + "\n")
            print(f"{name}: {len(data)} bytes, {len(shown.history)} history lines")


if __name__ == "__main__":
    main(sys.argv[1:])
