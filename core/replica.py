"""Replica pools: real :class:`genpool.Pool` objects kept equal to another program's.

A viewer never draws a remote pool directly.  It keeps a
:class:`ReplicaSet`, builds each replica from a ``pool`` record (a
snapshot) and applies the events that follow (``docs/trace-format.md``):
an allocation is placed on exactly the granules of exactly the chunk the
original used, a free frees the same granules.  The replica is an
ordinary pool, so its observers hear the ordinary events and every
widget, statistic and feed works on it unchanged.

A record that contradicts the replicas -- a free of granules that are
not allocated, an allocation on busy granules, an unknown pool -- raises
:class:`CorruptTrace` and changes nothing.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, NoReturn

import msgspec

from .algorithm import ANY_DATA, Algorithm
from .bitmap import Bitmap
from .bitmap_view import TRUSTED_SEARCHES
from .chunk import Chunk
from .errors import CorruptTrace, GenPoolError, InvalidArgument
from .events import Allocated, BugRaised, Freed, next_seq
from .levels import SET_RUNS
from .pool import Pool
from .pool_paths import _record
from .stream import AllocRecord, EventRecord, FreeRecord, check_header, check_record, describe_pool
from .tracking import AllocRequest

_KINDS: dict[type, str] = {AllocRecord: "alloc", FreeRecord: "free"}

__all__ = ["CorruptTrace", "ReplicaSet", "building", "is_replica"]

_replicas: weakref.WeakSet[Pool] = weakref.WeakSet()
_local = threading.local()


def is_replica(pool: object) -> bool:
    """Whether ``pool`` is a replica made by a :class:`ReplicaSet` (and so read-only by convention)."""
    return pool in _replicas


def building() -> bool:
    """Whether this thread is building a replica pool right now (the producer leaves those alone)."""
    return getattr(_local, "building", False)


def _refuse(bitmap: Bitmap, size: int, start: int, nr: int, data: object, pool: object, start_addr: int) -> int:
    """A replica's own algorithm: it never finds room, since only the stream places allocations."""
    return size


def _place(bitmap: Bitmap, size: int, start: int, nr: int, data: Any, pool: object, start_addr: int) -> int:
    """The recorded first granule, in the recorded chunk only (``data`` is ``(bitmap, bit)``)."""
    target, bit = data
    return bit if bitmap is target and start == 0 else size


# genpool's own placer compares the bitmap it is handed with the recorded one: it needs the bitmap itself.
TRUSTED_SEARCHES.add(_place)


class ReplicaSet:
    """Replica pools kept equal to a producer's by applying its stream records.

    ``pools`` maps the stream's pool ids to live replicas, in creation
    order; the dict is replaced, never changed in place, so a reader in
    another thread may iterate it safely.  ``generation`` grows whenever
    Pool objects are replaced or removed (a snapshot, a resync, a
    destroy): a viewer re-binds its pools when it changes.  ``seq`` is the
    last applied record's, ``header`` the stream's header, ``bugs`` every
    ``bug`` record applied.  ``loading`` counts the records of the stream's
    latest snapshot still to come (after a header, its resync mark; after
    a resync, its ``pool`` records): while it is not 0 the replicas are
    not a whole snapshot.  ``source`` names the file or connection in error messages.

    Apply from one thread at a time.
    """

    def __init__(self, source: str = "<stream>") -> None:
        if not isinstance(source, str):
            raise InvalidArgument(f"source must be a string naming the stream, not {type(source).__name__}")
        self.source = source
        self.pools: dict[int, Pool] = {}
        self.header: dict[str, Any] | None = None
        self.seq = 0
        self.bugs: list[dict[str, Any]] = []
        self.generation = 0
        self.loading = 0
        # pool id -> its chunks in the order they were added (the stream's chunk indexes)
        self._chunks: dict[int, list[Chunk]] = {}
        self._placers: dict[str, Algorithm] = {}
        # pool id -> whether an allocation's owner is the one its record gives (the original tracks ``tag``)
        self._owned: dict[int, bool] = {}
        self._trackers: dict[int, list[str]] = {}

    def __repr__(self) -> str:
        return f"<ReplicaSet {self.source} pools={len(self.pools)} seq={self.seq} generation={self.generation}>"

    def apply(self, record: dict[str, Any] | AllocRecord | FreeRecord, line: int | None = None) -> None:
        """Apply one record (header, pool snapshot, event or resync mark).

        ``record`` is what :func:`genpool.stream.parse_record` reads from a
        line: a dict, or an :class:`~genpool.stream.AllocRecord` or
        :class:`~genpool.stream.FreeRecord`.  Raises CorruptTrace, changing
        nothing, for a malformed record or one that contradicts the
        replicas; ``line`` is named in the message.
        """
        event: AllocRecord | FreeRecord
        if isinstance(record, AllocRecord | FreeRecord):
            event = record  # nearly every record: its field types were checked as it was decoded
        elif isinstance(record, dict) and record.get("type") in ("alloc", "free"):
            # An event handed over as a dict: its fields checked, it goes the way a parsed line goes.
            event = msgspec.convert(check_record(record, self.source, line), EventRecord)
        else:
            self._apply_other(record, line)
            return
        seq, pool_id, index = event.seq, event.pool, event.chunk
        if seq < self.seq:
            self._corrupt(f"seq {seq} comes after seq {self.seq}", line)
        chunks = self._chunks.get(pool_id)
        if chunks is None:
            self._corrupt(f"{_KINDS[type(event)]} record for unknown pool {pool_id}", line)
        if not 0 <= index < len(chunks):
            self._corrupt(f"{_KINDS[type(event)]} record for unknown chunk {index} of pool {pool_id}", line)
        if isinstance(event, AllocRecord):
            owner = event.owner if self._owned[pool_id] else None
            self._alloc(self.pools[pool_id], chunks[index], event.addr, event.size, event.algorithm, owner, line)
        else:
            self._free(self.pools[pool_id], chunks[index], event.addr, event.size, index, line)
        self.seq = seq

    def _apply_other(self, record: object, line: int | None) -> None:
        """:meth:`apply` for every record but allocations and frees."""
        kind = record.get("type") if isinstance(record, dict) else None
        if kind == "tick":  # a live producer's heartbeat: nothing changed
            return
        if kind == "header":  # a new stream begins (a reconnection): its seqs start afresh
            self.header = check_header(record, self.source)
            self.seq = 0
            self.loading = 1  # its resync mark, which says how many pool records follow
            return
        checked = check_record(record, self.source, line)
        seq = checked["seq"]
        if seq < self.seq:
            self._corrupt(f"seq {seq} comes after seq {self.seq}", line)
        self._appliers[checked["type"]](self, checked, line)
        self.seq = seq

    def snapshot(self) -> list[dict[str, Any]]:
        """A ``pool`` record for every replica, at :attr:`seq` (what a checkpoint keeps)."""
        records = [describe_pool(pool, pool_id, self.seq) for pool_id, pool in self.pools.items()]
        for record in records:  # the original's trackers, not the replica's
            record["trackers"] = self._trackers[record["pool"]]
        return records

    # -- events ----------------------------------------------------------------

    # The viewer applies every event of a fast producer while the app draws, in the same interpreter:
    # an allocation is placed and a free undone here, straight on the chunk, rather than through
    # Pool.alloc's search and Pool.free's chunk lookup, which cost twice as much.  What changes is
    # what the pool's own paths change (bits, avail, tracking, one event), under its lock.

    def _alloc(
        self, pool: Pool, chunk: Chunk, addr: int, size: int, algorithm: str, owner: Any, line: int | None
    ) -> None:
        order = pool._order
        offset = addr - chunk._start
        nbits = (size + (1 << order) - 1) >> order
        first = offset >> order
        bitmap = chunk._bitmap
        if size <= 0 or offset < 0 or offset & ((1 << order) - 1) or first + nbits > bitmap._nbits:
            self._corrupt(f"allocation of {size} bytes at {addr:#x} does not fit its chunk", line)
        nbytes = nbits << order
        tracking = pool._tracking
        lock = pool._lock
        if lock.holder is None:
            lock.acquire()
        else:
            lock.wait()
        try:
            if size > chunk._avail or not bitmap._set(first, nbits):
                self._corrupt(f"allocation of {size} bytes at {addr:#x} lands on busy granules", line)
            if tracking is not None:
                request = _record(AllocRequest, (pool, chunk, addr, size, nbytes, owner, algorithm))
                try:
                    tracking.note_alloc(request, first, nbits)
                except BaseException:
                    bitmap._clear(first, nbits)
                    raise
            chunk._avail -= nbytes
        finally:
            lock.release()
        if pool._observers:
            pool._deliver(_record(Allocated, (pool, next_seq(), chunk, addr, size, nbytes, algorithm, owner)))

    def _free(self, pool: Pool, chunk: Chunk, addr: int, size: int, index: int, line: int | None) -> None:
        start = chunk._start
        if size < 0 or not start <= addr <= chunk._end or addr + size - 1 > chunk._end:
            self._corrupt(f"free of {size} bytes at {addr:#x} is not inside chunk {index}", line)
        order = pool._order
        first = (addr - start) >> order
        nbits = (size + (1 << order) - 1) >> order
        tracking = pool._tracking
        if nbits:
            lock = pool._lock
            if lock.holder is None:
                lock.acquire()
            else:
                lock.wait()
            try:
                if not chunk._bitmap._clear(first, nbits):
                    self._corrupt(f"free of {size} bytes at {addr:#x} covers granules that are not allocated", line)
                chunk._avail += nbits << order
                if tracking is not None:
                    tracking.note_free(chunk, first, nbits)
            finally:
                lock.release()
        if pool._observers:
            pool._deliver(
                _record(Freed, (pool, next_seq(), chunk, addr, size, start + (first << order), nbits << order))
            )

    def _add_chunk(self, record: dict[str, Any], line: int | None) -> None:
        pool = self._pool(record, line)
        try:
            chunk = pool._add_chunk(
                record["virt"],
                record["phys"],
                record["size"],
                record["nid"],
                record.get("owner"),
                None,
                overlap_ok=True,
            )
        except GenPoolError as exc:
            self._corrupt(f"chunk record: {exc}", line)
        _unindexed(chunk)
        self._chunks[record["pool"]].append(chunk)

    def _destroy(self, record: dict[str, Any], line: int | None) -> None:
        pool = self._pool(record, line)
        if any(chunk._bitmap._bits.find(1) >= 0 for chunk in pool._chunks):
            self._corrupt(f"pool {record['pool']} is destroyed with allocations outstanding", line)
        pool.destroy()
        pools = dict(self.pools)
        del pools[record["pool"]]
        del self._chunks[record["pool"]]
        del self._owned[record["pool"]]
        del self._trackers[record["pool"]]
        self._replace(pools)

    def _bug(self, record: dict[str, Any], line: int | None) -> None:
        pool = self._pool(record, line)
        self.bugs.append(record)
        # The original's observers heard of the BUG; the replica's do too (its pool is unchanged).
        pool._deliver(BugRaised(pool, next_seq(), record["message"], ()))

    def _set_algorithm(self, record: dict[str, Any], line: int | None) -> None:
        self._pool(record, line).set_algo(_shown(record["algorithm"]))

    def _resync(self, record: dict[str, Any], line: int | None) -> None:
        """The ``pools`` pool records that follow describe everything afresh."""
        if record["pools"] < 0:
            self._corrupt(f"resync record announces {record['pools']} pools", line)
        self.loading = record["pools"]
        self._replace({})
        self._chunks = {}
        self._owned = {}
        self._trackers = {}

    # -- snapshots ---------------------------------------------------------------

    def _load(self, record: dict[str, Any], line: int | None) -> None:
        """Build a replica from a ``pool`` record, replacing any replica of that id."""
        if self.loading:
            self.loading -= 1
        if record["destroyed"]:
            return
        names = record["trackers"]
        if not all(type(name) is str for name in names):
            self._corrupt(f"pool record: trackers {names!r} are not all names", line)
        # The owner trackers a replica can carry; the others' values stay in the producer.
        trackers = tuple(name for name in ("tag", "chunk") if name in names) or (("tag",) if names else ())
        _local.building = True
        try:
            pool = Pool(
                record["order"], record["nid"], record["name"], algo=_shown(record["algorithm"]), trackers=trackers
            )
        except GenPoolError as exc:
            self._corrupt(f"pool record: {exc}", line)
        finally:
            _local.building = False
        _replicas.add(pool)
        chunks = [self._load_chunk(pool, spec, line) for spec in record["chunks"]]
        if trackers:
            self._load_allocations(pool, chunks, record["allocations"] or [], line)
        pools = dict(self.pools)
        pools[record["pool"]] = pool
        self._chunks[record["pool"]] = chunks
        self._owned[record["pool"]] = "tag" in names
        self._trackers[record["pool"]] = list(names)
        self._replace(pools)

    def _load_chunk(self, pool: Pool, spec: object, line: int | None) -> Chunk:
        if type(spec) is not dict:
            self._corrupt("pool record: a chunk is not an object", line)
        check_record({"type": "chunk", "seq": 0, "pool": 0, **spec}, self.source, line)
        try:
            chunk = pool._add_chunk(
                spec["virt"], spec["phys"], spec["size"], spec["nid"], spec.get("owner"), None, overlap_ok=True
            )
        except GenPoolError as exc:
            self._corrupt(f"pool record: {exc}", line)
        _unindexed(chunk)
        runs = spec.get("runs")
        if type(runs) is not list:
            self._corrupt("pool record: a chunk has no list of runs", line)
        bits = bytearray(chunk._bitmap._nbits)
        for run in runs:
            if not (type(run) is list and len(run) == 2 and type(run[0]) is int and type(run[1]) is int):
                self._corrupt(f"pool record: run {run!r} is not [first, length]", line)
            first, length = run
            if first < 0 or length <= 0 or first + length > len(bits) or bits.find(1, first, first + length) >= 0:
                self._corrupt(f"pool record: run {run!r} overlaps another or leaves its chunk", line)
            bits[first : first + length] = SET_RUNS[length]
        chunk._bitmap._load(bytes(bits))
        chunk._avail -= bits.count(1) << pool._order
        return chunk

    def _load_allocations(self, pool: Pool, chunks: list[Chunk], allocations: list[Any], line: int | None) -> None:
        per_chunk: list[dict[int, tuple[int, tuple[Any, ...]]]] = [{} for _ in chunks]
        covered = [0] * len(chunks)
        for item in allocations:
            if not (type(item) is list and len(item) == 4 and all(type(v) is int for v in item[:3])):
                self._corrupt(f"pool record: allocation {item!r} is not [chunk, first, count, owner]", line)
            index, first, count, owner = item
            if not 0 <= index < len(chunks) or count <= 0 or first < 0:
                self._corrupt(f"pool record: allocation {item!r} names no chunk", line)
            bits = chunks[index]._bitmap._bits
            if first + count > len(bits) or bits.find(0, first, first + count) >= 0:
                self._corrupt(f"pool record: allocation {item!r} covers granules that are not allocated", line)
            values = tuple(chunks[index]._owner if name == "chunk" else owner for name in pool.trackers)
            per_chunk[index][first] = (count, values)
            covered[index] += count
        for index, chunk in enumerate(chunks):
            records = per_chunk[index]
            end = -1
            for first in sorted(records):
                if first < end:
                    self._corrupt(f"pool record: allocations overlap at granule {first} of chunk {index}", line)
                end = first + records[first][0]
            if covered[index] != chunk._bitmap._bits.count(1):
                self._corrupt(f"pool record: allocated granules of chunk {index} belong to no allocation", line)
            if pool._tracking is not None and records:
                pool._tracking.restore(chunk, records)

    # -- helpers -----------------------------------------------------------------

    def _pool(self, record: dict[str, Any], line: int | None) -> Pool:
        pool = self.pools.get(record["pool"])
        if pool is None:
            self._corrupt(f"{record['type']} record for unknown pool {record['pool']}", line)
        return pool

    def _replace(self, pools: dict[int, Pool]) -> None:
        self.pools = pools
        self.generation += 1

    def _corrupt(self, message: str, line: int | None) -> NoReturn:
        raise CorruptTrace(message, path=self.source, line=line)

    _appliers: dict[str, Callable[[ReplicaSet, dict[str, Any], int | None], None]] = {
        "pool": _load,
        "chunk": _add_chunk,
        "algorithm": _set_algorithm,
        "destroy": _destroy,
        "bug": _bug,
        "resync": _resync,
    }


def _unindexed(chunk: Chunk) -> None:
    """Drop the chunk's index of free runs: a replica is never searched, and keeping the index up
    to date is a quarter of what applying an event costs.  Its bitmap answers from its bytes."""
    chunk._bitmap._index = None


_shown_algorithms: dict[str, Algorithm] = {}


def _shown(name: str) -> Algorithm:
    """The algorithm a replica shows: the original's name, a search that never allocates."""
    algorithm = _shown_algorithms.get(name)
    if algorithm is None:
        algorithm = _shown_algorithms[name] = Algorithm(name, _refuse, ANY_DATA)
    return algorithm
