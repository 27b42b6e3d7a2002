"""The read-only half of :class:`genpool.Pool`: what a pool is, holds and answers.

A mixin, so that ``core/pool.py`` keeps only what changes a pool: adding
chunks, allocating, freeing, destroying and choosing the algorithm (with
the loops that allocate and free in :mod:`genpool.pool_paths`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .args import MASK64, check_address, check_size
from .errors import InvalidArgument
from .tracking import runs_as_allocations

if TYPE_CHECKING:
    from .algorithm import Algorithm
    from .chunk import Chunk
    from .pool import Pool
    from .tracking import Allocation, Tracking

__all__ = ["PoolQueries"]


class PoolQueries:
    """Properties and questions of a pool; :class:`genpool.Pool` holds the state they read."""

    __slots__ = ()
    _lock: Any
    _order: int
    _nid: int
    _name: str | None
    _chunks: tuple[Chunk, ...]
    _choice: tuple[Algorithm, object]
    _destroyed: bool
    _tracking: Tracking | None
    _label: Callable[[], str]

    # -- identity ----------------------------------------------------------

    @property
    def min_alloc_order(self) -> int:
        """log2 of the granule size in bytes."""
        return self._order

    @property
    def granule(self) -> int:
        """Bytes per bitmap bit: ``2**min_alloc_order``."""
        return 1 << self._order

    @property
    def nid(self) -> int:
        """NUMA node id given at creation."""
        return self._nid

    @property
    def name(self) -> str | None:
        """The pool's name (set by ``devm_gen_pool_create``), or None."""
        return self._name

    @property
    def algorithm(self) -> Algorithm:
        """The default allocation algorithm."""
        return self._choice[0]

    @property
    def algorithm_data(self) -> object:
        """The data given with the default algorithm."""
        return self._choice[1]

    @property
    def algorithm_choice(self) -> tuple[Algorithm, object]:
        """The default algorithm and its data, read together (a concurrent ``set_algo`` changes both at once)."""
        return self._choice

    @property
    def destroyed(self) -> bool:
        """Whether :meth:`destroy` has run."""
        return self._destroyed

    # -- translating -------------------------------------------------------

    def virt_to_phys(self, addr: int) -> int | None:
        """Physical address of ``addr``, or None outside the pool or in a chunk without one."""
        addr = check_address(addr)
        for chunk in self._chunks:
            if chunk._start <= addr <= chunk._end:
                if chunk._phys is None:
                    return None
                return (chunk._phys + addr - chunk._start) & MASK64
        return None

    def chunk_of(self, addr: int) -> Chunk | None:
        """The chunk holding ``addr`` (newest first, as the kernel looks), or None."""
        addr = check_address(addr)
        for chunk in self._chunks:
            if chunk._start <= addr <= chunk._end:
                return chunk
        return None

    # -- walking and asking ------------------------------------------------

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        """The chunks, newest first, as the kernel walks them."""
        return self._chunks

    def for_each_chunk(self, func: Callable[[Pool, Chunk, object], object], data: object = None) -> None:
        """Call ``func(pool, chunk, data)`` for every chunk, newest first."""
        if not callable(func):
            raise InvalidArgument(f"func must be callable, not {type(func).__name__}")
        for chunk in self._chunks:
            func(cast("Pool", self), chunk, data)

    def has_addr(self, start: int, size: int) -> bool:
        """Whether ``[start, start + size)`` lies inside one chunk (``gen_pool_has_addr``).

        The end is computed in 64-bit arithmetic, as in the kernel.
        """
        start, size = check_address(start, "start"), check_size(size)
        end = (start + size - 1) & MASK64
        for chunk in self._chunks:
            if chunk._start <= start <= chunk._end:
                if end <= chunk._end:
                    return True
        return False

    def __contains__(self, addr: int) -> bool:
        """``addr in pool``: whether the byte at ``addr`` is in a chunk (``has_addr(addr, 1)``)."""
        return self.has_addr(addr, 1)

    @property
    def avail(self) -> int:
        """Unallocated bytes over all chunks (``gen_pool_avail``)."""
        return sum(chunk._avail for chunk in self._chunks)

    @property
    def size(self) -> int:
        """Bytes in all chunks (``gen_pool_size``)."""
        return sum(chunk._end - chunk._start + 1 for chunk in self._chunks)

    def view(self, addr: int, size: int) -> memoryview:
        """The backing memory of ``[addr, addr + size)``, which must lie in one backed chunk."""
        addr, size = check_address(addr), check_size(size)
        for chunk in self._chunks:
            if chunk._start <= addr <= chunk._end:
                if chunk._memory is None:
                    raise InvalidArgument(f"chunk {chunk._start:#x}-{chunk._end:#x} has no backing memory")
                if addr + size - 1 > chunk._end:
                    raise InvalidArgument(f"{addr:#x}+{size} runs past the end {chunk._end:#x} of its chunk")
                offset = addr - chunk._start
                return chunk._memory[offset : offset + size]
        raise InvalidArgument(f"address {addr:#x} is outside every chunk of {self._label()}")

    def allocations(self) -> list[Allocation]:
        """Outstanding allocations in address order.

        With trackers, one record per allocation, with what each tracker
        recorded; without, one record per run of allocated granules.
        """
        with self._lock:
            return self._allocations_locked()

    def allocation_at(self, addr: int) -> Allocation | None:
        """The outstanding allocation holding ``addr`` (needs a tracker), or None."""
        addr = check_address(addr)
        chunk = self.chunk_of(addr)
        if chunk is None or self._tracking is None:
            return None
        with self._lock:
            return self._tracking.allocation_at(chunk, (addr - chunk._start) >> self._order)

    def extents(self, chunk: Chunk, first_bit: int, end_bit: int) -> list[tuple[int, int, Any, tuple[Any, ...]]]:
        """``(first granule, granules, owner, values)`` of each allocation overlapping ``[first_bit, end_bit)``.

        Of ``chunk``, in address order, from the trackers (empty without
        one); ``values`` holds each tracker's raw value in :attr:`trackers`
        order.  Made for drawing and listing many allocations: it builds
        no :class:`Allocation`, runs no tracker's ``describe`` and does not
        wait for the pool's lock (a viewer must not queue behind a busy
        producer), so while another thread changes the pool the answer may
        mix the states before and after a change; it never fails for that.
        """
        if chunk not in self._chunks:
            raise InvalidArgument(f"chunk {chunk!r} is not a chunk of {self._label()}")
        for name, value in (("first_bit", first_bit), ("end_bit", end_bit)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidArgument(f"{name} must be a non-negative int, not {value!r}")
        if self._tracking is None:
            return []
        return self._tracking.extents(chunk, first_bit, min(end_bit, chunk.nbits))

    @property
    def trackers(self) -> tuple[str, ...]:
        """Names of the ownership trackers the pool keeps."""
        return () if self._tracking is None else self._tracking.names

    def _allocations_locked(self) -> list[Allocation]:
        if self._tracking is not None:
            return self._tracking.allocations()
        return runs_as_allocations(cast("Pool", self))
