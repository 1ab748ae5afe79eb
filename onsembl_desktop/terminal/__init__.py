"""Sans-I/O VT terminal engine (no Qt, no asyncio, no I/O).

Feed it a program's output; read back exactly what tmux would show. Own parser
and screen rather than stock pyte: pyte dispatches every character through a
generator and stores a named tuple per cell, which caps it near 1 MB/s, and it
lacks the alternate screen and tmux's wrap, clear and scrollback rules. Here a
single regular expression splits whole chunks into text runs and sequences
(see ``parser``), rows are flat lists or packed strings (see ``line``) and
scrollback lines are single ``bytes`` objects (see ``history``).
"""

from .model import PALETTE_256, Attr, Color, Run, is_rgb, rgb, rgb_of
from .terminal import Terminal

__all__ = ["PALETTE_256", "Attr", "Color", "Run", "Terminal", "is_rgb", "rgb", "rgb_of"]
