"""Lists that hold still: rows that come in above what the user looks at do not move it, the
selection stays on the same row, and a list nobody is using shows new rows at the top."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from onsembl_desktop.ui.models.rows_model import Column, RowsModel
from onsembl_desktop.ui.widgets.common import held_still, make_table


@dataclass(frozen=True)
class Row:
    key: int
    text: str


def _table(qtbot: QtBot, count: int) -> tuple[RowsModel[Row], object]:
    model = RowsModel[Row]([Column("Text", lambda r: r.text)])
    model.set_rows([Row(i, f"row {i}") for i in reversed(range(count))])  # newest first
    table = make_table(model, "rows")
    qtbot.addWidget(table)
    table.resize(300, 200)
    table.show()
    qtbot.waitExposed(table)
    return model, table


def _update(model: RowsModel[Row], table: object, rows: list[Row]) -> None:
    with held_still(table, lambda i: getattr(model.row(i), "key", None)):  # type: ignore[arg-type]
        model.set_rows(rows, key=lambda r: r.key)


def test_new_rows_above_do_not_move_the_selection_or_the_view(qtbot: QtBot) -> None:
    model, table = _table(qtbot, 60)
    table.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, False)  # type: ignore[attr-defined]
    table.selectRow(3)  # type: ignore[attr-defined]
    top_key = model.rows[table.rowAt(0)].key  # type: ignore[attr-defined]
    chosen = model.rows[3].key
    newer = [Row(100 + i, f"new {i}") for i in reversed(range(5))]
    _update(model, table, newer + model.rows)
    # The same row is selected, the same row is at the top of the view: nothing moved under
    # the pointer; the five new rows are above, out of sight.
    (selected,) = table.selectionModel().selectedRows()  # type: ignore[attr-defined]
    assert model.rows[selected.row()].key == chosen
    assert model.rows[table.rowAt(0)].key == top_key  # type: ignore[attr-defined]
    assert table.verticalScrollBar().value() == 5  # type: ignore[attr-defined]
    # A row that changes and one that goes: the selection follows its row, by key.
    rows = [r for r in model.rows if r.key != 101]
    rows[10] = Row(rows[10].key, "changed")
    _update(model, table, rows)
    (selected,) = table.selectionModel().selectedRows()  # type: ignore[attr-defined]
    assert model.rows[selected.row()].key == chosen
    assert model.index(10, 0).data() == "changed"


def test_an_idle_list_at_the_top_shows_new_rows(qtbot: QtBot) -> None:
    model, table = _table(qtbot, 10)
    # (Offscreen, the pointer rests at the origin, over the window: move it off, as a user
    # who is not pointing at the list.)
    table.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, False)  # type: ignore[attr-defined]
    _update(model, table, [Row(99, "newest"), *model.rows])
    assert table.rowAt(0) == 0 and model.rows[0].key == 99  # type: ignore[attr-defined]
