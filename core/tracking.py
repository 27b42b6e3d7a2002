"""Ownership tracking: who owns each outstanding allocation.

A pool created with ``trackers=(...)`` remembers the extent of every
allocation, and each tracker records one value per allocation: the
``chunk`` tracker the chunk's owner cookie, ``tag`` the ``owner=`` given
to ``alloc``, ``callsite`` the caller's file, line and function.  Frees
are blind, as in the kernel, so a free that covers part of an allocation
shrinks or splits its record, and one that covers several removes them
all; the values carry over to what is left.

A tracker is an object with two methods, made once per pool from the
class a plugin registered (see ``genpool_register_trackers``):

``record(request)``
    The value to keep for a new allocation (an :class:`AllocRequest`).
    It must not change any state: if it raises, the allocation is undone
    and the pool, and every tracker, are as they were.
``describe(value)``
    The fields the value adds to an :class:`Allocation`, as a dict.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from .errors import InvalidArgument, PluginError, explain
from .reprs import record_repr

if TYPE_CHECKING:
    from .chunk import Chunk
    from .pool import Pool

__all__ = ["AllocRequest", "Allocation", "Tracker", "Tracking", "runs_as_allocations"]

TRACKER_METHODS = ("record", "describe")


class _AllocRequest(NamedTuple):
    pool: Pool
    chunk: Chunk
    addr: int
    size: int
    nbytes: int
    owner: Any
    algorithm: str


class AllocRequest(_AllocRequest):
    """What a tracker is told about a new allocation (an immutable named tuple)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return record_repr(self, self._fields)


class Tracker(Protocol):
    """The methods an ownership tracker has."""

    def record(self, request: AllocRequest) -> Any:
        """The value to keep for this allocation; must not change state."""

    def describe(self, value: Any) -> dict[str, Any]:
        """Fields ``value`` adds to an allocation record."""


@dataclass(frozen=True, slots=True)
class Allocation:
    """One outstanding allocation: where it is, how big, and who owns it.

    ``size`` is in bytes, rounded up to whole granules.  ``owner`` is the
    ``tag`` tracker's value if it runs, else the ``chunk`` tracker's.
    ``info`` holds what each tracker recorded, by field name.
    """

    addr: int
    size: int
    chunk: Chunk
    owner: Any = None
    info: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return record_repr(self, ("addr", "size", "chunk", "owner", "info"))

    @property
    def end(self) -> int:
        """First address past the allocation."""
        return self.addr + self.size

    def __str__(self) -> str:
        # reprlib shortens long values and survives a raising __repr__: a BUG report must always print.
        text = f"{self.addr:#x}-{self.end - 1:#x} ({self.size} bytes)"
        if self.owner is not None:
            text += f" owner={reprlib.repr(self.owner)}"
        for name, value in self.info.items():
            if name != "owner":
                text += f" {name}={value if isinstance(value, str | int | float) else reprlib.repr(value)}"
        return text


class _Extents:
    """The allocations of one chunk: ``starts`` marks first granules, ``records`` holds the rest."""

    __slots__ = ("starts", "records")

    def __init__(self, nbits: int) -> None:
        self.starts = bytearray(nbits)
        # first granule -> (granule count, tracker values)
        self.records: dict[int, tuple[int, tuple[Any, ...]]] = {}


class Tracking:
    """The extents and tracker values of one pool's allocations."""

    __slots__ = ("_pool", "_names", "_trackers", "_extents", "_owner_index")

    def __init__(self, pool: Pool, names: tuple[str, ...] | list[str]) -> None:
        from .host import get_host

        if isinstance(names, str):
            raise InvalidArgument(f"trackers must be a sequence of names, not the string {names!r}")
        try:
            names = tuple(names)
        except TypeError:
            raise InvalidArgument(f"trackers must be a sequence of names, not {type(names).__name__}") from None
        repeated = sorted({name for name in names if isinstance(name, str) and names.count(name) > 1})
        if repeated:
            raise InvalidArgument(f"trackers names {', '.join(map(repr, repeated))} more than once")
        host = get_host()
        self._pool = pool
        self._names = names
        self._trackers = tuple(host.tracker(name)() for name in self._names)
        self._extents: dict[Chunk, _Extents] = {}
        self._owner_index = next(
            (i for name in ("tag", "chunk") for i, own in enumerate(self._names) if own == name), None
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The trackers' names."""
        return self._names

    def _of(self, chunk: Chunk) -> _Extents:
        extents = self._extents.get(chunk)
        if extents is None:
            extents = self._extents[chunk] = _Extents(chunk.nbits)
        return extents

    def note_alloc(self, request: AllocRequest, first: int, count: int) -> None:
        """Record a new allocation of ``count`` granules from ``first``.

        A tracker's exception comes out as a PluginError naming the tracker, before anything changes.
        """
        values = []
        for index, tracker in enumerate(self._trackers):
            try:
                values.append(tracker.record(request))
            except Exception as exc:
                from .host import origin

                raise PluginError(f"{origin('tracker', self._names[index])} raised {explain(exc)}") from exc
        extents = self._of(request.chunk)
        extents.starts[first] = 1
        extents.records[first] = (count, tuple(values))

    def note_free(self, chunk: Chunk, first: int, count: int) -> None:
        """Granules ``[first, first + count)`` were freed: trim, split or drop what they cover."""
        extents = self._of(chunk)
        records, starts = extents.records, extents.starts
        record = records.get(first)
        if record is not None and record[0] == count:
            del records[first]
            starts[first] = 0
            return
        end = first + count
        head = starts.rfind(1, 0, first + 1)
        pos = head if head >= 0 and head + records[head][0] > first else starts.find(1, first, end)
        while 0 <= pos < end:
            length, values = records.pop(pos)
            starts[pos] = 0
            if pos < first:
                records[pos] = (first - pos, values)
                starts[pos] = 1
            if pos + length > end:
                records[end] = (pos + length - end, values)
                starts[end] = 1
            pos = starts.find(1, pos + 1, end)

    def restore(self, chunk: Chunk, records: dict[int, tuple[int, tuple[Any, ...]]]) -> None:
        """Take ``records`` (first granule -> (granule count, tracker values)) as ``chunk``'s allocations.

        For rebuilding a pool from a snapshot (:mod:`genpool.replica`):
        the chunk's bits must already be set to match, and it must have
        no records yet.
        """
        extents = self._of(chunk)
        for first in records:
            extents.starts[first] = 1
        extents.records.update(records)

    def allocation_at(self, chunk: Chunk, bit: int) -> Allocation | None:
        """The allocation covering bit ``bit`` of ``chunk``, if any."""
        extents = self._extents.get(chunk)
        if extents is None:
            return None
        head = extents.starts.rfind(1, 0, bit + 1)
        if head < 0:
            return None
        length, values = extents.records[head]
        return self._allocation(chunk, head, length, values) if bit < head + length else None

    def extents(self, chunk: Chunk, first: int, end: int) -> list[tuple[int, int, Any, tuple[Any, ...]]]:
        """``(head, length, owner, values)`` of each allocation overlapping granules ``[first, end)``, in order.

        ``values`` are the trackers' raw values, in :attr:`names` order.
        The cheap form of :meth:`allocation_at` for drawing and tables: no
        tracker's ``describe`` runs and no record is built.  Safe without
        the pool's lock: each read is one atomic dict or bytearray
        operation, and a record that goes between two reads is skipped.
        """
        extents = self._extents.get(chunk)
        if extents is None or end <= first:
            return []
        records, starts = extents.records, extents.starts
        owner_index = self._owner_index
        result = []
        head = starts.rfind(1, 0, first + 1)
        record = records.get(head) if head >= 0 else None
        pos = head if record is not None and head + record[0] > first else starts.find(1, first, end)
        while 0 <= pos < end:
            record = records.get(pos)
            if record is not None:
                length, values = record
                result.append((pos, length, None if owner_index is None else values[owner_index], values))
            pos = starts.find(1, pos + 1, end)
        return result

    def allocations(self) -> list[Allocation]:
        """Every recorded allocation, in address order."""
        result = []
        for chunk in self._pool.chunks:
            extents = self._extents.get(chunk)
            if extents is not None:
                for head, (length, values) in extents.records.items():
                    result.append(self._allocation(chunk, head, length, values))
        result.sort(key=lambda record: record.addr)
        return result

    def frozen(self, chunk: Chunk) -> tuple[int, Callable[[], Iterator[Allocation]]]:
        """How many allocations ``chunk`` holds, and a walk over copies of their records in address order."""
        extents = self._extents.get(chunk)
        if extents is None or not extents.records:
            return 0, lambda: iter(())
        starts, records = bytes(extents.starts), dict(extents.records)

        def walk() -> Iterator[Allocation]:
            head = starts.find(1)
            while head >= 0:
                length, values = records[head]
                yield self._allocation(chunk, head, length, values)
                head = starts.find(1, head + 1)

        return len(records), walk

    def release(self) -> None:
        """Forget every chunk (the pool was destroyed), so nothing here keeps their memory."""
        self._extents.clear()

    def _allocation(self, chunk: Chunk, head: int, length: int, values: tuple[Any, ...]) -> Allocation:
        info: dict[str, Any] = {}
        for name, tracker, value in zip(self._names, self._trackers, values, strict=True):
            try:
                fields = tracker.describe(value)
                if not isinstance(fields, Mapping):
                    raise TypeError(f"returned {type(fields).__name__}, not a mapping")
                info.update(fields)
            except Exception as exc:
                # A broken describe() must not hide the allocation, nor a BUG that lists it.
                info[name] = f"<describe failed: {explain(exc)}>"
        owner = None if self._owner_index is None else values[self._owner_index]
        return Allocation(chunk.address_of(head), length * chunk.granule, chunk, owner, info)


def runs_as_allocations(pool: Pool) -> list[Allocation]:
    """One record per run of allocated granules, for a pool with no tracker.

    Without a tracker the bitmap cannot tell two adjacent allocations
    apart, so they show as one record.
    """
    records = []
    for chunk in pool.chunks:
        for first, length, is_set in chunk.bitmap.runs():
            if is_set:
                records.append(Allocation(chunk.address_of(first), length * chunk.granule, chunk, None))
    records.sort(key=lambda record: record.addr)
    return records
