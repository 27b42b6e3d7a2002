"""The allocations-and-owners panel: a live, sortable, filterable table under the bitmap.

Opened with ``o`` (or from the command palette).  It shows every
outstanding allocation of the selected pool, or totals per owner or per
call site with their growth since a mark (``m``), from a
:class:`~genpool.tui.ledger.Ledger` taken again a few times a second
while the pool changes.  Highlighting an allocation moves the bitmap's
cursor onto it.  Keys, while the table has focus: ``v`` next view,
``1``-``5`` sort by that column (again: reverse), typing in the filter
box (``/`` focuses it) narrows the rows, ``m`` sets the mark, ``x`` and
``j`` export the view as CSV and JSON, ``escape`` closes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import genpool
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from .ledger import GROUPINGS, Ledger, Mark, Table
from .table_view import Column, TableView
from .values import human_size

__all__ = ["OwnersPanel"]

#: Least time between two snapshots of a changing pool while the table is open.
RELOAD_SECONDS = 0.5


def _address(value: int) -> str:
    return f"{value:#x}"


def _share(value: float) -> str:
    return f"{value * 100:.1f}%"


def _growth(value: int | None) -> str:
    if value is None:
        return "-"
    sign = "+" if value > 0 else "-" if value < 0 else "±"
    return f"{sign}{human_size(abs(value))}"


class OwnersPanel(Vertical, can_focus=False):
    """The table, a line saying what it shows, and the filter box."""

    BINDINGS = [
        Binding("v", "next_view", "View"),
        Binding("m", "set_mark", "Mark"),
        Binding("x", "export('csv')", "CSV"),
        Binding("j", "export('json')", "JSON"),
        Binding("slash", "focus_filter", "Filter", key_display="/"),
        Binding("escape", "close", "Close"),
        *(Binding(str(n), f"sort({n - 1})", f"Sort {n}", show=False) for n in range(1, 6)),
    ]

    class Goto(Message):
        """Put the bitmap cursor on ``cursor`` (chunk index, granule)."""

        def __init__(self, cursor: tuple[int, int]) -> None:
            super().__init__()
            self.cursor = cursor

    class Closed(Message):
        """The user closed the panel."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.ledger: Ledger | None = None
        self.table: Table | None = None
        self.grouping = GROUPINGS[0]
        self.sort = 0
        self.reverse = False
        self.filter_text = ""
        self.mark: Mark | None = None
        self.label = ""
        self.export_dir = Path.cwd()
        self._loaded_at = float("-inf")
        self._stale = False

    def compose(self) -> ComposeResult:
        """Status line, filter box, table."""
        yield Static("", id="owners-status", markup=False)
        yield Input(placeholder="filter: address, owner or call site (/)", id="owners-filter")
        yield TableView(id="owners-table")

    @property
    def view(self) -> TableView:
        """The table widget."""
        return self.query_one("#owners-table", TableView)

    # -- data --------------------------------------------------------------------

    def load(
        self,
        pool: genpool.Pool,
        chunks: Sequence[genpool.Chunk],
        label: str,
        births: Mapping[int, int],
        events: int,
    ) -> None:
        """Take a new snapshot of ``pool`` and show it, keeping view, sort, filter and the highlighted row."""
        if label != self.label:
            self.mark = None
            self.label = label
        self.ledger = Ledger(pool, chunks, births, events)
        self._loaded_at = self.clock()
        self._stale = False
        self._show()

    def highlight_address(self, address: int) -> None:
        """Highlight the allocation at ``address`` in the allocations view, if it is a row (the bitmap follows)."""
        if self.table is None or self.table.grouping != "allocations":
            return
        index = _row_index(self.table.rows, address)
        if index is not None:
            self.view.move_to(index)

    def changed(self) -> None:
        """The pool changed since the snapshot."""
        self._stale = True

    def due(self) -> bool:
        """Whether a changed pool's snapshot is old enough to take again."""
        return self._stale and self.clock() - self._loaded_at >= RELOAD_SECONDS

    def _show(self) -> None:
        ledger = self.ledger
        if ledger is None:
            return
        view = self.view
        previous = view.row
        self.table = table = ledger.table(
            self.grouping, sort=self.sort, reverse=self.reverse, query=self.filter_text, mark=self.mark
        )
        cursor = 0
        if previous is not None:
            # Stay on the same allocation (or group) when it is still there.
            index = _row_index(table.rows, previous[0])
            cursor = view.cursor if index is None else index
        view.sorted_by = (self.sort, self.reverse)
        view.show(self._columns(table, ledger), table.rows, cursor)
        self._status()

    def _columns(self, table: Table, ledger: Ledger) -> list[Column]:
        if table.grouping == "allocations":

            def age(birth: int) -> str:
                value = ledger.age(birth)
                # Allocated before the TUI began watching: its age in events is not known.
                return "before" if value is None else f"{value:,}"

            digits = max(10, max((len(f"{row[0]:#x}") for row in table.rows[:1]), default=10))
            return [
                ("address", digits, _address, False),
                ("size", 10, human_size, True),
                ("owner", 16, ledger.owner_name, False),
                ("call site", 30, ledger.site_text, False),
                ("age (events)", 12, age, True),
            ]
        return [
            (table.columns[0], 30, str, False),
            ("count", 8, lambda v: f"{v:,}", True),
            ("bytes", 10, human_size, True),
            ("share", 7, _share, True),
            ("growth", 10, _growth, True),
        ]

    def _status(self) -> None:
        ledger, table = self.ledger, self.table
        if ledger is None or table is None:
            return
        if not ledger.tracked:
            what = f"{len(table.rows):,} of {len(ledger.rows):,} runs of allocated granules (owners need a tracker)"
        elif table.grouping == "allocations":
            what = f"{len(table.rows):,} of {len(ledger.rows):,} allocations"
        else:
            what = f"{len(table.rows):,} {table.grouping}s of {len(ledger.rows):,} allocations"
        parts = [f"{self.label}: {what}"]
        if self.filter_text:
            parts.append(f"filter {self.filter_text!r}")
        if self.mark is not None:
            parts.append(f"growth since mark ({ledger.events - self.mark.events:,} events ago)")
        elif table.grouping != "allocations":
            parts.append("m sets a mark for growth")
        parts.append("v view · 1-5 sort · / filter · x csv · j json · esc close")
        self.query_one("#owners-status", Static).update(" · ".join(parts), layout=False)

    # -- actions -----------------------------------------------------------------

    def action_next_view(self) -> None:
        """Allocations -> per owner -> per call site -> allocations (grouped views need a tracker)."""
        if self.ledger is None:
            return
        if not self.ledger.tracked:
            self.app.notify("Owners and call sites need a tracker (tag, chunk or callsite).", severity="warning")
            return
        self.grouping = GROUPINGS[(GROUPINGS.index(self.grouping) + 1) % len(GROUPINGS)]
        self.sort, self.reverse = (0, False) if self.grouping == "allocations" else (2, True)
        self.view.cursor = 0
        self._show()

    def action_sort(self, column: int) -> None:
        """Sort by ``column``; the same column again reverses the order."""
        if self.table is None or column >= len(self.table.columns):
            return
        self.reverse = not self.reverse if column == self.sort else False
        self.sort = column
        self._show()

    def action_set_mark(self) -> None:
        """Remember the totals now: grouped views show each group's growth since."""
        if self.ledger is not None:
            self.mark = self.ledger.mark()
            self._show()
            self.app.notify("Mark set: grouped views show growth since now.", timeout=3)

    def action_focus_filter(self) -> None:
        """Type to filter."""
        self.query_one("#owners-filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Every keystroke in the filter box narrows the rows."""
        event.stop()
        self.filter_text = event.value
        self._show()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter box goes back to the table."""
        event.stop()
        self.view.focus()

    def on_table_view_highlighted(self, event: TableView.Highlighted) -> None:
        """An allocation highlighted: the bitmap cursor goes to it."""
        event.stop()
        row = self.view.row
        if row is not None and self.table is not None and self.table.grouping == "allocations":
            self.post_message(self.Goto(Ledger.cursor_of(row)))

    def action_export(self, kind: str) -> None:
        """Write the view as shown (filtered and sorted) to a CSV or JSON file in the export directory."""
        if self.table is None:
            return
        if self.ledger is None:
            return
        text = self.ledger.to_csv(self.table) if kind == "csv" else self.ledger.to_json(self.table)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.label)
        path = self.export_dir / f"genpool-{name}-{self.table.grouping.replace(' ', '-')}-{stamp}.{kind}"
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            self.app.notify(f"Export failed: {error}", severity="error")
            return
        self.app.notify(f"Exported {len(self.table.rows):,} rows to {path}")

    def action_close(self) -> None:
        """Close the panel."""
        self.post_message(self.Closed())


def _row_index(rows: Sequence[tuple[Any, ...]], key: object) -> int | None:
    """The index of the row whose first column is ``key``, if any.

    Looked for with C loops: there may be 100,000 rows to pass when it is not there.
    """
    firsts = list(map(itemgetter(0), rows))
    return firsts.index(key) if key in firsts else None
