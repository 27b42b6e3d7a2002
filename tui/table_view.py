"""A table drawn with Textual's Line API: only the rows on screen cost anything.

Textual's ``DataTable`` measures and styles every cell it is given, which
for 100,000 rows takes seconds; this view keeps the rows as tuples of raw
values, formats the visible ones in :meth:`TableView.render_line` and
moves a row cursor.  The first line is the header, fixed while the rows
scroll under it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["Column", "TableView"]

Column = tuple[str, int, Callable[[Any], str], bool]
"""A column: its title, width, how a value reads, and whether it is right-aligned."""


class TableView(ScrollView, can_focus=True):
    """Rows of values under a header; up/down/page/home/end move the row cursor."""

    COMPONENT_CLASSES = {"table-view--header", "table-view--cursor", "table-view--sorted"}
    DEFAULT_CSS = """
    TableView > .table-view--header { text-style: bold; background: $panel; }
    TableView > .table-view--cursor { background: $primary 40%; text-style: bold; }
    TableView:focus > .table-view--cursor { background: $primary; color: $text; }
    TableView > .table-view--sorted { text-style: bold underline; background: $panel; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(-1)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
    ]

    class Highlighted(Message):
        """The row cursor moved to ``row`` (an index into the rows)."""

        def __init__(self, table: TableView, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: tuple[Column, ...] = ()
        self.rows: Sequence[tuple[Any, ...]] = ()
        #: Index of the highlighted row, or -1 with no rows.
        self.cursor = -1
        #: Which column the rows are sorted by, and whether descending, for the header's arrow.
        self.sorted_by: tuple[int, bool] | None = None

    def show(self, columns: Sequence[Column], rows: Sequence[tuple[Any, ...]], cursor: int = 0) -> None:
        """Show ``rows`` under ``columns``, the cursor on row ``cursor`` (kept in range)."""
        self.columns = tuple(columns)
        self.rows = rows
        self.cursor = min(max(cursor, 0), len(rows) - 1) if rows else -1
        width = sum(width + 1 for _, width, _, _ in self.columns)
        self.virtual_size = Size(width, len(rows) + 1)
        self._scroll_to_cursor()
        self.refresh()

    @property
    def row(self) -> tuple[Any, ...] | None:
        """The highlighted row."""
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def _cells(self, values: Sequence[Any] | None) -> str:
        parts = []
        for index, (title, width, text, right) in enumerate(self.columns):
            if values is None:
                cell = title
                if self.sorted_by is not None and self.sorted_by[0] == index:
                    cell += " ▼" if self.sorted_by[1] else " ▲"
            else:
                cell = text(values[index])
            cell = cell[:width]
            parts.append(cell.rjust(width) if right and values is not None else cell.ljust(width))
        return " ".join(parts)

    def render_line(self, y: int) -> Strip:
        """The header on line 0, then the rows from the scroll position."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("table-view--header")
            strip = Strip([Segment(self._cells(None), header)])
            return strip.crop_extend(scroll_x, scroll_x + width, header)
        index = scroll_y + y - 1
        if not 0 <= index < len(self.rows):
            return Strip.blank(width, base)
        style: Style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("table-view--cursor")
        return Strip([Segment(self._cells(self.rows[index]), style)]).crop_extend(scroll_x, scroll_x + width, style)

    # -- the row cursor ----------------------------------------------------------

    def action_move(self, delta: int) -> None:
        """Move the cursor ``delta`` rows."""
        if self.rows:
            self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        """Move the cursor a screenful."""
        self.action_move(direction * max(1, self.scrollable_content_region.height - 2))

    def action_edge(self, direction: int) -> None:
        """First or last row."""
        if self.rows:
            self.move_to(0 if direction < 0 else len(self.rows) - 1)

    def move_to(self, index: int) -> None:
        """Put the cursor on row ``index`` (kept in range) and say so."""
        if not self.rows:
            return
        self.cursor = min(max(index, 0), len(self.rows) - 1)
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor))

    def _scroll_to_cursor(self) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def on_click(self, event: events.Click) -> None:
        """A click on a row highlights it."""
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1:
            self.move_to(round(self.scroll_y) + offset.y - 1)
        self.focus()
