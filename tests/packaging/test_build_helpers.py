"""The build's own logic: pruning unreferenced libraries, the .deb's glibc and copyright."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from onsembl_desktop import about

from .conftest import PACKAGING, load_tool


def test_prune_keeps_what_roots_reach() -> None:
    prune = load_tool("prune")
    binaries = [
        ("PySide6/QtGui.abi3.so", "/s/QtGui.abi3.so", "EXTENSION"),
        ("libQt6Gui.so.6", "/s/libQt6Gui.so.6", "BINARY"),
        ("libicu.so.73", "/s/libicu.so.73", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/s/libqxcb.so", "BINARY"),
        ("libxcb.so.1", "/s/libxcb.so.1", "BINARY"),
        ("libcups.so.2", "/s/libcups.so.2", "BINARY"),  # its plugin was dropped
        ("libgnutls.so.30", "/s/libgnutls.so.30", "BINARY"),
        ("libpython3.11.so.1.0", "/s/libpython3.11.so.1.0", "BINARY"),
        ("_ssl.cpython-311-x86_64-linux-gnu.so", "/s/_ssl.so", "EXTENSION"),
    ]
    graph = {
        "/s/QtGui.abi3.so": ["/s/libQt6Gui.so.6", "/usr/lib/libc.so.6"],
        "/s/libQt6Gui.so.6": ["/s/libicu.so.73", None],
        "/s/libqxcb.so": ["/s/libxcb.so.1"],
        "/s/libcups.so.2": ["/s/libgnutls.so.30"],
    }
    kept = prune.prune_unreferenced(binaries, lambda src: graph.get(src, []))
    assert [dest for dest, _, _ in kept] == [
        "PySide6/QtGui.abi3.so",
        "libQt6Gui.so.6",
        "libicu.so.73",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "libxcb.so.1",
        "libpython3.11.so.1.0",
        "_ssl.cpython-311-x86_64-linux-gnu.so",
    ]


def test_glibc_needed_is_the_highest_version(tmp_path: Path) -> None:
    meta = load_tool("linux_meta")
    (tmp_path / "a.so").write_bytes(b"\x7fELF....GLIBC_2.17\x00..GLIBC_2.34\x00")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"\x7fELF..GLIBC_2.28\x00GLIBC_2.3.4\x00")
    (tmp_path / "notes.txt").write_bytes(b"GLIBC_2.99\x00")  # not an ELF file
    assert meta.glibc_needed(tmp_path) == "2.34"


def test_copyright_lists_every_component(tmp_path: Path) -> None:
    meta = load_tool("linux_meta")
    licences = about.installed_licences()
    path = tmp_path / "l.json"
    about.write_licences(path, licences)
    text = meta.copyright_text(path)
    assert text.startswith("Onsembl Desktop\n")
    for lic in licences:
        assert f"{lic.name} {lic.version}:" in text
    assert len(json.loads(path.read_text())) == len(licences)


def test_spec_is_python() -> None:
    ast.parse((PACKAGING / "onsembl.spec").read_text(), "onsembl.spec")
