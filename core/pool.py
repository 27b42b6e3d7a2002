"""The pool: a list of chunks, and the kernel's gen_pool API over them as methods.

The code follows a pool's life in the order of ``lib/genalloc.c``: create,
add chunks, destroy, allocate, free, choose an algorithm.  Each public
method checks its arguments here; the loops over the chunks that allocate
and free, which every call runs, are in :mod:`genpool.pool_paths`, and
what only reads a pool -- its properties, address translation, walking its
chunks and allocations -- is in :mod:`genpool.pool_queries`.  Semantics
are the kernel's; where the kernel would crash half-way (``BUG``),
genpool checks first and raises :class:`PoolBug` with the pool unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import host
from .algorithm import Algorithm, AlignData, resolve
from .args import ADDRESS_LIMIT, check_address, check_nid, check_order, check_size
from .bitmap import MAX_NBITS
from .chunk import Chunk, writable_view
from .errors import InvalidArgument, NoSpace
from .events import AlgorithmSet, ChunkAdded, Destroyed, ObserverSlot, next_seq
from .outstanding import snapshot
from .pool_paths import PoolPaths
from .poollock import PoolLock
from .tracking import Tracking

__all__ = ["Pool"]


class Pool(PoolPaths):
    """A pool of special-purpose memory, carved into chunks (``struct gen_pool``).

    ``min_alloc_order`` is log2 of the granule: every allocation is a whole
    number of ``2**min_alloc_order``-byte granules.  ``algo`` names the
    default allocation algorithm (or is an :class:`Algorithm`), ``data`` is
    its data, and ``trackers`` names the ownership trackers to keep.

    Every method may be called from several threads at once.
    """

    __slots__ = (
        "__weakref__",
        "_lock",
        "_order",
        "_nid",
        "_name",
        "_chunks",
        "_choice",
        "_destroyed",
        "_tracking",
        "_observers",
    )

    def __init__(
        self,
        min_alloc_order: int,
        nid: int = -1,
        name: str | None = None,
        *,
        algo: str | Algorithm | Callable[..., int] = "first_fit",
        data: object = None,
        trackers: tuple[str, ...] | list[str] = (),
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise InvalidArgument(f"name must be a string or None, not {type(name).__name__}")
        self._order = check_order(min_alloc_order)
        self._nid = check_nid(nid)
        self._name = name
        self._lock = PoolLock(self._label)
        self._chunks: tuple[Chunk, ...] = ()
        # The algorithm and its data as one value: a reader never sees one without the other.
        self._choice: tuple[Algorithm, object] = (resolve(algo, data), data)
        self._destroyed = False
        self._observers: tuple[ObserverSlot, ...] = ()
        self._tracking = Tracking(self, trackers) if trackers else None
        host.get_host().pool_created(self)

    def __repr__(self) -> str:
        name = "" if self._name is None else f" {self._name!r}"
        return f"<Pool{name} order={self._order} chunks={len(self._chunks)} avail={self.avail}/{self.size}>"

    # -- adding memory -----------------------------------------------------

    def add(self, addr: int, size: int, nid: int = -1, *, memory: Any = None) -> Chunk:
        """Add ``size`` bytes at ``addr`` as a new chunk with no physical address."""
        return self._add_chunk(addr, None, size, nid, None, memory, overlap_ok=False)

    def add_virt(self, virt: int, phys: int, size: int, nid: int = -1, *, memory: Any = None) -> Chunk:
        """Add a chunk at virtual address ``virt`` whose physical address is ``phys``."""
        return self._add_chunk(virt, check_address(phys, "phys"), size, nid, None, memory, overlap_ok=False)

    def add_owner(
        self, virt: int, phys: int | None, size: int, nid: int = -1, owner: object = None, *, memory: Any = None
    ) -> Chunk:
        """Add a chunk that carries an ``owner`` cookie, returned by ``alloc_owner``."""
        phys = None if phys is None else check_address(phys, "phys")
        return self._add_chunk(virt, phys, size, nid, owner, memory, overlap_ok=False)

    def _add_chunk(
        self,
        virt: object,
        phys: int | None,
        size: object,
        nid: object,
        owner: object,
        memory: Any,
        *,
        overlap_ok: bool,
    ) -> Chunk:
        """``gen_pool_add_owner``: the new chunk goes to the head of the list.

        ``overlap_ok`` gives the kernel API's rules: chunks may overlap, and
        may be empty (size 0, never satisfying anything).  A chunk whose
        bitmap cannot be had raises NoSpace.
        """
        virt = check_address(virt, "virt")
        size = check_size(size)
        nid = check_nid(nid)
        if size == 0 and not overlap_ok:
            raise InvalidArgument("a chunk must hold at least one byte")
        if virt + size > ADDRESS_LIMIT or size == virt == 0:
            raise InvalidArgument(f"chunk {virt:#x}+{size:#x} runs past the top of the 64-bit address space")
        if size >> self._order > MAX_NBITS:
            raise NoSpace(
                f"chunk {virt:#x}+{size:#x} needs {size >> self._order} bits of bitmap, more than memory holds"
            )
        view = writable_view(memory, size) if memory is not None else None
        with self._lock:
            self._check_alive()
            if not overlap_ok:
                last = virt + size - 1
                for other in self._chunks:
                    if virt <= other._end and other._start <= last and other._start <= other._end:
                        raise InvalidArgument(
                            f"chunk {virt:#x}-{last:#x} overlaps chunk {other._start:#x}-{other._end:#x}"
                        )
            try:
                chunk = Chunk(virt, size, self._order, phys=phys, owner=owner, nid=nid, memory=view)
            except MemoryError:
                raise NoSpace(f"no memory for the bitmap of chunk {virt:#x}+{size:#x}") from None
            self._chunks = (chunk, *self._chunks)
            event = ChunkAdded(self, next_seq(), chunk) if self._observers else None
        if event is not None:
            self._deliver(event)
        return chunk

    # -- destroying --------------------------------------------------------

    def destroy(self) -> None:
        """``gen_pool_destroy``: drop every chunk.

        Raises PoolBug, and keeps the pool as it was, if any granule is
        still allocated; the error says how many allocations are
        outstanding and shows the first few, and its ``outstanding`` holds
        them all (see :mod:`genpool.outstanding`).  A destroyed pool keeps
        no reference to its chunks' memory, trackers included, so the
        buffers given to ``add`` can be closed.
        """
        with self._lock:
            if self._destroyed:
                return
            if any(chunk._bitmap._bits.find(1) >= 0 for chunk in self._chunks):
                outstanding = snapshot(self)
                self._bug(outstanding.destroy_message(self._label()), outstanding)
            self._destroyed = True
            for chunk in self._chunks:
                chunk._release_memory()
            self._chunks = ()
            if self._tracking is not None:
                self._tracking.release()
            event = Destroyed(self, next_seq()) if self._observers else None
        if event is not None:
            self._deliver(event)
        host.get_host().pool_destroyed(self)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: object) -> None:
        """Destroy the pool at the end of a ``with`` block.

        Allocations still outstanding raise the PoolBug of :meth:`destroy`
        here, unless the block is already raising: then the pool is left
        as it is and the block's own exception goes on.
        """
        if exc_type is None or self.avail == self.size:
            self.destroy()

    # -- allocating --------------------------------------------------------

    def alloc(self, size: int, *, algo: Any = None, data: object = None, owner: object = None) -> int:
        """Allocate ``size`` bytes; return the address.

        ``algo`` and ``data`` override the pool's algorithm for this call;
        ``owner`` is recorded by the ``tag`` tracker, and only by it: a
        pool created without ``trackers=("tag", ...)`` keeps no owner (the
        kernel has no such argument), and the value is dropped.  Raises NoSpace when
        no chunk has room, InvalidArgument for a bad size (including 0).
        """
        if type(size) is not int or size <= 0:
            size = _positive_size(size)
        # Unpacked by name: a call with ``*args`` costs a slower call path than plain arguments.
        algorithm, data = self._choice if algo is None and data is None else self._choose(algo, data)
        chunk, addr = self._allocate(size, algorithm, data, owner)
        if chunk is None:
            self._no_space(size)
        return addr

    def alloc_owner(
        self, size: int, *, algo: Any = None, data: object = None, owner: object = None
    ) -> tuple[int, object]:
        """Like :meth:`alloc`, also returning the owner cookie of the chunk allocated from."""
        size = _positive_size(size)
        algorithm, data = self._choice if algo is None and data is None else self._choose(algo, data)
        chunk, addr = self._allocate(size, algorithm, data, owner)
        if chunk is None:
            self._no_space(size)
        return addr, chunk._owner

    def dma_alloc(
        self, size: int, *, algo: Any = None, data: object = None, owner: object = None
    ) -> tuple[int, int | None]:
        """Allocate for DMA: return ``(address, physical address or None)``."""
        addr = self.alloc(size, algo=algo, data=data, owner=owner)
        return addr, self.virt_to_phys(addr)

    def dma_alloc_align(self, size: int, align: int, *, owner: object = None) -> tuple[int, int | None]:
        """Allocate for DMA at an address aligned to ``align`` bytes (a power of two)."""
        return self.dma_alloc(size, algo="first_fit_align", data=AlignData(align), owner=owner)

    def dma_zalloc(
        self, size: int, *, algo: Any = None, data: object = None, owner: object = None
    ) -> tuple[int, int | None]:
        """Like :meth:`dma_alloc`, and zero the ``size`` bytes of backing memory.

        If the allocation comes from a chunk without memory, it is undone
        and InvalidArgument raised.
        """
        if all(chunk._memory is None for chunk in self._chunks):
            raise InvalidArgument(f"{self._label()} has no memory-backed chunk to zero")
        size = _positive_size(size)
        algorithm, data = self._choice if algo is None and data is None else self._choose(algo, data)
        chunk, addr = self._allocate(size, algorithm, data, owner)
        if chunk is None:
            self._no_space(size)
        self._zero(chunk, addr, size)
        return addr, self.virt_to_phys(addr)

    def dma_zalloc_align(self, size: int, align: int, *, owner: object = None) -> tuple[int, int | None]:
        """:meth:`dma_zalloc` at an address aligned to ``align`` bytes."""
        return self.dma_zalloc(size, algo="first_fit_align", data=AlignData(align), owner=owner)

    # -- freeing -----------------------------------------------------------

    def free(self, addr: int, size: int) -> None:
        """Free ``size`` bytes at ``addr``.

        As in the kernel the free is blind: it clears the granules from the
        one holding ``addr`` for ``ceil(size / granule)`` granules, whatever
        allocations they belonged to.  Raises PoolBug, changing nothing, if
        any of them is not allocated or the range leaves its chunk.
        """
        if not (type(addr) is int and type(size) is int and 0 <= addr < ADDRESS_LIMIT and 0 <= size < ADDRESS_LIMIT):
            addr, size = check_address(addr), check_size(size)
        self._release(addr, size)

    def free_owner(self, addr: int, size: int) -> object:
        """Like :meth:`free`, returning the owner cookie of the chunk."""
        return self._release(check_address(addr), check_size(size))._owner

    # -- choosing the algorithm --------------------------------------------

    def set_algo(self, algo: Any, data: object = None) -> None:
        """Make ``algo`` (a name, an Algorithm, or None for first fit) the default."""
        algorithm = resolve("first_fit" if algo is None else algo, data)
        with self._lock:
            self._choice = (algorithm, data)
            event = AlgorithmSet(self, next_seq(), algorithm.name) if self._observers else None
        if event is not None:
            self._deliver(event)

    def _choose(self, algo: Any, data: object) -> tuple[Algorithm, object]:
        """The algorithm and data for one call: the pool's algorithm unless ``algo`` is given."""
        if algo is None:
            algorithm = self._choice[0]
            algorithm.check_data(data)
            return algorithm, data
        return resolve(algo, data), data


def _positive_size(size: object) -> int:
    size = check_size(size)
    if size == 0:
        raise InvalidArgument("cannot allocate 0 bytes")
    return size
