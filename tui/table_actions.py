"""Opening the allocations-and-owners table and filtering the event log, for the app.

A mixin of :class:`~genpool.tui.app.GenpoolApp`.  The table lives in the
main screen under the bitmap (an :class:`~genpool.tui.owners_panel.OwnersPanel`),
so the bitmap's cursor can follow the highlighted allocation; it only
reads the pool, so it works on read-only (watched, replayed) pools too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .log_filter import LogFilterScreen
from .owners_panel import OwnersPanel

if TYPE_CHECKING:
    from .app import PoolEntry
    from .bitmap_view import BitmapView
    from .event_log import EventLog

__all__ = ["TableActions"]


class TableActions:
    """``o`` opens and closes the table; ``e`` filters the event log."""

    current: PoolEntry | None
    notify: Callable[..., Any]
    push_screen: Callable[..., Any]
    view: BitmapView
    event_log: EventLog
    owners_panel: OwnersPanel
    screenshot_dir: Path

    @property
    def table_open(self) -> bool:
        """Whether the allocations table is showing."""
        return bool(self.owners_panel.display)

    def action_owners_table(self) -> None:
        """Open the allocations-and-owners table of the selected pool (or close it)."""
        panel = self.owners_panel
        if self.table_open:
            self._close_table()
            return
        if self.current is None:
            self.notify("No pool: press n to create one.", severity="warning")
            return
        panel.export_dir = self.screenshot_dir
        panel.display = True
        # On the bitmap's column, not the app: restyling every widget would cost tens of milliseconds.
        self.view.parent.set_class(True, "-table-open")  # type: ignore[union-attr]
        self.load_table()
        # The table opens on the allocation under the bitmap cursor, so the highlight and the cursor
        # agree; once it is laid out, or it could not scroll to that row.
        info = self.view.cell_info()
        if info is not None and info.allocations:
            panel.call_after_refresh(panel.highlight_address, info.allocations[0].addr)
        panel.view.focus()

    def load_table(self) -> None:
        """Take a new snapshot of the selected pool into the open table."""
        entry = self.current
        if not self.table_open:
            return
        if entry is None:  # the last pool was destroyed
            self._close_table()
            return
        feed = entry.feed
        self.owners_panel.load(entry.pool, self.view.grid.chunks, entry.label, feed.births, feed.total)

    def _close_table(self) -> None:
        self.owners_panel.display = False
        self.view.parent.set_class(False, "-table-open")  # type: ignore[union-attr]
        self.view.focus()

    def on_owners_panel_goto(self, message: OwnersPanel.Goto) -> None:
        """The highlighted allocation: put the bitmap cursor on it."""
        self.view.put_cursor(message.cursor)

    def on_owners_panel_closed(self, message: OwnersPanel.Closed) -> None:
        """Escape in the table closes it."""
        self._close_table()

    def action_filter_log(self) -> None:
        """Ask which events the log shows."""
        log = self.event_log
        self.push_screen(LogFilterScreen(log.kind, log.owner), self._log_filtered)

    def _log_filtered(self, result: object) -> None:
        if isinstance(result, tuple):
            kind, owner = result
            self.event_log.set_filter(kind, owner)
