"""Sans-I/O VT terminal engine (no Qt, no asyncio, no I/O).

Interim: backed by stock pyte while the fast engine is written.
"""

from ._pyte_backend import Terminal
from .model import PALETTE_256, Attr, Color, Run, is_rgb, rgb, rgb_of

__all__ = ["PALETTE_256", "Attr", "Color", "Run", "Terminal", "is_rgb", "rgb", "rgb_of"]
