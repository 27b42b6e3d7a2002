"""Watching a pool from the UI thread: what changed since the last frame.

A pool calls its observers synchronously in whatever thread changed it,
possibly many thousand times a second.  The TUI's observer is therefore
the cheapest thing that can be: ``collections.deque.append`` of the event
into a bounded queue, a C call that never touches a widget and never
raises.  Once a frame the app :meth:`PoolFeed.drain`\\ s the queue into a
:class:`Changes`: the dirty granule ranges of each chunk, merged per
*page* of granules so that a burst of events costs a set of pages, not a
message each; whether the chunk list changed; and the last few events
for the log.  If the queue ever overflows between two frames the feed
says so and the whole pool is redrawn, which is always correct.

Nothing here imports Textual.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import genpool
from genpool.events import Allocated, ChunkAdded, Destroyed, Event, Freed, Observer

__all__ = ["PAGE_SHIFT", "Changes", "PoolFeed"]

#: Dirty granules are remembered in pages of ``2**PAGE_SHIFT`` granules.
PAGE_SHIFT = 8
#: Events kept between two frames before the feed gives up and redraws everything.
QUEUE_LIMIT = 1 << 16
#: Events kept for the log per frame.
LOG_LIMIT = 64
#: More events than this in one frame is a flood: redraw everything rather than sort them out.
FLOOD = 2048


@dataclass
class Changes:
    """What happened to one pool since the last :meth:`PoolFeed.drain`."""

    #: Dirty pages (``bit >> PAGE_SHIFT``) per chunk.
    pages: dict[genpool.Chunk, set[int]] = field(default_factory=dict)
    #: The chunk list, or the pool itself, changed: lay everything out again.
    structure: bool = False
    #: Everything may have changed (the queue overflowed).
    everything: bool = False
    #: Events seen, all kinds.
    count: int = 0
    #: The last events, oldest first, at most :data:`LOG_LIMIT`.
    recent: list[Event] = field(default_factory=list)
    #: The pool was destroyed.
    destroyed: bool = False

    def __bool__(self) -> bool:
        return bool(self.count or self.structure or self.everything)


class PoolFeed:
    """The TUI's observer of one pool, and the queue it fills.

    Attach with :meth:`attach`, detach with :meth:`detach`; :meth:`drain`
    from one thread only (the UI's).
    """

    __slots__ = ("pool", "_queue", "_observer", "total")

    def __init__(self, pool: genpool.Pool) -> None:
        self.pool = pool
        self._queue: deque[Event] = deque(maxlen=QUEUE_LIMIT)
        self._observer: Observer | None = None
        #: Events drained so far.
        self.total = 0

    def attach(self) -> None:
        """Start observing the pool."""
        if self._observer is None:
            self._observer = self.pool.observe(self._queue.append)

    def detach(self) -> None:
        """Stop observing the pool (quietly if it is not observed)."""
        if self._observer is not None:
            try:
                self.pool.unobserve(self._observer)
            except genpool.InvalidArgument:
                pass
            self._observer = None

    @property
    def pending(self) -> int:
        """Events waiting to be drained."""
        return len(self._queue)

    def drain(self) -> Changes:
        """Everything queued since the last drain, folded into one :class:`Changes`.

        Each event costs a few set operations.  A flood (more than
        :data:`FLOOD` events since the last frame, where every row is
        likely to have changed anyway) is not sorted out at all: the
        changes say ``everything`` and keep only the last events.
        """
        queue = self._queue
        changes = Changes()
        waiting = len(queue)
        if waiting == 0:
            return changes
        popleft = queue.popleft
        changes.count = waiting
        self.total += waiting
        if waiting > FLOOD:
            changes.everything = True
            for _ in range(waiting - LOG_LIMIT):
                popleft()
            changes.recent = [popleft() for _ in range(LOG_LIMIT)]
            changes.destroyed = self.pool.destroyed
            return changes
        order = self.pool.min_alloc_order
        pages = changes.pages
        recent = changes.recent
        for _ in range(waiting):
            event = popleft()
            kind = type(event)
            if kind is Allocated or kind is Freed:
                chunk = event.chunk  # type: ignore[attr-defined]
                start = event.addr if kind is Allocated else event.start  # type: ignore[attr-defined]
                first = (start - chunk.start_addr) >> order
                low = first >> PAGE_SHIFT
                high = (first + (event.nbytes >> order) - 1) >> PAGE_SHIFT  # type: ignore[attr-defined]
                chunk_pages = pages.get(chunk)
                if chunk_pages is None:
                    chunk_pages = pages[chunk] = set()
                chunk_pages.add(low)
                if high > low:
                    chunk_pages.add(high)
                    if high > low + 1:
                        chunk_pages.update(range(low + 1, high))
            elif kind is ChunkAdded or kind is Destroyed:
                changes.structure = True
                changes.destroyed |= kind is Destroyed
            recent.append(event)
        if len(recent) > LOG_LIMIT:
            del recent[:-LOG_LIMIT]
        return changes
