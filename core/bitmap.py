"""The chunk bitmap: the kernel's ``lib/bitmap.c`` search primitives.

A chunk tracks its granules with one bit each.  genpool stores each bit in
a byte of a :class:`bytearray` (0 = free, 1 = allocated) because
``bytearray.find`` then searches for a run of free granules in C, which is
the fastest base pure Python has.

Searching from bit 0 of a fragmented chunk still costs time in
proportion to the distance to the answer, so a bitmap of 32768 bits
or more keeps an index beside it: a :class:`~genpool.runlist.RunList`
of its long free runs, or, past a million bits, where a list of runs
would grow too long to edit, a :class:`~genpool.runindex.RunIndex` of
per-block bounds.  Every bitmap also keeps a lower bound on its first
clear bit.  An indexed bitmap makes two more indexes when first asked: a
:class:`~genpool.runsizes.RunSizes` of its free runs by length, for best
and worst fit, and an :class:`~genpool.alignindex.AlignIndex` per
alignment, for aligned first fits.  None of these changes an answer, only
how fast it is found.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

from .alignindex import STRIDES, AlignIndex
from .alignindex import note_clear as note_aligned_clear
from .args import MASK64, check_size, integer
from .errors import InvalidArgument, NoSpace
from .kernelloop import first_fit_failure, kernel_loop, last_merge
from .levels import CLEAR_RUNS, SET_RUNS, ZEROS
from .runindex import RunIndex
from .runlist import RunList
from .runsizes import RunSizes

__all__ = ["MAX_NBITS", "Bitmap"]


def _memory_size() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return sys.maxsize


#: The most bits a bitmap can have here: it stores a byte per bit, and no
#: more bytes than the machine has memory can be had.  Checked before
#: building one, so that a chunk of terabytes fails at once instead of
#: after trying to allocate its bitmap.
MAX_NBITS = _memory_size()

# Bitmaps this large keep a RunList, and from _BLOCKS_FROM on a RunIndex;
# below _LISTED_FROM a plain scan is as fast.
_LISTED_FROM = 1 << 15
_BLOCKS_FROM = 1 << 20


def _index_for(bits: bytearray) -> RunList | RunIndex | None:
    """The index a bitmap of this size keeps, if any."""
    if len(bits) >= _BLOCKS_FROM:
        return RunIndex(bits)
    if len(bits) >= _LISTED_FROM:
        return RunList(bits)
    return None


class Bitmap:
    """One bit per granule of a chunk, with the kernel's search primitives.

    ``size`` arguments are bit counts, as in ``lib/bitmap.c``: a search
    looks only at bits below ``size``, which may not exceed :attr:`nbits`.
    The search methods never change the bits; :meth:`set` and
    :meth:`clear` are for the pool that owns it.

    The searches are for allocation algorithms, which the pool calls with
    its lock held, and may tighten the index as they go.  Anything else
    that reads a live pool's bitmap from another thread should use
    :meth:`runs`, :meth:`counts` or :attr:`raw`, which only read the bits.
    """

    __slots__ = ("_bits", "_nbits", "_first_clear", "_index", "_sizes", "_aligned")

    def __init__(self, nbits: int) -> None:
        nbits = check_size(nbits, "nbits")
        if nbits > MAX_NBITS:
            raise NoSpace(f"a bitmap of {nbits} bits needs {nbits} bytes, more than memory holds")
        self._bits = bytearray(nbits)
        self._nbits = nbits
        # A lower bound on the first clear bit: every search may start here.
        self._first_clear = 0
        self._index = _index_for(self._bits)
        # The free runs by length, made when a best or worst fit first asks.
        self._sizes: RunSizes | None = None
        # Aligned-fit indexes by (stride, offset), made when an aligned search first asks.
        self._aligned: dict[tuple[int, int], AlignIndex] = {}

    @property
    def nbits(self) -> int:
        """Number of bits (granules) in the bitmap."""
        return self._nbits

    def __len__(self) -> int:
        return self._nbits

    def __repr__(self) -> str:
        return f"<Bitmap {self.weight()}/{self._nbits} bits set>"

    # -- single bits and simple scans ------------------------------------

    def test_bit(self, nr: int) -> bool:
        """Whether bit ``nr`` is set (``test_bit``); IndexError outside the bitmap."""
        if type(nr) is not int:
            nr = check_size(nr, "nr")
        if not 0 <= nr < self._nbits:
            raise IndexError(f"bit {nr} outside a bitmap of {self._nbits} bits")
        return self._bits[nr] == 1

    def find_next_bit(self, size: int, offset: int) -> int:
        """First set bit at or after ``offset`` below ``size``, else ``size``."""
        size, offset = self._check_size(size), _arg(offset, "offset")
        if offset >= size:
            return size
        found = self._bits.find(1, offset, size)
        return size if found < 0 else found

    def find_next_zero_bit(self, size: int, offset: int) -> int:
        """First clear bit at or after ``offset`` below ``size``, else ``size``."""
        size, offset = self._check_size(size), _arg(offset, "offset")
        if offset >= size:
            return size
        found = self._bits.find(0, offset, size)
        return size if found < 0 else found

    def weight(self, start: int = 0, end: int | None = None) -> int:
        """Number of set bits in ``[start, end)`` (``bitmap_weight``); ``end`` defaults to :attr:`nbits`."""
        start, end = self._range(start, end)
        return self._bits.count(1, start, end)

    # -- area search -----------------------------------------------------

    def find_next_zero_area(self, size: int, start: int, nr: int, align_mask: int = 0) -> int:
        """``bitmap_find_next_zero_area``: :meth:`find_next_zero_area_off` with offset 0."""
        if (
            align_mask
            or type(nr) is not int
            or type(start) is not int
            or type(size) is not int
            or not 0 < nr <= size <= self._nbits
            or start < 0
        ):
            return self.find_next_zero_area_off(size, start, nr, align_mask, 0)
        return self._find_area(size, start, nr)

    def _find_area(self, size: int, start: int, nr: int) -> int:
        """:meth:`find_next_zero_area` unaligned, for ints known to hold ``0 < nr <= size <= nbits``, ``start >= 0``."""
        pos = start if start > self._first_clear else self._first_clear
        bits = self._bits
        if self._index is None:
            found = bits.find(ZEROS[nr], pos, size)
        elif pos + nr <= size and bits.find(1, pos, pos + nr) < 0:
            return pos  # right at the lowest clear bit, as when filling: the index need not look
        else:
            found = self._index.find(nr, pos, size)
        if found >= 0:
            return found
        return first_fit_failure(bits, size, start, nr)

    def find_next_zero_area_off(self, size: int, start: int, nr: int, align_mask: int, align_offset: int) -> int:
        """``bitmap_find_next_zero_area_off``, exactly as ``lib/bitmap.c``.

        Returns the lowest index ``i >= start`` with ``(i + align_offset)
        & align_mask == 0`` whose ``nr`` bits are all clear and end at or
        below ``size``.  When there is none it returns what the kernel's
        loop returns: ``index + nr`` for the first candidate ``index`` that
        no longer fits, a value greater than ``size``.
        """
        size = self._check_size(size)
        start, nr = _arg(start, "start"), _arg(nr, "nr")
        align_mask, align_offset = _arg(align_mask, "align_mask"), _arg(align_offset, "align_offset")
        if nr == 0 or nr > size or align_mask & (align_mask + 1):
            return kernel_loop(self._bits, size, start, nr, align_mask, align_offset)
        if not (align_mask or align_offset):
            return self.find_next_zero_area(size, start, nr)
        begin = start if start > self._first_clear else self._first_clear
        found = self._find_aligned(size, begin, nr, align_mask, align_offset)
        if found >= 0:
            return found
        resume = last_merge(self._bits, size, start, nr, align_mask, align_offset)
        return kernel_loop(self._bits, size, resume, nr, align_mask, align_offset)

    def _find_aligned(self, size: int, pos: int, nr: int, mask: int, offset: int) -> int:
        """Lowest aligned free area at or after ``pos``, or -1.

        A large bitmap asks an :class:`~genpool.alignindex.AlignIndex` when
        the area fits in one aligned slot; otherwise the search jumps from
        one run of at least ``nr`` free bits to the next, within which only
        the first aligned index can be the answer.
        """
        stride = mask + 1
        if self._index is not None and nr <= stride and stride.bit_length() - 1 in STRIDES:
            if not self._index.may_hold(nr):
                return -1  # no run is long enough: the aligned index need not look
            key = (stride, offset % stride)
            aligned = self._aligned.get(key)
            if aligned is None:
                aligned = self._aligned[key] = AlignIndex(self._bits, stride, offset)
            return aligned.find(nr, pos, size)
        bits = self._bits
        while pos < size:
            run = self._index.find(nr, pos, size) if self._index is not None else bits.find(ZEROS[nr], pos, size)
            if run < 0:
                return -1
            index = ((run + offset + mask) & ~mask) - offset
            if index + nr > size:
                return -1
            # The run is clear up to ``index``: its end, if before ``index + nr``,
            # is the first set bit of the window (the run itself may be huge).
            busy = bits.find(1, index, index + nr)
            if busy < 0:
                return index
            pos = busy + 1
        return -1

    # -- free-run summaries, for best, worst and other fits ----------------

    def free_runs(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
        """Yield ``(first_bit, length)`` of each run of clear bits in ``[start, end)``, clipped to it."""
        start = check_size(start, "start")
        end = self._nbits if end is None else min(check_size(end, "end"), self._nbits)
        bits = self._bits
        pos = bits.find(0, start, end)
        while pos >= 0:
            stop = bits.find(1, pos, end)
            if stop < 0:
                stop = end
            yield pos, stop - pos
            pos = bits.find(0, stop, end)

    def next_free_run(self, size: int, start: int, nr: int) -> tuple[int, int]:
        """``(first_bit, length)`` of the first run of at least ``nr`` clear bits in ``[start, size)``.

        A run that began before ``start`` counts from ``start``; returns
        ``(size, 0)`` when there is none.  Uses the index, so it costs
        about as much as :meth:`find_next_zero_area`, whatever lies between.
        """
        self._check_size(size)
        start, nr = check_size(start, "start"), check_size(nr, "nr")
        first = self.find_next_zero_area(size, start, nr)
        if first + nr > size or first >= size:
            return size, 0
        stop = self._bits.find(1, first + nr, size)
        return first, (size if stop < 0 else stop) - first

    def smallest_free_run(self, nr: int) -> tuple[int, int]:
        """``(first_bit, length)`` of the shortest run of at least ``nr`` clear bits, the lowest on ties.

        Over the whole bitmap; ``(nbits, 0)`` when no run is long enough.
        This is the kernel's best fit (``gen_pool_best_fit`` from bit 0).
        A large bitmap answers from an index of its runs by length, made
        on first use (so call it, like the searches, with the pool locked).
        """
        nr = check_size(nr, "nr")
        nbits = self._nbits
        if self.find_next_zero_area(nbits, 0, nr) >= nbits:
            return nbits, 0  # nothing fits: the index is not needed
        if self._index is not None:
            if self._sizes is None:
                self._sizes = RunSizes(self._bits)
            first, length = self._sizes.smallest(nr)
            return (first, length) if first >= 0 else (nbits, 0)
        bits = self._bits
        best, best_length = nbits, 0
        needle = ZEROS[nr] if nr else b"\x00"
        pos = bits.find(needle)
        while pos >= 0:
            stop = bits.find(1, pos + nr)
            length = (nbits if stop < 0 else stop) - pos
            if not best_length or length < best_length:
                best, best_length = pos, length
                if length == nr:
                    break
            pos = -1 if stop < 0 else bits.find(needle, stop + 1)
        return best, best_length

    def largest_free_run(self) -> tuple[int, int]:
        """``(first_bit, length)`` of the longest run of clear bits, the lowest on ties; ``(nbits, 0)`` if none.

        A large bitmap answers from its index of runs by length, as
        :meth:`smallest_free_run` does.
        """
        if self._index is not None:
            if self._sizes is None:
                self._sizes = RunSizes(self._bits)
            first, length = self._sizes.largest()
            return (first, length) if first >= 0 else (self._nbits, 0)
        best, best_length = self._nbits, 0
        for first, length in self.free_runs():
            if length > best_length:
                best, best_length = first, length
        return best, best_length

    # -- changing bits ---------------------------------------------------

    def set(self, start: int, nr: int) -> bool:
        """Set ``nr`` bits from ``start`` if all were clear; else change nothing.

        Returns whether the bits were set, like ``bitmap_set_ll`` returning
        zero remaining bits.
        """
        if type(start) is not int or type(nr) is not int:
            start, nr = integer(start, "start"), integer(nr, "nr")
        return self._set(start, nr)

    def _set(self, start: int, nr: int) -> bool:
        """:meth:`set` for the owning pool, whose arguments are known to be ints (no type checks)."""
        end = start + nr
        bits = self._bits
        if start | nr < 0 or end > self._nbits or bits.find(1, start, end) >= 0:
            return False
        self._mark(start, end)
        return True

    def _mark(self, start: int, end: int) -> None:
        """Set bits ``[start, end)``, all known to be clear: the write of :meth:`_set`, without its check.

        For the owning pool's own first fit, whose search has just proved
        the bits clear under the pool's lock; every other caller goes
        through :meth:`_set`.
        """
        self._bits[start:end] = SET_RUNS[end - start]
        if start == self._first_clear:
            self._first_clear = end
        if self._index is not None:
            self._index.note_set(start, end)
            # Only a bitmap with an index keeps runs by length.
            if self._sizes is not None:
                self._sizes.note_set(start, end)

    def clear(self, start: int, nr: int) -> bool:
        """Clear ``nr`` bits from ``start`` if all were set; else change nothing.

        Returns whether the bits were cleared, like ``bitmap_clear_ll``
        returning zero remaining bits.
        """
        if type(start) is not int or type(nr) is not int:
            start, nr = integer(start, "start"), integer(nr, "nr")
        return self._clear(start, nr)

    def _clear(self, start: int, nr: int) -> bool:
        """:meth:`clear` for the owning pool, whose arguments are known to be ints (no type checks)."""
        end = start + nr
        bits = self._bits
        if start | nr < 0 or end > self._nbits or bits.find(0, start, end) >= 0:
            return False
        bits[start:end] = CLEAR_RUNS[nr]
        if start < self._first_clear:
            self._first_clear = start
        if self._index is not None:
            self._index.note_clear(start, end)
            # Only a bitmap with an index keeps runs by length or aligned-fit indexes.
            if self._sizes is not None:
                self._sizes.note_clear(start, end)
            if self._aligned:
                note_aligned_clear(self._aligned.values(), bits, start, end)
        return True

    # -- reading for display ---------------------------------------------

    def runs(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, bool]]:
        """An iterator of ``(first_bit, length, is_set)`` for each run in ``[start, end)``."""
        return self._runs(*self._range(start, end))

    def _runs(self, start: int, end: int) -> Iterator[tuple[int, int, bool]]:
        bits = self._bits
        pos = start
        while pos < end:
            is_set = bits[pos] == 1
            nxt = bits.find(0 if is_set else 1, pos, end)
            if nxt < 0:
                nxt = end
            yield pos, nxt - pos, is_set
            pos = nxt

    def counts(self, block: int, start: int = 0, end: int | None = None) -> list[int]:
        """Set bits in each ``block``-bit slice of ``[start, end)``, for drawing."""
        if _arg(block, "block") == 0:
            raise InvalidArgument("block must be positive")
        start, end = self._range(start, end)
        bits = self._bits
        return [bits.count(1, pos, min(pos + block, end)) for pos in range(start, end, block)]

    def footprint(self) -> int:
        """Bytes of memory the bits and their index take."""
        index = self._index.footprint() if self._index is not None else 0
        extra = sum(aligned.footprint() for aligned in self._aligned.values())
        return self._nbits + index + extra + (self._sizes.footprint() if self._sizes is not None else 0)

    def _load(self, bits: bytes) -> None:
        """Replace every bit at once (for benchmarks and tests that need a given picture)."""
        if len(bits) != self._nbits or bits.strip(b"\x00\x01"):
            raise InvalidArgument("need one 0 or 1 byte per bit")
        self._bits[:] = bits
        found = self._bits.find(0)
        self._first_clear = self._nbits if found < 0 else found
        if self._index is not None:
            self._index = type(self._index)(self._bits)
        self._sizes = None
        self._aligned = {}

    @property
    def raw(self) -> bytearray:
        """The live bits, one byte (0 or 1) each, without a copy.

        For readers that need ``find`` and ``count`` over millions of bits
        (the TUI draws from it); writing to it would corrupt the pool.
        """
        return self._bits

    def to_bytes(self) -> bytes:
        """A copy of the bits, one byte (0 or 1) per bit."""
        return bytes(self._bits)

    def _check_size(self, size: object) -> int:
        size = _arg(size, "size")
        if size > self._nbits:
            raise InvalidArgument(f"size {size} outside a bitmap of {self._nbits} bits")
        return size

    def _range(self, start: object, end: object) -> tuple[int, int]:
        """``[start, end)`` as non-negative ints, ``end`` cut to :attr:`nbits` (None means all)."""
        start = _arg(start, "start")
        return start, self._nbits if end is None else min(_arg(end, "end"), self._nbits)


def _arg(value: object, what: str) -> int:
    """A bit index or count: a non-negative integer (InvalidArgument naming ``what`` otherwise)."""
    return value if type(value) is int and 0 <= value < MASK64 else check_size(value, what)
