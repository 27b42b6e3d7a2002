"""Every free run of a bitmap by its length, for exact best fit and worst fit.

:class:`RunSizes` answers two questions in a few C calls however large the
bitmap: the shortest free run of at least ``nr`` bits (the lowest such on
ties -- the kernel's ``gen_pool_best_fit``), and the longest free run (the
lowest on ties).  The bitmap stores one byte per bit (0 clear, 1 set).

Runs of :data:`SHORT` to :data:`~genpool.levels.CAP` bits are kept by
exact length: ``starts[n]`` is the sorted array of the first bits of the
runs of ``n`` bits, and ``lengths`` the sorted array of the lengths that
have any, so a bisection finds the shortest length that fits and its
lowest run at once.  Longer runs, of which a bitmap has few, are kept in
address order with their lengths.  Shorter runs, of which a fragmented
bitmap has many, are only counted by length, and marked in a byte per
512-bit block where one may start; the lowest is found by searching the
marks in C and measuring the marked blocks, which drops marks gone stale.
So the index costs at most about 0.17 bytes a bit, however fragmented.

Every set and clear changes at most three runs.  Their ends are found by
searches bounded by the cap (a longer run is then looked up among the long
ones), so keeping in step costs a few C calls even beside a free run of
millions of bits.  A bitmap builds this index only when a best or worst
fit first asks for it: first fit never pays for it.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right, insort

from .levels import CAP

__all__ = ["SHORT", "RunSizes"]

#: Free runs shorter than this are counted and marked by block, not listed.
SHORT = 40
_SHIFT = 9


class RunSizes:
    """The free runs of a ``bytearray`` of 0/1 bytes, by length.

    The owner calls :meth:`note_set` after setting bits and
    :meth:`note_clear` after clearing them.
    """

    __slots__ = ("_bits", "_nbits", "_code", "_starts", "_lengths", "_long", "_long_lengths", "_counts", "_marks")

    def __init__(self, bits: bytearray) -> None:
        self._bits = bits
        self._nbits = len(bits)
        # Bit indexes fit in 4 bytes below 2**32 bits (a 32 GiB chunk of 8-byte granules).
        self._code = "I" if self._nbits < 1 << 32 else "Q"
        self._starts: dict[int, array[int]] = {}
        self._lengths = array("H")
        self._long = array(self._code)
        self._long_lengths = array(self._code)
        self._counts = [0] * SHORT
        nblocks = (self._nbits >> _SHIFT) + 1
        self._marks = [bytearray()] + [bytearray(nblocks) for _ in range(1, SHORT)]
        pos = bits.find(0)
        while pos >= 0:
            end = bits.find(1, pos)
            if end < 0:
                end = self._nbits
            self._add(pos, end - pos)
            pos = bits.find(0, end)

    def footprint(self) -> int:
        """Bytes of memory the index takes (its entries, not the containers' spare room)."""
        entries = sum(len(starts) for starts in self._starts.values())
        size = array(self._code).itemsize
        marks = sum(len(marks) for marks in self._marks)
        # An array object and its dict slot cost about 100 bytes per length present.
        return size * (entries + 2 * len(self._long)) + 102 * len(self._lengths) + marks

    # -- searching -------------------------------------------------------

    def smallest(self, nr: int) -> tuple[int, int]:
        """``(first, length)`` of the shortest free run of at least ``nr`` bits, lowest on ties; ``(-1, 0)`` if none."""
        counts = self._counts
        for length in range(max(nr, 1), SHORT):
            if counts[length]:
                return self._first_short(length), length
        lengths = self._lengths
        index = bisect_left(lengths, nr)
        if index < len(lengths):
            length = lengths[index]
            return self._starts[length][0], length
        best, best_length = -1, 0
        for start, length in zip(self._long, self._long_lengths, strict=True):
            if length >= nr and (best < 0 or length < best_length):
                best, best_length = start, length
        return best, best_length

    def largest(self) -> tuple[int, int]:
        """``(first, length)`` of the longest free run, lowest on ties; ``(-1, 0)`` if no bit is clear."""
        if self._long:
            longest = max(self._long_lengths)
            return self._long[self._long_lengths.index(longest)], longest
        if self._lengths:
            length = self._lengths[-1]
            return self._starts[length][0], length
        for length in range(SHORT - 1, 0, -1):
            if self._counts[length]:
                return self._first_short(length), length
        return -1, 0

    def _first_short(self, length: int) -> int:
        """The lowest run of ``length < SHORT`` bits, of which there is one; drops stale marks on the way."""
        marks = self._marks[length]
        block = marks.find(1)
        while True:
            found = self._short_in(block, length)
            if found >= 0:
                return found
            marks[block] = 0
            block = marks.find(1, block + 1)

    def _short_in(self, block: int, length: int) -> int:
        """The first run of exactly ``length`` bits that starts in ``block``, else -1."""
        bits, nbits = self._bits, self._nbits
        lo = block << _SHIFT
        hi = min(lo + (1 << _SHIFT), nbits)
        pos = lo
        if pos and bits[pos - 1] == 0:
            # The run under way at the block's start began in an earlier block.
            pos = bits.find(1, pos, hi)
        while pos >= 0:
            pos = bits.find(0, pos, hi)
            if pos < 0:
                return -1
            stop = bits.find(1, pos, pos + length + 1)
            if stop == pos + length or (stop < 0 and pos + length == nbits):
                return pos
            if stop < 0:
                stop = bits.find(1, pos + length + 1)  # longer: skip to its end
            pos = stop
        return -1

    # -- keeping in step -------------------------------------------------

    def _add(self, start: int, length: int) -> None:
        if length <= 0:
            return
        if length < SHORT:
            self._counts[length] += 1
            self._marks[length][start >> _SHIFT] = 1
            return
        if length > CAP:
            index = bisect_left(self._long, start)
            self._long.insert(index, start)
            self._long_lengths.insert(index, length)
            return
        starts = self._starts.get(length)
        if starts is None:
            self._starts[length] = array(self._code, (start,))
            insort(self._lengths, length)
        else:
            insort(starts, start)

    def _remove(self, start: int, length: int) -> None:
        if length < SHORT:
            self._counts[length] -= 1  # its mark stays until a search finds it stale
            return
        if length > CAP:
            index = bisect_left(self._long, start)
            del self._long[index]
            del self._long_lengths[index]
            return
        starts = self._starts[length]
        if len(starts) == 1:
            del self._starts[length]
            del self._lengths[bisect_left(self._lengths, length)]
        else:
            del starts[bisect_left(starts, start)]

    def _run_start(self, end: int) -> int:
        """First bit of the free run that ends at ``end`` (bit ``end - 1`` is clear)."""
        floor = end - CAP - 1
        busy = self._bits.rfind(1, floor if floor > 0 else 0, end)
        if busy >= 0 or floor <= 0:
            return busy + 1
        # Clear for more than CAP bits: one of the long runs.
        return self._long[bisect_right(self._long, end - 1) - 1]

    def _run_end(self, first: int, pos: int) -> int:
        """One past the free run that starts at ``first``, clear (or just set) up to ``pos``."""
        limit = first + CAP + 1
        if pos < limit:
            busy = self._bits.find(1, pos, limit)
            if busy >= 0:
                return busy
            if limit >= self._nbits:
                return self._nbits
        # Clear for more than CAP bits: one of the long runs.
        return first + self._long_lengths[bisect_left(self._long, first)]

    def note_set(self, start: int, end: int) -> None:
        """Bits ``[start, end)``, all clear before, were set."""
        first = self._run_start(start) if start and self._bits[start - 1] == 0 else start
        stop = self._run_end(first, end)
        self._remove(first, stop - first)
        self._add(first, start - first)
        self._add(end, stop - end)

    def note_clear(self, start: int, end: int) -> None:
        """Bits ``[start, end)``, all set before, were cleared."""
        bits = self._bits
        first = start
        if start and bits[start - 1] == 0:
            first = self._run_start(start)
            self._remove(first, start - first)
        stop = end
        if end < self._nbits and bits[end] == 0:
            stop = self._run_end(end, end)
            self._remove(end, stop - end)
        self._add(first, stop - first)
