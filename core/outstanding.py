"""The allocations a refused ``destroy()`` found outstanding, kept cheaply and read lazily.

A pool may hold a million allocations when it is destroyed by mistake.
Building a record for each, asking every tracker to describe it and
formatting them all would hold the pool's lock for many seconds and
take hundreds of MiB for a message nobody reads to the end.  So the
:class:`PoolBug` says how many there are and shows the first few, and
its ``outstanding`` is an :class:`Outstanding`: a copy of the chunks'
bits and tracker records taken under the lock (a few C-speed copies),
from which the full list of :class:`~genpool.Allocation` records is
built only when someone reads it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, overload

from .tracking import Allocation

if TYPE_CHECKING:
    from .chunk import Chunk
    from .pool import Pool

__all__ = ["SHOWN", "Outstanding", "snapshot"]

#: How many outstanding allocations a PoolBug message shows.
SHOWN = 10

Walk = Callable[[], Iterator[Allocation]]


class Outstanding(Sequence[Allocation]):
    """A read-only sequence of outstanding allocations, in address order.

    ``len()`` is known at once; the records are made on first iteration
    or indexing (and kept after a full read).
    """

    __slots__ = ("_walks", "_count", "_records")

    def __init__(self, parts: Sequence[tuple[int, Walk]]) -> None:
        self._walks = [walk for _, walk in parts]
        self._count = sum(count for count, _ in parts)
        self._records: tuple[Allocation, ...] | None = None

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Allocation]:
        if self._records is not None:
            return iter(self._records)
        return itertools.chain.from_iterable(walk() for walk in self._walks)

    @overload
    def __getitem__(self, index: int) -> Allocation: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Allocation, ...]: ...
    def __getitem__(self, index: int | slice) -> Allocation | tuple[Allocation, ...]:
        if self._records is None:
            self._records = tuple(iter(self))
        return self._records[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def first(self, n: int = SHOWN) -> list[Allocation]:
        """The first ``n`` records, without making the rest."""
        return list(itertools.islice(iter(self), n))

    def destroy_message(self, label: str) -> str:
        """The PoolBug message of a refused destroy of the pool called ``label``: the count and the first few."""
        listing = "".join(f"\n  {record}" for record in self.first())
        more = f"\n  ... and {self._count - SHOWN} more (see PoolBug.outstanding)" if self._count > SHOWN else ""
        return f"gen_pool_destroy of {label} with {self._count} allocation(s) outstanding:{listing}{more}"

    def __repr__(self) -> str:
        return f"<{self._count} outstanding allocation(s)>"


def snapshot(pool: Pool) -> Outstanding:
    """The outstanding allocations of ``pool`` as they are now (call with the pool locked)."""
    chunks = sorted(pool._chunks, key=lambda chunk: chunk._start)
    tracking = pool._tracking
    if tracking is not None:
        return Outstanding([tracking.frozen(chunk) for chunk in chunks])
    return Outstanding([_frozen_runs(chunk) for chunk in chunks])


def _frozen_runs(chunk: Chunk) -> tuple[int, Walk]:
    """Without a tracker: one record per run of set bits, from a copy of the bits."""
    bits = bytes(chunk._bitmap._bits)
    count = bits.count(b"\x00\x01") + bits.startswith(b"\x01")
    granule = chunk.granule

    def walk() -> Iterator[Allocation]:
        pos = bits.find(1)
        while pos >= 0:
            end = bits.find(0, pos)
            end = len(bits) if end < 0 else end
            yield Allocation(chunk.address_of(pos), (end - pos) * granule, chunk, None)
            pos = bits.find(1, end)

    return count, walk
