"""The producer: every pool of this process, streamed to traces and viewers.

A built-in plugin.  Its ``genpool_pool_created`` hook only remembers
each pool (a weak set and a stream id) until something asks for the
stream -- :func:`genpool.trace.record`, :func:`genpool.watch.serve`, or
``GENPOOL_TRACE`` / ``GENPOOL_WATCH`` at import.  Then the producer
observes every live pool, queuing the commonest events as their lines
already (see :meth:`Producer._observer`) and the rest as they are into a
bounded queue, and one writer thread drains the queue every few milliseconds,
puts the events back in ``seq`` order, encodes them once (in C, see
:mod:`genpool.lines`) and hands the lines to every :class:`Sink`.

A pool delivers its events after releasing its lock, so two threads'
events can reach the queue out of ``seq`` order; the writer sorts, and
holds back for one cycle the events behind a gap in ``seq`` (see
:func:`genpool.lines.writable_count`).  An event later than that, a
full queue, or a sink that cannot keep up costs a *resync*: a ``resync``
mark and a fresh snapshot of every pool, taken under all their locks at
one ``seq``, after which only newer events follow.  Memory stays bounded
whatever a viewer does.
"""

from __future__ import annotations

import atexit
import bisect
import itertools
import os
import sys
import threading
import weakref
from collections import deque
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from .events import Allocated, ChunkAdded, Freed, next_seq
from .hookspecs import hookimpl
from .lines import encode_lines, line_seq, rare_line, writable_count
from .replica import building
from .sink import Endpoint, Sink
from .stream import AllocRecord, FreeRecord, describe_pool, header, owner_value

if TYPE_CHECKING:
    from .chunk import Chunk
    from .pool import Pool

__all__ = ["QUEUE_LIMIT", "Endpoint", "Producer", "Sink", "add_endpoint", "get_producer", "remove_endpoint"]

#: Events the queue holds between two writer cycles; more means a resync.
QUEUE_LIMIT = 1 << 17
#: Seconds between writer cycles.
INTERVAL = 0.02

_lock = threading.RLock()
_pools: weakref.WeakSet[Pool] = weakref.WeakSet()
_states: weakref.WeakKeyDictionary[Pool, _PoolState] = weakref.WeakKeyDictionary()
_ids = itertools.count(1)
_producer: Producer | None = None
_seq_of = attrgetter("seq")


class _PoolState:
    """What the stream knows of one pool: its id, its chunks' indexes, whose owner an allocation shows."""

    __slots__ = ("id", "chunks")

    def __init__(self, pool: Pool) -> None:
        self.id = next(_ids)
        self.chunks: dict[Chunk, int] = {}


class _Created(NamedTuple):
    """A pool was created while the producer ran (queued like an event)."""

    pool: Pool
    seq: int
    algorithm: str


@hookimpl
def genpool_pool_created(pool: Pool) -> None:
    """Remember the pool; observe it if the stream is on.  Replicas are left alone."""
    if building():
        return
    with _lock:
        _states[pool] = _PoolState(pool)
        _pools.add(pool)
        if _producer is not None:
            pool.observe(_producer.observer)
            _producer.queue.append(_Created(pool, next_seq(), pool.algorithm.name))


class _Places(dict):  # type: ignore[type-arg]
    """chunk -> ``(pool id, chunk index)`` in the stream, for the chunks of the pools the stream knows."""

    def make(self, chunk: Chunk) -> tuple[int, int] | None:
        """The place of ``chunk``, cached; None for a chunk of a pool the stream does not know."""
        for pool, state in list(_states.items()):
            if chunk in state.chunks and chunk in pool._chunks:
                place = self[chunk] = (state.id, state.chunks[chunk])
                return place
        return None


class Producer:
    """The queue every observed pool's ``observer`` fills, and the writer thread that empties it."""

    def __init__(self) -> None:
        self.queue: deque[Any] = deque(maxlen=QUEUE_LIMIT)
        self.endpoints: list[Endpoint] = []
        self._cycle_lock = threading.Lock()
        self._stop = threading.Event()
        self._held: list[Any] = []
        self._watermark = 0
        self._written = 0
        self._places = _Places()
        self.observer = self._observer()
        self._thread = threading.Thread(target=self._run, name="genpool-producer", daemon=True)

    # -- lifecycle ----------------------------------------------------------------

    def _start(self) -> None:
        """Observe every live pool and start the writer (called with ``_lock`` held)."""
        for pool in list(_pools):
            if not pool.destroyed:
                pool.observe(self.observer)
        self._thread.start()

    def _stop_observing(self) -> None:
        for pool in list(_pools):
            try:
                pool.unobserve(self.observer)
            except Exception:
                pass

    def _observer(self) -> Callable[[Any], None]:
        """The observer of every pool: the queue's ``append``, turning the commonest events into lines first.

        An allocation (with no owner or a string one) or a free in a
        chunk whose place the writer has cached is queued as its line: a
        struct the garbage collector does not track, while the event
        itself dies at once.  A queue of events would be scanned by the
        collector's young generations while it waits for the writer,
        which cost the program more than building the line here.
        Anything else is queued as it is, and the writer turns it into a
        line in ``seq`` order.  It never raises.
        """
        append, places = self.queue.append, self._places

        def observe(event: Any) -> None:
            kind = type(event)
            if kind is Allocated:
                _, seq, chunk, addr, size, _, algorithm, owner = event
                place = places.get(chunk)
                if place is not None and (owner is None or type(owner) is str):
                    append(AllocRecord(seq, place[0], place[1], addr, size, algorithm, owner))
                    return
            elif kind is Freed:
                _, seq, chunk, addr, size, _, _ = event
                place = places.get(chunk)
                if place is not None:
                    append(FreeRecord(seq, place[0], place[1], addr, size))
                    return
            append(event)

        return observe

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL):
            with self._cycle_lock:
                if self._stop.is_set():
                    return
                try:
                    self._cycle(final=False)
                except Exception as exc:  # the watched program must go on whatever happens here
                    print(f"genpool producer: {type(exc).__name__}: {exc}", file=sys.stderr)

    def flush(self) -> None:
        """Write out everything queued so far (every thread's events delivered by now)."""
        with self._cycle_lock:
            self._cycle(final=True)

    # -- one writer cycle ---------------------------------------------------------

    def _cycle(self, *, final: bool) -> None:
        queue = self.queue
        waiting = len(queue)
        # iter(popleft, None) pops in C: no event is None.
        batch = list(itertools.islice(iter(queue.popleft, None), waiting))
        for endpoint in self.endpoints:
            endpoint.service()
        sinks = [sink for endpoint in self.endpoints for sink in endpoint.sinks()]
        if waiting >= QUEUE_LIMIT:  # the queue may have dropped events: start afresh
            self._held = []
            batch = []
            for sink in sinks:
                sink.needs_snapshot = True
        items = self._held + batch if self._held else batch
        items.sort(key=_seq_of)
        seqs = list(map(_seq_of, items))
        cut = (
            len(items)
            if final or not items
            else writable_count(seqs, max(self._watermark, self._written), self._written)
        )
        if items:
            self._watermark = seqs[-1]
        if cut == len(items):
            ready, self._held = items, []
        else:
            ready, self._held, seqs = items[:cut], items[cut:], seqs[:cut]
        lines = self._encode(ready, seqs, sinks) if ready else []
        needing = [sink for sink in sinks if sink.needs_snapshot and sink.ready_for_snapshot()]
        if needing:
            seq, snapshot = self._snapshot()
            for sink in needing:
                if not sink.header_sent:
                    sink.send(encode_lines([header()]))
                    sink.header_sent = True
                sink.send(snapshot)
                sink.min_seq = seq
                sink.needs_snapshot = False
        if lines:
            self._dispatch(lines, sinks)

    def _encode(self, ready: list[Any], seqs: list[int], sinks: list[Sink]) -> list[Any]:
        """The lines of the events (sorted, ``seqs`` their ``seq``), not yet encoded; late ones mark a resync.

        This loop is the writer's whole cost per event in Python, paid in
        the watched program's process (the GIL is shared): an allocation
        or a free is one struct built from a cached per-chunk place, and
        :meth:`_dispatch` encodes the batch in one C call.
        """
        late = bisect.bisect_right(seqs, self._written)
        if late:  # sorted, so the late ones come first
            for seq in seqs[:late]:
                for sink in sinks:
                    if sink.min_seq < seq:
                        sink.needs_snapshot = True
            ready = ready[late:]
        if not ready:
            return []
        self._written = seqs[-1]
        wanted = any(not sink.needs_snapshot for sink in sinks)
        places = self._places
        lines: list[Any] = []
        append = lines.append
        for event in ready:
            kind = type(event)
            if kind is AllocRecord or kind is FreeRecord:
                if wanted:
                    append(event)
            elif kind is Allocated:
                if wanted:
                    _, seq, chunk, addr, size, _, algorithm, owner = event
                    place = places.get(chunk) or places.make(chunk)
                    if place is not None:
                        if owner is not None and type(owner) is not str:
                            owner = owner_value(owner)
                        append(AllocRecord(seq, place[0], place[1], addr, size, algorithm, owner))
            elif kind is Freed:
                if wanted:
                    _, seq, chunk, addr, size, _, _ = event
                    place = places.get(chunk) or places.make(chunk)
                    if place is not None:
                        append(FreeRecord(seq, place[0], place[1], addr, size))
            else:
                state = _states.get(event[0])
                if state is not None and kind is ChunkAdded:
                    state.chunks.setdefault(event.chunk, len(state.chunks))
                elif state is not None and kind is _Created:
                    state.chunks = {}
                places.clear()  # chunks came or went
                if state is not None and wanted:
                    append(rare_line(event, state.id))
        return lines

    def _dispatch(self, lines: list[Any], sinks: list[Sink]) -> None:
        everything: bytes | None = None
        for sink in sinks:
            if sink.needs_snapshot:
                continue
            if sink.min_seq < line_seq(lines[0]):
                if everything is None:
                    everything = encode_lines(lines)
                sink.send(everything)
            else:  # a snapshot taken in this cycle already holds the older lines
                newer = [line for line in lines if line_seq(line) > sink.min_seq]
                if newer:
                    sink.send(encode_lines(newer))

    def _snapshot(self) -> tuple[int, bytes]:
        """A resync mark and every live pool, under all their locks at one ``seq``."""
        with _lock:
            pools = sorted((pool for pool in list(_pools) if pool in _states), key=lambda pool: _states[pool].id)
            for pool in pools:
                pool._lock.acquire()
            try:
                seq = next_seq()
                records = []
                for pool in pools:
                    if pool._destroyed:
                        continue
                    state = _states[pool]
                    state.chunks = {chunk: index for index, chunk in enumerate(pool._chunks[::-1])}
                    records.append(describe_pool(pool, state.id, seq))
                self._places.clear()
            finally:
                for pool in pools:
                    pool._lock.release()
        return seq, encode_lines([{"type": "resync", "seq": seq, "pools": len(records)}, *records])


def get_producer() -> Producer | None:
    """The running producer, or None when nothing is recording or watching."""
    return _producer


def add_endpoint(endpoint: Endpoint) -> Producer:
    """Start streaming to ``endpoint`` (starting the producer if it is the first)."""
    global _producer
    with _lock:
        if _producer is None:
            _producer = Producer()
            _producer._start()
            atexit.register(_at_exit)
        # The snapshot is taken now, so that everything after this call is streamed as events.
        with _producer._cycle_lock:
            _producer.endpoints.append(endpoint)
            _producer._cycle(final=False)
        return _producer


def remove_endpoint(endpoint: Endpoint) -> None:
    """Flush everything queued to ``endpoint``, close it, and stop the producer if it was the last."""
    global _producer
    with _lock:
        producer = _producer
        if producer is None or endpoint not in producer.endpoints:
            return
        last = len(producer.endpoints) == 1
        if last:
            _producer = None
            producer._stop_observing()
    with producer._cycle_lock:
        producer._cycle(final=True)
        producer.endpoints.remove(endpoint)
        endpoint.close()
    if last:
        producer._stop.set()
        if producer._thread is not threading.current_thread():
            producer._thread.join()


def _forget_in_child() -> None:
    """A forked child must not write its parent's trace or serve its socket: it starts unwatched."""
    global _producer
    _producer = None


os.register_at_fork(after_in_child=_forget_in_child)


def _at_exit() -> None:
    """The program is ending: flush and close every endpoint."""
    producer = _producer
    if producer is not None:
        for endpoint in list(producer.endpoints):
            remove_endpoint(endpoint)
