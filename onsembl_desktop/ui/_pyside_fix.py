"""A guard against PySide6 6.12.0's None reference leak on Python < 3.12.

PySide6/shiboken6 6.12.0 returns ``None`` from void methods (``QPainter.setPen``, ``fillRect``,
``QWidget.update``, ``QColor.setAlpha``, ...) without taking a reference to it, as if ``None``
were immortal, which it is only from Python 3.12 on. Each call then lowers ``None``'s reference
count by one; a window that paints does millions of such calls an hour, and the interpreter aborts
("none_dealloc: deallocating None") once the count reaches zero. 6.11.x does not do this.

``None``, ``True`` and ``False`` are never deallocated in any Python, so raising their counts far
out of reach (what 3.12's immortal objects do) is harmless and makes the leak unobservable (the
bools are guarded too: an abort on "deallocating True or False" was seen once). Applied only to the
affected version on the affected Pythons.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6

_AFFECTED = {"6.12.0"}
_HEADROOM = 1 << 50


def apply() -> bool:
    """Give None, True and False unreachable reference counts where the leak exists."""
    if sys.version_info >= (3, 12) or PySide6.__version__ not in _AFFECTED:
        return False
    if sys.implementation.name != "cpython":
        return False
    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field
        if refcnt.value < _HEADROOM:
            refcnt.value += _HEADROOM
    return True
