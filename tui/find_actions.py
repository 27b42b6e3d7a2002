"""The actions that move the bitmap cursor to something: an address, allocations, free runs, an owner.

A mixin of :class:`~genpool.tui.app.GenpoolApp`.  The searches are in
:mod:`genpool.tui.finder`; these actions run them on the picture the
view shows (frozen while paused) and say so when there is nothing more.
They only read the pool, so they work on read-only (watched, replayed)
pools too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import finder
from .find_forms import FindOwnerScreen, FreeRunSizeScreen, GoToScreen
from .values import human_size

if TYPE_CHECKING:
    from .app import PoolEntry
    from .bitmap_view import BitmapView
    from .event_log import EventLog

__all__ = ["FindActions"]


class FindActions:
    """Go to, next/previous allocation and free run, largest free run, find by owner."""

    current: PoolEntry | None
    notify: Callable[..., Any]
    push_screen: Callable[..., Any]
    view: BitmapView
    event_log: EventLog
    #: The least free run (bytes) that ``<`` and ``>`` look for; 0 means one granule.
    free_run_bytes: int = 0
    #: What the last find-owner asked for, offered again.
    owner_query: str = ""

    def _goto(self, cursor: finder.Cursor | None, found: str, missing: str) -> None:
        if cursor is None:
            self.notify(missing, severity="warning")
            return
        self.view.put_cursor(cursor)
        if found:
            self.notify(found, timeout=3)

    def action_goto(self) -> None:
        """Ask for an address and put the cursor on it."""
        if self.current is not None:
            self.push_screen(GoToScreen(self.current.pool, self.view.grid.chunks), self._went)

    def _went(self, cursor: object) -> None:
        if isinstance(cursor, tuple):
            self.view.put_cursor(cursor)
            index, bit = cursor
            self.event_log.note(f"went to {self.view.grid.chunks[index].address_of(bit):#x}")

    def action_next_allocation(self, direction: int) -> None:
        """The cursor to the first granule of the next (1) or previous (-1) allocation."""
        view = self.view
        if self.current is None or view.cursor is None:
            return
        target = finder.next_allocation(self.current.pool, view.grid.chunks, view.bits, view.cursor, direction)
        self._goto(target, "", f"No allocation {'after' if direction > 0 else 'before'} the cursor.")

    def action_next_free_run(self, direction: int) -> None:
        """The cursor to the next (1) or previous (-1) free run of at least the set size."""
        view = self.view
        if self.current is None or view.cursor is None:
            return
        pool = self.current.pool
        granules = max(1, -(-self.free_run_bytes // pool.granule))
        target = finder.next_free_run(view.grid.chunks, view.bits, view.cursor, direction, granules)
        where = "after" if direction > 0 else "before"
        self._goto(target, "", f"No free run of {human_size(granules * pool.granule)} or more {where} the cursor.")

    def action_free_run_size(self) -> None:
        """Ask for the least size of the free runs ``<`` and ``>`` look for."""
        granule = self.current.pool.granule if self.current is not None else 1
        self.push_screen(FreeRunSizeScreen(max(self.free_run_bytes, granule)), self._free_run_size_set)

    def _free_run_size_set(self, size: object) -> None:
        if isinstance(size, int):
            self.free_run_bytes = size
            self.notify(f"< and > now look for free runs of at least {human_size(size)}.", timeout=3)

    def action_largest_free_run(self) -> None:
        """The cursor to the start of the largest free run."""
        view = self.view
        if self.current is None:
            return
        found = finder.largest_free_run(view.grid.chunks, view.bits)
        if found is None:
            self._goto(None, "", "No free granule in the pool.")
            return
        cursor, length = found
        self._goto(cursor, f"Largest free run: {human_size(length * self.current.pool.granule)}.", "")

    def action_find_owner(self) -> None:
        """Ask for an owner and put the cursor on its next allocation."""
        if self.current is not None:
            screen = FindOwnerScreen(self.current.pool, self.view.grid.chunks, self.view.cursor, self.owner_query)
            self.push_screen(screen, self._owner_found)

    def _owner_found(self, result: object) -> None:
        if isinstance(result, tuple):
            cursor, _, self.owner_query = result
            self.view.put_cursor(cursor)
