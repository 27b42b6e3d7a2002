"""The allocation and free paths of :class:`genpool.Pool`: the kernel's loops over chunks.

A mixin, as :mod:`genpool.pool_queries` is: ``core/pool.py`` keeps the
public methods, in the order of a pool's life, and their argument checks;
this module has what they call once the arguments are known good --
``gen_pool_alloc_algo_owner`` and ``gen_pool_free_owner`` with the lock
held, the kernel's ``goto retry``, and the errors raised where the kernel
would ``BUG``.  Every allocation and free runs through here, so the code
leaves out any step a call does not need (the comments say which and
why); nothing here changes a pool before every check has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from threading import get_ident
from typing import TYPE_CHECKING, Any, NoReturn, cast

from . import host
from .args import ADDRESS_LIMIT, MASK64
from .bitmap_view import TRUSTED_SEARCHES, read_only
from .errors import InvalidArgument, NoSpace, PluginError, PoolBug, explain
from .events import Allocated, BugRaised, Freed, Observable, next_seq
from .pool_queries import PoolQueries
from .tracking import AllocRequest

if TYPE_CHECKING:
    from .algorithm import Algorithm
    from .chunk import Chunk
    from .pool import Pool
    from .tracking import Allocation

__all__ = ["PoolPaths"]

# A named-tuple record (event or tracker request) from all its field values,
# in one C call: the class's own ``__new__`` is Python and costs twice as much.
_record = tuple.__new__


class PoolPaths(PoolQueries, Observable):
    """Allocating and freeing in the chunks of a pool; :class:`genpool.Pool` holds the state."""

    __slots__ = ()

    # -- allocating --------------------------------------------------------

    def _allocate(self, size: int, algorithm: Algorithm, data: object, owner: object) -> tuple[Any, int]:
        """``gen_pool_alloc_algo_owner``: return ``(chunk, address)``, or ``(None, 0)``.

        Each chunk, newest first, is skipped when the unrounded ``size``
        exceeds its ``avail``; otherwise the algorithm searches its bitmap
        from bit 0.  ``size`` must already be a positive int.
        """
        order = self._order
        nbits = (size + (1 << order) - 1) >> order
        search = algorithm.search
        own_first_fit = algorithm.builtin_first_fit
        trusted = own_first_fit or search in TRUSTED_SEARCHES
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
                if own_first_fit and nbits <= end_bit:
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
                            bitmap if trusted else read_only(bitmap),
                            end_bit,
                            0,
                            nbits,
                            data,
                            cast("Pool", self),
                            chunk._start,
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
                start_bit = algorithm.search(view, end_bit, start_bit, nbits, data, cast("Pool", self), chunk._start)
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

    # -- freeing -----------------------------------------------------------

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

    # -- where the kernel would BUG, and internals ----------------------------

    def _bug(self, message: str, outstanding: Sequence[Allocation] = ()) -> NoReturn:
        """Raise PoolBug; observers hear of it first (called with the lock held)."""
        if self._observers:
            event = BugRaised(cast("Pool", self), next_seq(), message, outstanding)
            holder, self._lock.holder = self._lock.holder, None
            self._lock.release()
            try:
                self._deliver(event)
            finally:
                self._lock.acquire()
                self._lock.holder = holder
        raise PoolBug(message, outstanding=outstanding)

    def _label(self) -> str:
        return "pool" if self._name is None else f"pool {self._name!r}"

    def _check_alive(self) -> None:
        if self._destroyed:
            raise InvalidArgument(f"{self._label()} was destroyed")


def _algorithm_failed(algorithm: Algorithm, exc: Exception) -> PluginError:
    """The PluginError for an algorithm that raised (nothing has changed yet when it runs)."""
    return PluginError(f"{host.origin('algorithm', algorithm.name, algorithm)} raised {explain(exc)}")
