"""How ``onsembl ctl`` prints: JSON as ``json.dumps(indent=2)`` lays it out, and tables whose
columns line up under their titles."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

R = TypeVar("R")


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2))


@dataclass(frozen=True, slots=True)
class Col(Generic[R]):
    """A column: its title, its cell for a row, its width (0: the last column, not padded) and
    whether it is right-aligned (numbers)."""

    title: str
    cell: Callable[[R], object]
    width: int = 0
    right: bool = False

    def format(self, value: object) -> str:
        if not self.width:
            return str(value)
        return format(value, f"{'>' if self.right else '<'}{self.width}")


class Table(Generic[R]):
    """Columns one space apart, two after a right-aligned column that a left-aligned one
    follows (so a number never runs into the text beside it)."""

    def __init__(self, *columns: Col[R]) -> None:
        self.columns = columns

    def line(self, values: Sequence[object]) -> str:
        out = ""
        for i, (col, value) in enumerate(zip(self.columns, values, strict=True)):
            if i:
                before = self.columns[i - 1]
                out += "  " if before.right and not col.right else " "
            out += col.format(value)
        return out

    def header(self) -> str:
        return self.line([c.title for c in self.columns])

    def row(self, row: R) -> str:
        return self.line([c.cell(row) for c in self.columns])

    def print(self, rows: Iterable[R]) -> None:
        print(self.header())
        for row in rows:
            print(self.row(row))
