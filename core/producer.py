"""The producer: every pool of this process, streamed to traces and viewers.

A built-in plugin.  Its ``genpool_pool_created`` hook only remembers
each pool (a weak set and a stream id) until something asks for the
stream -- :func:`genpool.trace.record`, :func:`genpool.watch.serve`, or
``GENPOOL_TRACE`` / ``GENPOOL_WATCH`` at import.  Then the producer
observes every live pool with ``deque.append`` into a bounded queue (a C
call: the watched program pays for building the event and nothing
else), and one writer thread drains the queue every few milliseconds,
puts the events back in ``seq`` order, encodes them once and hands the
lines to every :class:`Sink`.

A pool delivers its events after releasing its lock, so two threads'
events can reach the queue out of ``seq`` order; the writer holds back
the newest events for one cycle and sorts.  An event later than that, a
full queue, or a sink that cannot keep up costs a *resync*: a ``resync``
mark and a fresh snapshot of every pool, taken under all their locks at
one ``seq``, after which only newer events follow.  Memory stays bounded
whatever a viewer does.
"""

from __future__ import annotations

import atexit
import bisect
import itertools
import json
import os
import sys
import threading
import weakref
from collections import deque
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from .events import AlgorithmSet, Allocated, BugRaised, ChunkAdded, Destroyed, Freed, next_seq
from .hookspecs import hookimpl
from .replica import building
from .sink import Endpoint, Sink
from .stream import describe_pool, header, owner_value

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
_seq_of = itemgetter(1)
_COMPACT = (",", ":")


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
            pool.observe(_producer.queue.append)
            _producer.queue.append(_Created(pool, next_seq(), pool.algorithm.name))


class _Prefixes(dict):  # type: ignore[type-arg]
    """chunk -> ``,"pool":P,"chunk":C,"addr":``, the part of its lines that depends on the chunk."""

    def make(self, chunk: Chunk) -> str | None:
        """The prefix of ``chunk``, cached; None for a chunk of a pool the stream does not know."""
        for pool, state in list(_states.items()):
            if chunk in state.chunks and chunk in pool._chunks:
                text = self[chunk] = f',"pool":{state.id},"chunk":{state.chunks[chunk]},"addr":'
                return text
        return None


class _Texts(dict):  # type: ignore[type-arg]
    """JSON texts of algorithm names and owners, the common ones cached."""

    def make(self, name: str) -> str:
        """The JSON text of an algorithm's name, cached."""
        text = self[name] = json.dumps(name)
        return text

    def text(self, owner: object) -> str:
        """The JSON text of an owner (see :func:`genpool.stream.owner_value`).

        Only strings are cached: an int key would also answer for True
        (``1 == True``), and keeping other objects would keep the
        program's owners alive.
        """
        if type(owner) is str:
            text = self.get(owner)
            if text is None:
                if len(self) > 1 << 12:
                    self.clear()
                text = self[owner] = json.dumps(owner)
            return text
        return json.dumps(owner_value(owner), separators=_COMPACT)


class Producer:
    """The queue every observed pool appends to, and the writer thread that empties it."""

    def __init__(self) -> None:
        self.queue: deque[Any] = deque(maxlen=QUEUE_LIMIT)
        self.endpoints: list[Endpoint] = []
        self._cycle_lock = threading.Lock()
        self._stop = threading.Event()
        self._held: list[Any] = []
        self._watermark = 0
        self._written = 0
        self._prefixes = _Prefixes()
        self._algorithms = _Texts()
        self._owners = _Texts()
        self._thread = threading.Thread(target=self._run, name="genpool-producer", daemon=True)

    # -- lifecycle ----------------------------------------------------------------

    def _start(self) -> None:
        """Observe every live pool and start the writer (called with ``_lock`` held)."""
        for pool in list(_pools):
            if not pool.destroyed:
                pool.observe(self.queue.append)
        self._thread.start()

    def _stop_observing(self) -> None:
        for pool in list(_pools):
            try:
                pool.unobserve(self.queue.append)
            except Exception:
                pass

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
        if final or not items:
            ready, self._held = items, []
        else:
            cut = len(items)
            watermark = self._watermark
            while cut and items[cut - 1][1] > watermark:
                cut -= 1
            ready, self._held = items[:cut], items[cut:]
            self._watermark = items[-1][1]
        seqs, texts = self._encode(ready, sinks) if ready else ([], [])
        needing = [sink for sink in sinks if sink.needs_snapshot and sink.ready_for_snapshot()]
        if needing:
            seq, snapshot = self._snapshot()
            for sink in needing:
                if not sink.header_sent:
                    sink.send(json.dumps(header(), separators=_COMPACT).encode() + b"\n")
                    sink.header_sent = True
                sink.send(snapshot)
                sink.min_seq = seq
                sink.needs_snapshot = False
        if seqs:
            self._dispatch(seqs, texts, sinks)

    def _encode(self, ready: list[Any], sinks: list[Sink]) -> tuple[list[int], list[str]]:
        """The ``seq`` and line of each event (sorted by ``seq``; "" for one not written).

        An event that comes too late marks a resync.  This loop is the
        writer's whole cost per event, paid in the watched program's
        process: an allocation or a free is one f-string from a cached
        per-chunk prefix (measured faster than ``map`` and ``%`` over
        the whole batch).
        """
        seqs = list(map(_seq_of, ready))
        late = bisect.bisect_right(seqs, self._written)
        if late:  # sorted, so the late ones come first
            for seq in seqs[:late]:
                for sink in sinks:
                    if sink.min_seq < seq:
                        sink.needs_snapshot = True
            ready, seqs = ready[late:], seqs[late:]
        if not ready:
            return [], []
        self._written = seqs[-1]
        wanted = any(not sink.needs_snapshot for sink in sinks)
        prefixes, algorithms = self._prefixes, self._algorithms
        texts: list[str] = []
        append = texts.append
        for event in ready:
            kind = type(event)
            if kind is Allocated and wanted:
                _, seq, chunk, addr, size, _, algorithm, owner = event
                prefix = prefixes.get(chunk) or prefixes.make(chunk)
                if prefix is None:
                    append("")
                    continue
                algorithm_text = algorithms.get(algorithm) or algorithms.make(algorithm)
                owner_text = "" if owner is None else ',"owner":' + self._owners.text(owner)
                append(
                    f'{{"type":"alloc","seq":{seq}{prefix}{addr},"size":{size},"algorithm":{algorithm_text}{owner_text}}}\n'
                )
            elif kind is Freed and wanted:
                _, seq, chunk, addr, size, _, _ = event
                prefix = prefixes.get(chunk) or prefixes.make(chunk)
                append("" if prefix is None else f'{{"type":"free","seq":{seq}{prefix}{addr},"size":{size}}}\n')
            elif kind is Allocated or kind is Freed:
                append("")  # nobody wants lines now (every sink waits for a snapshot)
            else:
                state = _states.get(event[0])
                if state is not None and kind is ChunkAdded:
                    state.chunks.setdefault(event.chunk, len(state.chunks))
                prefixes.clear()  # chunks came or went
                append("" if state is None or not wanted else _encode_rare(event, state))
        return seqs, texts

    def _dispatch(self, seqs: list[int], texts: list[str], sinks: list[Sink]) -> None:
        everything: bytes | None = None
        for sink in sinks:
            if sink.needs_snapshot:
                continue
            if sink.min_seq < seqs[0]:
                if everything is None:
                    everything = "".join(texts).encode()
                sink.send(everything)
            else:
                newer = "".join(texts[bisect.bisect_right(seqs, sink.min_seq) :])
                if newer:
                    sink.send(newer.encode())

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
                self._prefixes.clear()
            finally:
                for pool in pools:
                    pool._lock.release()
        lines = [json.dumps({"type": "resync", "seq": seq}, separators=_COMPACT)]
        lines.extend(json.dumps(record, separators=_COMPACT) for record in records)
        return seq, ("\n".join(lines) + "\n").encode()


def _encode_rare(event: Any, state: _PoolState) -> str:
    """The line of an event other than an allocation or a free."""
    kind = type(event)
    record: dict[str, Any] = {"type": "", "seq": event.seq, "pool": state.id}
    if kind is ChunkAdded:
        chunk = event.chunk
        record.update(
            type="chunk",
            virt=chunk._start,
            phys=chunk._phys,
            size=chunk._end - chunk._start + 1,
            nid=chunk._nid,
            owner=owner_value(chunk._owner),
        )
    elif kind is AlgorithmSet:
        record.update(type="algorithm", algorithm=event.algorithm)
    elif kind is Destroyed:
        record["type"] = "destroy"
    elif kind is BugRaised:
        record.update(type="bug", message=event.message)
    else:  # _Created
        pool = event.pool
        trackers = list(pool.trackers)
        record.update(
            type="pool",
            name=pool.name,
            order=pool.min_alloc_order,
            nid=pool.nid,
            algorithm=event.algorithm,
            trackers=trackers,
            destroyed=False,
            chunks=[],
            allocations=[] if trackers else None,
        )
        state.chunks = {}
    return json.dumps(record, separators=_COMPACT) + "\n"


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
