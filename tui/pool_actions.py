"""The actions that change a pool, opened from the app's keys and command palette.

A mixin of :class:`~genpool.tui.app.GenpoolApp`, which holds the pools and
the picture.  Each action opens a form or acts at once; a refused one is
reported in its form or as the BUG modal, so a pool is never changed by an
action that fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import genpool

from .add_chunk import AddChunkScreen
from .allocate import AllocateScreen
from .bug_screen import BugScreen
from .free_choice import FreeChoiceScreen
from .free_form import FreeScreen
from .new_pool import NewPoolScreen
from .set_algorithm import SetAlgorithmScreen

if TYPE_CHECKING:
    from .app import PoolEntry
    from .bitmap_view import BitmapView

__all__ = ["PoolActions"]


class PoolActions:
    """Allocate, free, add a chunk, create, set the algorithm and destroy, for the app."""

    current: PoolEntry | None
    _unnamed: int
    notify: Callable[..., Any]
    push_screen: Callable[..., Any]
    sync: Callable[[], None]
    watch_pool: Callable[..., PoolEntry]
    _select: Callable[[PoolEntry | None], None]
    view: BitmapView

    def _pool_or_say(self) -> genpool.Pool | None:
        if self.current is None:
            self.notify("No pool: press n to create one.", severity="warning")
            return None
        return self.current.pool

    def _after(self, result: object) -> None:
        """A screen's callback: bring the picture up to date at once, not at the next frame."""
        self.sync()

    def action_allocate(self) -> None:
        """Open the allocate form."""
        pool = self._pool_or_say()
        if pool is not None:
            self.push_screen(AllocateScreen(pool), self._allocated)

    def _allocated(self, result: object) -> None:
        self.sync()
        if isinstance(result, int) and self.current is not None:
            pool = self.current.pool
            chunk = pool.chunk_of(result)
            if chunk is not None:
                bit = (result - chunk.start_addr) >> pool.min_alloc_order
                self.view.move_cursor_to(chunk, bit)

    def action_free_selected(self) -> None:
        """Free the allocation under the cursor; with several in the cell, ask which one."""
        pool = self._pool_or_say()
        if pool is None:
            return
        info = self.view.cell_info()
        records = info.allocations if info is not None else ()
        if not records:
            untracked = info is not None and info.used
            self.notify(
                "No tracker knows these allocations: press F to free an address and size."
                if untracked
                else "Nothing allocated under the cursor.",
                severity="warning",
            )
            return
        if len(records) > 1:
            self.push_screen(FreeChoiceScreen(records), self._free_chosen)
            return
        self._free_record(pool, records[0])

    def _free_chosen(self, record: genpool.Allocation | None) -> None:
        if record is not None and self.current is not None:
            self._free_record(self.current.pool, record)

    def _free_record(self, pool: genpool.Pool, record: genpool.Allocation) -> None:
        try:
            pool.free(record.addr, record.size)
        except genpool.PoolBug as bug:
            self.push_screen(BugScreen(bug), self._after)
            return
        except genpool.GenPoolError as error:
            # A read-only (watched or replayed) pool refuses every change.
            self.notify(str(error).splitlines()[0], severity="error")
            return
        self.sync()

    def action_free_address(self) -> None:
        """Open the free form, filled in from the cursor."""
        pool = self._pool_or_say()
        if pool is None:
            return
        view = self.view
        record = view.selected_allocation()
        info = view.cell_info()
        addr = record.addr if record is not None else (info.address if info is not None else None)
        self.push_screen(FreeScreen(pool, addr, record.size if record is not None else None), self._after)

    def action_add_chunk(self) -> None:
        """Open the add-chunk form."""
        pool = self._pool_or_say()
        if pool is not None:
            self.push_screen(AddChunkScreen(pool), self._after)

    def action_new_pool(self) -> None:
        """Open the new-pool form; the new pool is selected."""
        self.push_screen(NewPoolScreen(f"pool{self._unnamed + 1}"), self._created)

    def _created(self, result: object) -> None:
        if isinstance(result, genpool.Pool):
            self._select(self.watch_pool(result))

    def action_set_algorithm(self) -> None:
        """Open the set-algorithm form."""
        pool = self._pool_or_say()
        if pool is not None:
            self.push_screen(SetAlgorithmScreen(pool), self._after)

    def action_destroy_pool(self) -> None:
        """Destroy the pool; with allocations outstanding, the BUG modal decides."""
        pool = self._pool_or_say()
        if pool is not None:
            self._destroy(pool)

    def _destroy(self, pool: genpool.Pool) -> None:
        try:
            pool.destroy()
        except genpool.PoolBug as bug:
            self.push_screen(BugScreen(bug), self._bug_decided(pool, bug))
            return
        self.sync()

    def _bug_decided(self, pool: genpool.Pool, bug: genpool.PoolBug) -> Callable[[bool | None], None]:
        """What the BUG modal's choice does: Cancel changes nothing; Free all frees, then destroys."""

        def decided(free_all: bool | None) -> None:
            if free_all:
                for record in bug.outstanding:
                    try:
                        pool.free(record.addr, record.size)
                    except genpool.PoolBug:
                        pass  # freed meanwhile by whoever else drives the pool
                self._destroy(pool)
            else:
                self.sync()

        return decided
