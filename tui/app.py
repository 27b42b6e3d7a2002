"""The genpool TUI: pools, their bitmaps, stats and events, and every action on them.

The app never touches a pool from an observer.  Each pool it shows has a
:class:`~genpool.tui.live.PoolFeed`, whose observer only queues events;
a timer (:data:`FRAME_SECONDS`) drains the queues and redraws the rows
that changed.  Actions run on the UI thread and report a refused one in
place (a form) or as the BUG modal (a :class:`genpool.PoolBug`), so the
pool is never changed by an action that fails.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import genpool
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.theme import Theme
from textual.widgets import Footer, Header, OptionList

from .bitmap_view import BitmapView
from .commands import GenpoolCommands
from .event_log import EventLog
from .find_actions import FindActions
from .help_screen import HelpScreen
from .inspector import Inspector
from .live import PoolFeed
from .owners import OwnerColours
from .owners_panel import OwnersPanel
from .pool_actions import PoolActions
from .pool_list import PoolList
from .stats import StatsScanner, UsageHistory
from .stats_panel import StatsPanel
from .table_actions import TableActions
from .themes import BITMAP_VARIABLES, DEFAULT_THEME, load_setting, load_themes, save_setting

__all__ = ["FRAME_SECONDS", "GenpoolApp", "PoolEntry"]

#: How often queued events are drained and the picture brought up to date.  Textual's
#: interval timer skips ticks that come late, so asking for 45 a second keeps at least
#: 30 frames a second while another thread keeps the pool (and the GIL) busy.
FRAME_SECONDS = 1 / 45
#: Least time between two counts of a busy pool's statistics.
STATS_SECONDS = 0.25


class PoolEntry:
    """A pool the app shows, with its feed, stats scanner and usage history."""

    def __init__(self, pool: genpool.Pool, label: str, clock: Callable[[], float]) -> None:
        self.pool = pool
        self.label = label
        self.feed = PoolFeed(pool)
        self.scanner = StatsScanner(pool, interval=STATS_SECONDS, clock=clock)
        self.history = UsageHistory(clock=clock)


class GenpoolApp(PoolActions, FindActions, TableActions, App[None]):
    """The visual debugger.  ``pools`` are shown from the start (the demo, usually)."""

    CSS_PATH = "genpool.tcss"
    TITLE = "genpool"
    COMMANDS = App.COMMANDS | {GenpoolCommands}
    BINDINGS = [
        # Help and Quit first: an 80-column footer shows only its first few keys.
        Binding("f1,question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("a", "allocate", "Alloc"),
        Binding("f", "free_selected", "Free"),
        Binding("F", "free_address", "Free addr"),
        Binding("c", "add_chunk", "Chunk"),
        Binding("n", "new_pool", "New pool"),
        Binding("s", "set_algorithm", "Algo"),
        Binding("D", "destroy_pool", "Destroy"),
        Binding("space", "toggle_pause", "Pause"),
        Binding("plus", "zoom_in", "Zoom+", key_display="+"),
        Binding("minus", "zoom_out", "Zoom-", key_display="-"),
        Binding("equals_sign", "zoom_fit", "Fit", show=False),
        Binding("right_square_bracket", "next_pool", "Next pool", key_display="]", show=False),
        Binding("ctrl+s", "save_svg", "Screenshot", show=False, priority=True),
        Binding("o", "owners_table", "Owners"),
        Binding("g", "goto", "Go to"),
        Binding("full_stop", "next_allocation(1)", "Next alloc", key_display=".", show=False),
        Binding("comma", "next_allocation(-1)", "Prev alloc", key_display=",", show=False),
        Binding("greater_than_sign", "next_free_run(1)", "Next free run", key_display=">", show=False),
        Binding("less_than_sign", "next_free_run(-1)", "Prev free run", key_display="<", show=False),
        Binding("N", "free_run_size", "Free run size", show=False),
        Binding("L", "largest_free_run", "Largest free", show=False),
        Binding("slash", "find_owner", "Find owner", key_display="/", show=False),
        Binding("e", "filter_log", "Log filter", show=False),
    ]

    def __init__(
        self,
        pools: Iterable[genpool.Pool] = (),
        *,
        theme: str | None = None,
        remember_theme: bool = True,
        clock: Callable[[], float] = time.monotonic,
        frame_seconds: float = FRAME_SECONDS,
        screenshot_dir: str | Path | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.frame_seconds = frame_seconds
        self.screenshot_dir = Path(screenshot_dir) if screenshot_dir is not None else Path.cwd()
        self.owners = OwnerColours()
        self.entries: list[PoolEntry] = []
        self.current: PoolEntry | None = None
        self.paused = False
        self.remember_theme = remember_theme
        self._requested_theme = theme
        self._initial_pools = list(pools)
        self._unnamed = 0
        self.user_themes: set[str] = set()
        self._inspected = float("-inf")
        self._inspector_stale = False
        self.theme_errors: list[str] = []

    # -- building ----------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The bitmap's colours for a theme that does not set them."""
        return dict(BITMAP_VARIABLES)

    def compose(self) -> ComposeResult:
        """Header, pool list and stats, the bitmap, cursor details, event log, footer."""
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield PoolList(id="pools")
                yield StatsPanel(id="stats")
            with Vertical(id="main"):
                yield BitmapView(self.owners, id="bitmap")
                yield OwnersPanel(clock=self.clock, id="owners")
                with VerticalScroll(id="cursor-box"):
                    yield Inspector("", id="inspector", markup=False)
                yield EventLog(id="events")
        yield Footer()

    def on_mount(self) -> None:
        """Register the themes, start watching the pools and the frame timer."""
        # Kept, not queried: while a modal screen is on top, queries look in the modal.
        self.view = self.query_one("#bitmap", BitmapView)
        self.event_log = self.query_one("#events", EventLog)
        self.pool_list = self.query_one("#pools", PoolList)
        self.stats_panel = self.query_one("#stats", StatsPanel)
        self.inspector = self.query_one("#inspector", Inspector)
        self.owners_panel = self.query_one("#owners", OwnersPanel)
        self.owners_panel.display = False
        self._register_themes()
        self.pool_list.border_title = "pools"
        self.stats_panel.border_title = "stats"
        self.event_log.border_title = "events"
        self.query_one("#cursor-box").border_title = "cursor"
        self.owners_panel.border_title = "allocations and owners"
        for pool in self._initial_pools:
            self.watch_pool(pool)
        self._select(self.entries[0] if self.entries else None)
        self.view.focus()
        self.set_interval(self.frame_seconds, self.sync, name="genpool-frame")
        # What exists now (widgets, styles, the pools so far) lives as long as the app: out of the
        # cycle collector's reach, each full collection a fast producer triggers walks far less.
        # Garbage is collected first, or it would be kept for ever (pools with all their memory).
        gc.collect()
        gc.freeze()

    def on_resize(self, event: events.Resize) -> None:
        """An 80-column terminal gets a slimmer sidebar and a shorter log."""
        self.set_class(event.size.width < 100, "-narrow")

    def _register_themes(self) -> None:
        shipped, user, self.theme_errors = load_themes()
        for theme in [*shipped, *user]:
            self.register_theme(theme)
        self.user_themes = {theme.name for theme in user}
        wanted = self._requested_theme or load_setting("theme", DEFAULT_THEME) or DEFAULT_THEME
        self.theme = wanted if wanted in self.available_themes else DEFAULT_THEME
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for error in self.theme_errors:
            self.event_log.note(f"theme not loaded: {error}")

    def _theme_changed(self, theme: Theme) -> None:
        if theme.name == self._requested_theme:
            # The one-off --theme being applied: the remembered theme stays as it was.
            self._requested_theme = None
        elif self.remember_theme:
            save_setting("theme", theme.name)

    # -- pools -------------------------------------------------------------------

    def watch_pool(self, pool: genpool.Pool, label: str | None = None, *, announce: bool = True) -> PoolEntry:
        """Show ``pool`` from now on (it is observed until destroyed or the app ends).

        ``announce=False`` leaves the event log alone (a replica bound again after a seek).
        """
        if label is None:
            if pool.name is not None:
                label = pool.name
            else:
                self._unnamed += 1
                label = f"pool{self._unnamed}"
        entry = PoolEntry(pool, label, self.clock)
        entry.feed.attach()
        self.owners.seed(pool)
        self.entries.append(entry)
        self._refresh_scanner(entry)
        if announce:
            self.event_log.note(
                f"{label}: watching ({len(pool.chunks)} chunk(s), {2**pool.min_alloc_order}-byte granules)"
            )
        self._show_pool_list()
        return entry

    def _select(self, entry: PoolEntry | None) -> None:
        self.current = entry
        view = self.view
        view.show_pool(entry.pool if entry is not None else None)
        view.border_title = entry.label if entry is not None else "no pool — press n to create one"
        self._show_pool_list()
        self._show_stats()
        self._show_inspector()
        self._show_subtitle()
        self.load_table()

    def _forget(self, entry: PoolEntry) -> None:
        entry.feed.detach()
        index = self.entries.index(entry)
        self.entries.remove(entry)
        if entry is self.current:
            self._select(self.entries[min(index, len(self.entries) - 1)] if self.entries else None)
        self._show_pool_list()

    def on_unmount(self) -> None:
        """Stop watching the pools; what was frozen at mount is the collector's again."""
        for entry in self.entries:
            entry.feed.detach()
        gc.unfreeze()

    # -- keeping the picture live ------------------------------------------------

    def sync(self) -> None:
        """Drain every feed and redraw what changed (the frame timer calls this)."""
        if self.paused:
            self._show_subtitle()
            return
        with self.batch_update():
            self._sync()

    def _sync(self) -> None:
        log = self.event_log
        view = self.view
        touched = False
        for entry in list(self.entries):
            changes = entry.feed.drain()
            if not changes:
                continue
            entry.scanner.invalidate()
            if changes.overflowed:
                log.lost(entry.label)
            log.add(entry.label, changes.events)
            if changes.destroyed or entry.pool.destroyed:
                self._forget(entry)
                continue
            if entry is self.current:
                touched = True
                self.owners_panel.changed()
                if changes.structure or view.grid.chunks != entry.pool.chunks:
                    view.relayout()
                    view.reload()
                elif changes.everything:
                    view.reload()
                else:
                    view.refresh_pages(changes.pages)
        for entry in self.entries:
            self._refresh_scanner(entry)
        if touched:
            self._inspector_stale = True
            self._show_subtitle()
        # The cursor panel reads full records (a lock the producer holds): a few times a second is plenty.
        if self._inspector_stale and self.clock() - self._inspected >= STATS_SECONDS:
            self._inspected = self.clock()
            self._inspector_stale = False
            self._show_inspector()
        if self.table_open and self.owners_panel.due():
            self.load_table()

    def _refresh_scanner(self, entry: PoolEntry) -> None:
        if entry.scanner.busy and entry.scanner.step():
            result = entry.scanner.result
            assert result is not None
            entry.history.record(result.used_fraction, result.fragmentation)
            if entry is self.current:
                self._show_stats()
            self._show_pool_list()

    def _show_pool_list(self) -> None:
        rows = [
            (entry.label, entry.scanner.result.used_fraction if entry.scanner.result else 0.0) for entry in self.entries
        ]
        selected = self.entries.index(self.current) if self.current in self.entries else None
        self.pool_list.show(rows, selected)

    def _show_stats(self) -> None:
        panel = self.stats_panel
        if self.current is None:
            panel.show(None, None, "no pool")
            return
        note = "paused" if self.paused else ""
        panel.show(self.current.scanner.result, self.current.history, note)

    def _show_inspector(self) -> None:
        if self.view.is_attached:
            self.inspector.show(self.view.cell_info(), frozen=self.view.frozen)

    def _show_subtitle(self) -> None:
        if self.current is None:
            self.sub_title = "no pool"
            return
        pool = self.current.pool
        text = f"{self.current.label} · {pool.algorithm.name} · {pool.granule}-byte granules"
        if self.paused:
            waiting = sum(entry.feed.pending for entry in self.entries)
            text += f" · PAUSED ({waiting:,} events waiting)"
        if text != self.sub_title:
            self.sub_title = text

    def on_bitmap_view_cursor_moved(self, message: BitmapView.CursorMoved) -> None:
        """Show what is under the cursor."""
        self._show_inspector()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Show the pool picked in the list."""
        if event.option_list.id == "pools" and 0 <= event.option_index < len(self.entries):
            entry = self.entries[event.option_index]
            if entry is not self.current:
                self._select(entry)

    # -- looking -----------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        """Pause (freeze the picture) or resume live updates."""
        view = self.view
        self.paused = not self.paused
        if self.paused:
            view.freeze()
        else:
            view.thaw()
            self.sync()
        self._show_subtitle()
        self._show_stats()
        self._show_inspector()

    def action_zoom_in(self) -> None:
        """Fewer granules per cell."""
        self.view.zoom_in()

    def action_zoom_out(self) -> None:
        """More granules per cell."""
        self.view.zoom_out()

    def action_zoom_fit(self) -> None:
        """The scale at which the pool fits."""
        self.view.zoom_fit()

    def action_next_pool(self) -> None:
        """Show the next pool."""
        if self.entries:
            index = self.entries.index(self.current) + 1 if self.current in self.entries else 0
            self._select(self.entries[index % len(self.entries)])

    def action_save_svg(self) -> None:
        """Save an SVG screenshot in the screenshot directory."""
        path = self.save_screenshot(path=str(self.screenshot_dir))
        self.event_log.note(f"screenshot saved: {path}")
        self.notify(f"Screenshot saved to {path}")

    def action_help(self) -> None:
        """Show keys and legend."""
        self.push_screen(HelpScreen())
