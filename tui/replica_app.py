"""The app on replica pools: what ``genpool watch`` and ``genpool replay`` share.

A :class:`ReplicaApp` shows the pools of a :class:`genpool.replica.ReplicaSet`
that something else keeps up to date (a watch client's thread, a replay
player).  Every frame, before the feeds are drained, it follows the set:
pools that appeared are shown, and when ``replicas.generation`` changes
(a resync, a reconnection, a seek replaced the Pool objects) every entry
is bound again to the new pools, keeping the pool the user had selected,
the zoom and the cursor.

A replica is read-only: the actions that would change a pool are refused
with a message naming the pool; inspecting, zooming, stats, pausing and
screenshots work as on any pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import genpool
from textual.binding import Binding

from .app import GenpoolApp, PoolEntry

if TYPE_CHECKING:
    from genpool.replica import ReplicaSet

__all__ = ["CHANGING_ACTIONS", "ReplicaApp"]

#: The app's actions that would change a pool, and how the refusal names them.
CHANGING_ACTIONS = {
    "allocate": "allocating",
    "free_selected": "freeing",
    "free_address": "freeing",
    "add_chunk": "adding a chunk",
    "new_pool": "creating a pool",
    "set_algorithm": "setting the algorithm",
    "destroy_pool": "destroying the pool",
}


class ReplicaApp(GenpoolApp):
    """The app on the pools of :attr:`replicas`, read-only; subclasses say where the replicas come from."""

    #: The changing keys still answer (with the refusal) but leave the footer to the read-only ones.
    BINDINGS = [
        Binding("a", "allocate", "Alloc", show=False),
        Binding("f", "free_selected", "Free", show=False),
        Binding("F", "free_address", "Free addr", show=False),
        Binding("c", "add_chunk", "Chunk", show=False),
        Binding("n", "new_pool", "New pool", show=False),
        Binding("s", "set_algorithm", "Algo", show=False),
        Binding("D", "destroy_pool", "Destroy", show=False),
    ]
    #: What the pools are replicas of, for messages ("watched", "replayed").
    kind = "replica"

    def __init__(self, **options: object) -> None:
        super().__init__((), **options)  # type: ignore[arg-type]
        #: The entry shown for each stream pool id.
        self.bound: dict[int, PoolEntry] = {}
        #: The stream id of the pool the user picked last (kept while that pool is absent, after a seek).
        self.selected_id: int | None = None
        self._view_state: tuple[int | None, tuple[int, int] | None] | None = None
        self._rebinding = False
        self._binding: tuple[int, int] | None = None

    @property
    def replicas(self) -> ReplicaSet | None:
        """The replica set shown (None while there is none yet)."""
        raise NotImplementedError

    # -- following the replica set ---------------------------------------------

    def on_mount(self) -> None:
        """Show the replicas at once, not at the first frame (Textual runs the app's own handler after this)."""
        self.call_later(self.sync)

    def sync(self) -> None:
        """One frame: :meth:`before_frame`, follow the replica set, draw what changed, :meth:`after_frame`."""
        if not self.view.is_attached:
            return  # the app is closing: its widgets are gone before its frame timer
        self.before_frame()
        if not self.paused:
            self.follow_replicas()
        super().sync()
        self.after_frame()

    def before_frame(self) -> None:
        """What a subclass does at the start of each frame (nothing here)."""

    def after_frame(self) -> None:
        """What a subclass does at the end of each frame (nothing here)."""

    def follow_replicas(self) -> None:
        """Show new pools; bind every entry again if the set replaced its Pool objects."""
        replicas = self.replicas
        if replicas is None:
            return
        # A copy: a watch client's thread may add a pool while we look.
        pools = dict(replicas.pools)
        binding = (id(replicas), replicas.generation)
        if binding != self._binding:
            self._binding = binding
            self._rebind(pools)
            return
        # A set that adds a pool without a new generation: show it too.
        for pool_id, pool in pools.items():
            entry = self.bound.get(pool_id)
            if (entry is None or entry.pool is not pool) and not pool.destroyed:
                self._bind(pool_id, pool, announce=True)
        if self.current is None and self.entries:
            self._select(self.entries[0])

    def _label(self, pool_id: int, name: str | None) -> str:
        label = name if name is not None else f"pool {pool_id}"
        taken = {entry.label for other, entry in self.bound.items() if other != pool_id}
        return label if label not in taken else f"{label} #{pool_id}"

    def _bind(self, pool_id: int, pool: genpool.Pool, *, announce: bool) -> PoolEntry:
        entry = self.watch_pool(pool, self._label(pool_id, pool.name), announce=announce)
        old = self.bound.get(pool_id)
        if old is not None:
            # The same pool of the producer: keep its usage history across the rebinding.
            entry.history = old.history
            if old in self.entries:
                old.feed.detach()
                self.entries.remove(old)
        self.bound[pool_id] = entry
        return entry

    def _select(self, entry: PoolEntry | None) -> None:
        """Show ``entry``; a pool the user picks stays picked across generations, even while it is absent."""
        super()._select(entry)
        if entry is None:
            self.view.border_title = "no pool at this point"
        elif not self._rebinding:
            self.selected_id = next((pool_id for pool_id, bound in self.bound.items() if bound is entry), None)

    def _rebind(self, pools: dict[int, genpool.Pool]) -> None:
        """Bind every pool anew, keeping the selected pool, zoom and cursor where they can be kept."""
        view = self.view
        if self.current is not None and self.bound.get(self.selected_id) is self.current:  # type: ignore[arg-type]
            self._view_state = (view.zoom, view.cursor)
        first = not self.bound
        for entry in self.entries:
            # What the old pool heard since the last frame (its destruction, say) still goes to the log.
            changes = entry.feed.drain()
            if changes.overflowed:
                self.event_log.lost(entry.label)
            if changes:
                self.event_log.add(entry.label, changes.events)
            entry.feed.detach()
        self.entries.clear()
        self.bound = {pool_id: entry for pool_id, entry in self.bound.items() if pool_id in pools}
        for pool_id, pool in pools.items():
            if not pool.destroyed:
                self._bind(pool_id, pool, announce=first or pool_id not in self.bound)
        self.bound = {pool_id: entry for pool_id, entry in self.bound.items() if entry in self.entries}
        picked = self.bound.get(self.selected_id) if self.selected_id is not None else None
        self._rebinding = True
        try:
            self._select(picked if picked is not None else (self.entries[0] if self.entries else None))
        finally:
            self._rebinding = False
        if picked is not None and self._view_state is not None:
            zoom, cursor = self._view_state
            view.zoom = zoom
            view.relayout()
            chunks = picked.pool.chunks
            if cursor is not None and cursor[0] < len(chunks):
                view.move_cursor_to(chunks[cursor[0]], cursor[1])

    # -- read-only -------------------------------------------------------------

    def refuse_change(self, action: str) -> None:
        """Say that ``action`` would change a replica, which is read-only."""
        what = CHANGING_ACTIONS[action]
        name = self.current.label if self.current is not None else "this view"
        message = (
            f"{name} is a {self.kind} pool, read-only: {what} refused (inspect, zoom, stats and screenshots work)."
        )
        self.event_log.note(message)
        self.notify(message, title="read-only", severity="warning")

    def action_allocate(self) -> None:
        """Refused: a replica is read-only."""
        self.refuse_change("allocate")

    def action_free_selected(self) -> None:
        """Refused: a replica is read-only."""
        self.refuse_change("free_selected")

    def action_free_address(self) -> None:
        """Refused: a replica is read-only."""
        self.refuse_change("free_address")

    def action_add_chunk(self) -> None:
        """Refused: a replica is read-only."""
        self.refuse_change("add_chunk")

    def action_new_pool(self) -> None:
        """Refused: this view shows only the replicas."""
        self.refuse_change("new_pool")

    def action_set_algorithm(self) -> None:
        """Refused: a replica is read-only."""
        self.refuse_change("set_algorithm")

    def action_destroy_pool(self) -> None:
        """Refused: a replica is read-only."""
        self.refuse_change("destroy_pool")
