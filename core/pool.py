"""The pool: a list of chunks and the kernel's allocation loop over them.

The code follows a pool's life in the order of ``lib/genalloc.c``: create,
add chunks, destroy, allocate, free, choose an algorithm.  What only reads
a pool -- its properties, address translation, walking its chunks and
allocations -- is in :mod:`genpool.pool_queries`.  Semantics are the kernel's; where the kernel would crash
half-way (``BUG``), genpool checks first and raises :class:`PoolBug`
with the pool unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from threading import get_ident
from typing import TYPE_CHECKING, Any, NoReturn

from genpool.plugins.first_fit import first_fit

from . import host
from .algorithm import Algorithm, AlignData, resolve
from .args import ADDRESS_LIMIT, MASK64, check_address, check_nid, check_order, check_size
from .bitmap import MAX_NBITS
from .bitmap_view import TRUSTED_SEARCHES, read_only
from .chunk import Chunk, writable_view
from .errors import InvalidArgument, NoSpace, PluginError, PoolBug, explain
from .events import (
    AlgorithmSet,
    Allocated,
    BugRaised,
    ChunkAdded,
    Destroyed,
    Freed,
    Observable,
    ObserverSlot,
    next_seq,
)
from .outstanding import snapshot
from .pool_queries import PoolQueries
from .poollock import PoolLock
from .tracking import Allocation, AllocRequest, Tracking

if TYPE_CHECKING:
    pass

__all__ = ["Pool"]

# A named-tuple record (event or tracker request) from all its field values,
# in one C call: the class's own ``__new__`` is Python and costs twice as much.
_record = tuple.__new__


class Pool(PoolQueries, Observable):
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

    def _zero(self, chunk: Chunk, addr: int, size: int) -> None:
        """Zero ``size`` bytes at ``addr`` in the memory of ``chunk``, just allocated from it.

        On any failure the allocation is undone in that chunk -- not in
        whichever chunk a look-up by address would find, as chunks may
        overlap -- and the error raised.
        """
        try:
            chunk.zero(addr, size)
        except BaseException:
            order = self._order
            start_bit, nbits = (addr - chunk._start) >> order, (size + (1 << order) - 1) >> order
            with self._lock:
                chunk._bitmap._clear(start_bit, nbits)
                chunk._avail += nbits << order
                if self._tracking is not None:
                    self._tracking.note_free(chunk, start_bit, nbits)
                event = (
                    _record(Freed, (self, next_seq(), chunk, addr, size, addr, nbits << order))
                    if self._observers
                    else None
                )
            if event is not None:
                self._deliver(event)
            raise

    def _allocate(self, size: int, algorithm: Algorithm, data: object, owner: object) -> tuple[Any, int]:
        """``gen_pool_alloc_algo_owner``: return ``(chunk, address)``, or ``(None, 0)``.

        Each chunk, newest first, is skipped when the unrounded ``size``
        exceeds its ``avail``; otherwise the algorithm searches its bitmap
        from bit 0.  ``size`` must already be a positive int.
        """
        order = self._order
        nbits = (size + (1 << order) - 1) >> order
        search = algorithm.search
        trusted = search is first_fit or search in TRUSTED_SEARCHES
        # Plugin code (an algorithm from outside genpool, any tracker) runs under the lock now: mark the
        # holder so that a call back into this pool is refused (genpool.poollock); built-ins never call back.
        guarded = not trusted or self._tracking is not None
        lock = self._lock
        # acquire/finally costs half what ``with`` does, on every allocation and free; a blocking
        # acquire() parses no argument, and with no holder this thread cannot be re-entering.
        if lock.holder is None:
            lock.acquire()
        else:
            lock.wait()
        if guarded:
            lock.holder = get_ident()
        try:
            for chunk in self._chunks:
                if size > chunk._avail:
                    continue
                bitmap = chunk._bitmap
                end_bit = bitmap._nbits
                if search is first_fit and nbits <= end_bit:
                    # The built-in first fit, asked straight (its plugin function would only forward).  The
                    # area it found is clear, under this lock: taken without _set's check, which stays for
                    # every other algorithm's answer.
                    start_bit = bitmap._find_area(end_bit, 0, nbits)
                    if start_bit >= end_bit:
                        continue
                    bitmap._mark(start_bit, start_bit + nbits)
                else:
                    try:
                        start_bit = search(
                            bitmap if trusted else read_only(bitmap), end_bit, 0, nbits, data, self, chunk._start
                        )
                    except Exception as exc:
                        raise _algorithm_failed(algorithm, exc) from exc
                    if type(start_bit) is not int:
                        raise PluginError(f"algorithm {algorithm.name!r} returned {start_bit!r}, not an int")
                    if start_bit >= end_bit:
                        continue
                    if not bitmap._set(start_bit, nbits):
                        start_bit = self._retry(algorithm, chunk, start_bit, nbits, data)
                        if start_bit < 0:
                            continue
                addr = chunk._start + (start_bit << order)
                if self._tracking is not None:
                    request = _record(AllocRequest, (self, chunk, addr, size, nbits << order, owner, algorithm.name))
                    try:
                        self._tracking.note_alloc(request, start_bit, nbits)
                    except BaseException:
                        bitmap._clear(start_bit, nbits)
                        raise
                chunk._avail -= nbits << order
                if not self._observers:
                    return chunk, addr
                event = _record(Allocated, (self, next_seq(), chunk, addr, size, nbits << order, algorithm.name, owner))
                break
            else:
                if self._destroyed:
                    self._check_alive()
                return None, 0
        finally:
            if guarded:
                lock.holder = None
            lock.release()
        self._deliver(event)
        return chunk, addr

    def _retry(self, algorithm: Algorithm, chunk: Chunk, start_bit: int, nbits: int, data: object) -> int:
        """The kernel's ``goto retry``: search again from the bit that failed.

        With the pool locked only a faulty algorithm gets here, by choosing
        busy bits or bits past the chunk's end; one that makes no progress
        is reported instead of looping for ever.
        """
        bitmap = chunk._bitmap
        end_bit = bitmap._nbits
        while True:
            if start_bit < 0 or start_bit + nbits > end_bit:
                raise PluginError(
                    f"algorithm {algorithm.name!r} chose bits {start_bit}..{start_bit + nbits - 1} "
                    f"outside a chunk of {end_bit} bits"
                )
            previous = start_bit
            view = bitmap if algorithm.search in TRUSTED_SEARCHES else read_only(bitmap)
            try:
                start_bit = algorithm.search(view, end_bit, start_bit, nbits, data, self, chunk._start)
            except Exception as exc:
                raise _algorithm_failed(algorithm, exc) from exc
            if type(start_bit) is not int:
                raise PluginError(f"algorithm {algorithm.name!r} returned {start_bit!r}, not an int")
            if start_bit >= end_bit:
                return -1
            if start_bit <= previous:
                raise PluginError(
                    f"algorithm {algorithm.name!r} chose busy bit {previous} again instead of searching past it"
                )
            if bitmap._set(start_bit, nbits):
                return start_bit

    def _no_space(self, size: int) -> NoReturn:
        if size >= ADDRESS_LIMIT:
            raise InvalidArgument(f"size {size} is outside 0 .. 2**64-1")
        raise NoSpace(f"no room for {size} bytes in {self._label()} (avail {self.avail} of {self.size} bytes)")

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

    def _release(self, addr: int, size: int) -> Chunk:
        """``gen_pool_free_owner``, checked before anything changes."""
        order = self._order
        nbits = (size + (1 << order) - 1) >> order
        lock = self._lock
        if lock.holder is None:
            lock.acquire()
        else:
            lock.wait()
        try:
            for chunk in self._chunks:
                if chunk._start <= addr <= chunk._end:
                    last = addr + size - 1
                    if last > chunk._end or (last < 0 and last & MASK64 > chunk._end):
                        self._bug(
                            f"gen_pool_free of {addr:#x} size {size} in {self._label()}: "
                            f"ends at {last & MASK64:#x}, past the end {chunk._end:#x} of its chunk"
                        )
                    start_bit = (addr - chunk._start) >> order
                    if nbits:
                        if not chunk._bitmap._clear(start_bit, nbits):
                            self._double_free(chunk, addr, size, start_bit, nbits)
                        chunk._avail += nbits << order
                        if self._tracking is not None:
                            self._tracking.note_free(chunk, start_bit, nbits)
                    if not self._observers:
                        return chunk
                    event = _record(
                        Freed,
                        (self, next_seq(), chunk, addr, size, chunk._start + (start_bit << order), nbits << order),
                    )
                    break
            else:
                self._check_alive()
                self._bug(
                    f"gen_pool_free of {addr:#x} size {size}: the address is outside every chunk of {self._label()}"
                )
        finally:
            lock.release()
        self._deliver(event)
        return chunk

    def _double_free(self, chunk: Chunk, addr: int, size: int, start_bit: int, nbits: int) -> None:
        granule = 1 << self._order
        bits = chunk._bitmap._bits
        if start_bit + nbits > chunk._bitmap._nbits:
            self._bug(
                f"gen_pool_free of {addr:#x} size {size} in {self._label()}: granules past "
                f"{chunk.address_of(chunk._bitmap._nbits) - 1:#x} lie in the chunk's tail, which is never allocated"
            )
        free_bit = bits.find(0, start_bit, start_bit + nbits)
        self._bug(
            f"gen_pool_free of {addr:#x} size {size} in {self._label()}: granule "
            f"{chunk.address_of(free_bit):#x}-{chunk.address_of(free_bit) + granule - 1:#x} is not allocated "
            "(double free?)"
        )

    # -- choosing the algorithm --------------------------------------------

    def set_algo(self, algo: Any, data: object = None) -> None:
        """Make ``algo`` (a name, an Algorithm, or None for first fit) the default."""
        algorithm = resolve("first_fit" if algo is None else algo, data)
        with self._lock:
            self._choice = (algorithm, data)
            event = AlgorithmSet(self, next_seq(), algorithm.name) if self._observers else None
        if event is not None:
            self._deliver(event)

    def _bug(self, message: str, outstanding: Sequence[Allocation] = ()) -> NoReturn:
        """Raise PoolBug; observers hear of it first (called with the lock held)."""
        if self._observers:
            event = BugRaised(self, next_seq(), message, outstanding)
            holder, self._lock.holder = self._lock.holder, None
            self._lock.release()
            try:
                self._deliver(event)
            finally:
                self._lock.acquire()
                self._lock.holder = holder
        raise PoolBug(message, outstanding=outstanding)

    def _choose(self, algo: Any, data: object) -> tuple[Algorithm, object]:
        """The algorithm and data for one call: the pool's algorithm unless ``algo`` is given."""
        if algo is None:
            algorithm = self._choice[0]
            algorithm.check_data(data)
            return algorithm, data
        return resolve(algo, data), data

    # -- internals ---------------------------------------------------------

    def _label(self) -> str:
        return "pool" if self._name is None else f"pool {self._name!r}"

    def _check_alive(self) -> None:
        if self._destroyed:
            raise InvalidArgument(f"{self._label()} was destroyed")


def _algorithm_failed(algorithm: Algorithm, exc: Exception) -> PluginError:
    """The PluginError for an algorithm that raised (nothing has changed yet when it runs)."""
    return PluginError(f"{host.origin('algorithm', algorithm.name, algorithm)} raised {explain(exc)}")


def _positive_size(size: object) -> int:
    size = check_size(size)
    if size == 0:
        raise InvalidArgument("cannot allocate 0 bytes")
    return size
