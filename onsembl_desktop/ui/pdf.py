"""HTML printed to PDF by Qt's text layout: the Reports page's export and ``onsembl ctl report
--format pdf``.

ctl stays Qt-free: it runs ``onsembl --print-pdf FILE`` (:func:`main`) as a child process with
Qt's offscreen platform, HTML on its standard input, so it works without a display and from a
frozen bundle alike. A Qt-free PDF writer would need its own fonts and text layout (Unicode,
wrapping, tables); Qt already ships both with the app.
"""

from __future__ import annotations

import html as html_lib
import os
import re
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from ..paths import atomic_write

_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)


def html_to_pdf(page: str, title: str = "") -> bytes:
    """``page`` laid out on A4 and printed to PDF bytes in memory. Qt's text layout runs on the
    thread that owns the QGuiApplication (the UI thread in the window)."""
    if not title:
        found = _TITLE.search(page)
        title = html_lib.unescape(found.group(1)).strip() if found else ""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setCreator("Onsembl Desktop")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(18, 18, 18, 18),
        )
    )
    text = QTextDocument()
    text.setHtml(page)
    text.print_(writer)
    del writer  # ends the PDF
    return bytes(buffer.data().data())


def main(out: Path) -> int:
    """``onsembl --print-pdf FILE``: the HTML on standard input printed to ``FILE``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    page = sys.stdin.buffer.read().decode("utf-8", "replace")
    if not page.strip():
        print("onsembl: --print-pdf: no HTML on standard input", file=sys.stderr)
        return 2
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    try:
        data = html_to_pdf(page)
    finally:
        del app
    try:
        atomic_write(out, data)
    except OSError as exc:
        print(f"onsembl: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
