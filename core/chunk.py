"""A chunk: one contiguous range of special memory added to a pool."""

from __future__ import annotations

import ctypes
from typing import Any

from .bitmap import Bitmap
from .errors import InvalidArgument

__all__ = ["Chunk", "writable_view"]


class Chunk:
    """A contiguous range of addresses in a pool, tracked by a bitmap.

    Bit ``i`` of :attr:`bitmap` stands for the granule at ``start_addr + (i
    << min_alloc_order)``.  A tail shorter than a granule has no bit: it is
    never allocated but counts in :attr:`size` and in :attr:`avail`, which
    starts at the byte size given to ``add`` as in the kernel.

    Chunks are made by :meth:`genpool.Pool.add` and friends; their fields
    are read-only.
    """

    __slots__ = ("_start", "_end", "_phys", "_owner", "_nid", "_avail", "_bitmap", "_memory", "_order")

    def __init__(
        self,
        start: int,
        size: int,
        order: int,
        *,
        phys: int | None = None,
        owner: object = None,
        nid: int = -1,
        memory: memoryview | None = None,
    ) -> None:
        self._start = start
        self._end = start + size - 1
        self._phys = phys
        self._owner = owner
        self._nid = nid
        self._avail = size
        self._order = order
        self._bitmap = Bitmap(size >> order)
        self._memory = memory

    def __repr__(self) -> str:
        phys = "" if self._phys is None else f" phys={self._phys:#x}"
        return f"<Chunk {self._start:#x}-{self._end:#x}{phys} avail={self._avail}/{self.size}>"

    @property
    def start_addr(self) -> int:
        """First address of the chunk."""
        return self._start

    @property
    def end_addr(self) -> int:
        """Last address of the chunk (inclusive)."""
        return self._end

    @property
    def phys_addr(self) -> int | None:
        """Physical address of :attr:`start_addr`, or None if none was given."""
        return self._phys

    @property
    def owner(self) -> object:
        """The owner cookie given to ``add_owner`` (the kernel's ``chunk->owner``)."""
        return self._owner

    @property
    def nid(self) -> int:
        """NUMA node id given when the chunk was added."""
        return self._nid

    @property
    def size(self) -> int:
        """Size in bytes."""
        return self._end - self._start + 1

    @property
    def avail(self) -> int:
        """Bytes not allocated, as the kernel counts them."""
        return self._avail

    @property
    def nbits(self) -> int:
        """Number of granules (bits) in the chunk."""
        return self._bitmap.nbits

    @property
    def granule(self) -> int:
        """Bytes per bit: ``2**min_alloc_order``."""
        return 1 << self._order

    @property
    def bitmap(self) -> Bitmap:
        """The chunk's bitmap; read it, never change it (the pool does)."""
        return self._bitmap

    @property
    def memory(self) -> memoryview | None:
        """The buffer backing the chunk, if one was given."""
        return self._memory

    def zero(self, addr: int, size: int) -> None:
        """Zero ``size`` bytes of the chunk's memory from ``addr``, in place.

        Raises InvalidArgument if the chunk has no memory or the range
        leaves the chunk.
        """
        if self._memory is None:
            raise InvalidArgument(f"chunk {self._start:#x}-{self._end:#x} has no backing memory to zero")
        offset = addr - self._start
        if not (0 <= offset and size <= self._end - addr + 1):
            raise InvalidArgument(f"{addr:#x}+{size:#x} is not inside chunk {self._start:#x}-{self._end:#x}")
        if size:
            # memset through ctypes, with the bounds checked above: no zero
            # buffer as large as the range is built.
            first = ctypes.c_char.from_buffer(self._memory, offset)
            ctypes.memset(ctypes.addressof(first), 0, size)

    def _release_memory(self) -> None:
        """Let go of the backing buffer (the pool is being destroyed), so its owner can close it."""
        if self._memory is not None:
            try:
                self._memory.release()
            except BufferError:
                pass  # views handed out by Pool.view() still hold it; they keep it alive, not the pool
            self._memory = None

    def contains(self, addr: int) -> bool:
        """Whether ``addr`` lies in the chunk."""
        return self._start <= addr <= self._end

    def address_of(self, bit: int) -> int:
        """Start address of the granule of bit ``bit``."""
        return self._start + (bit << self._order)


def writable_view(memory: Any, size: int) -> memoryview:
    """A flat, writable byte view of ``memory``, checked to hold ``size`` bytes."""
    try:
        view = memoryview(memory)
    except TypeError:
        raise InvalidArgument(f"memory must be a writable buffer, not {type(memory).__name__}") from None
    except ValueError as exc:  # a released memoryview, a closed mmap
        raise InvalidArgument(f"memory cannot be used: {exc}") from None
    if view.readonly:
        raise InvalidArgument("memory must be writable")
    if not view.contiguous:
        raise InvalidArgument("memory must be contiguous")
    view = view.cast("B") if view.format != "B" or view.ndim != 1 else view
    if view.nbytes < size:
        raise InvalidArgument(f"memory holds {view.nbytes} bytes, the chunk needs {size}")
    return view
