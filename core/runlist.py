"""A list of the long free runs of a bitmap, for exact first fit in mid-sized chunks.

:class:`RunList` answers the same question as
:class:`~genpool.runindex.RunIndex` -- the lowest index at or after
``start`` where ``nr`` clear bits begin -- for bitmaps of up to 2**20
bits, where a pool usually has a few hundred free runs.

It keeps the start of every maximal run of at least 32 clear bits, in
address order, and beside each a byte giving the run's length on the
log scale of :mod:`genpool.levels` (exact below 128).  First fit for
``nr >= 32`` bits is the first listed run of at least ``nr`` bits, which
one regular-expression search over the length bytes finds in C.
Requests for fewer bits search the bitmap itself: their first fit is
near its first clear bit.

Runs shorter than 32 bits are left out so that the list stays small
however finely a chunk is fragmented: at most one entry per 33 bits, 5
bytes each.  Every set and clear keeps the list exact; a search that
has just found a run remembers it, so that taking that run -- what a
pool does next -- costs no second lookup.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right

from .levels import AT_LEAST as _AT_LEAST
from .levels import CAP as _CAP
from .levels import LEVEL as _LEVEL
from .levels import ZEROS

__all__ = ["RunList"]

#: Runs shorter than this are not listed.
SHORTEST = 32


class RunList:
    """First-fit search over a ``bytearray`` of 0/1 bytes, with a list of its long free runs.

    The owner calls :meth:`note_set` after setting bits and
    :meth:`note_clear` after clearing them.
    """

    __slots__ = ("_bits", "_nbits", "_starts", "_levels", "_found_at", "_found_index")

    def __init__(self, bits: bytearray) -> None:
        if len(bits) > 1 << 32:
            raise ValueError("RunList keeps run starts in 32 bits")
        self._bits = bits
        self._nbits = len(bits)
        self._starts = array("I")
        self._levels = bytearray()
        # The run the last search returned: (its start, its place in the list).
        self._found_at = -1
        self._found_index = 0
        pos = bits.find(0)
        while pos >= 0:
            end = bits.find(1, pos)
            if end < 0:
                end = self._nbits
            if end - pos >= SHORTEST:
                self._starts.append(pos)
                self._levels.append(_LEVEL[min(end - pos, _CAP)])
            pos = bits.find(0, end)

    def footprint(self) -> int:
        """Bytes of memory the list takes."""
        return self._starts.itemsize * len(self._starts) + len(self._levels)

    # -- searching -------------------------------------------------------

    def find(self, nr: int, start: int, size: int) -> int:
        """Lowest ``p >= start`` with bits ``[p, p + nr)`` clear and ``p + nr <= size``, else -1."""
        bits = self._bits
        if nr < SHORTEST:
            return bits.find(ZEROS[nr], start, size)
        starts, levels = self._starts, self._levels
        # A fit of 32 bits or more lies in a listed run.  It starts that run,
        # unless the run holds ``start``: a fit starting inside a run could
        # start a bit earlier.
        if starts and start >= starts[0]:
            busy = bits.find(1, start, start + nr)
            if busy < 0:
                return start if start + nr <= size else -1
            index = bisect_right(starts, start)
        else:
            index = 0
        at_least = _AT_LEAST[_LEVEL[nr if nr < _CAP else _CAP]]
        while (match := at_least.search(levels, index)) is not None:
            index = match.start()
            run = starts[index]
            if run + nr > size:
                return -1
            # A level of 128 or more stands for a range of lengths: check this one.
            if levels[index] < 128 or bits.find(1, run, run + nr) < 0:
                self._found_at = run
                self._found_index = index
                return run
            index += 1
        return -1

    # -- keeping in step -------------------------------------------------

    def note_set(self, start: int, end: int) -> None:
        """Bits ``[start, end)``, all clear before, were set."""
        # The run lookups are written out here and in note_clear: a method
        # call costs as much as the find it would wrap, on every allocation.
        found_at, self._found_at = self._found_at, -1
        bits, starts, levels = self._bits, self._starts, self._levels
        if start == found_at:
            # The head of the run the last search found: no lookup needed,
            # and below 128 its level is its length.
            index = self._found_index
            before = 0
            level = levels[index]
            if level < 128:
                after = level - (end - start)
            else:
                stop = bits.find(1, end, end + _CAP)
                after = (stop if stop >= 0 else min(self._nbits, end + _CAP)) - end
        else:
            floor = start - _CAP if start > _CAP else 0
            run_start = bits.rfind(1, floor, start) + 1
            before = start - (run_start if run_start > floor else floor)
            stop = bits.find(1, end, end + _CAP)
            after = (stop if stop >= 0 else min(self._nbits, end + _CAP)) - end
            if before + (end - start) + after < SHORTEST:
                return  # the run was too short to be listed
            index = bisect_right(starts, start) - 1
        if before >= SHORTEST:
            levels[index] = _LEVEL[before if before < _CAP else _CAP]
            if after >= SHORTEST:
                starts.insert(index + 1, end)
                levels.insert(index + 1, _LEVEL[after if after < _CAP else _CAP])
        elif after >= SHORTEST:
            starts[index] = end
            levels[index] = _LEVEL[after if after < _CAP else _CAP]
        else:
            del starts[index]
            del levels[index]

    def note_clear(self, start: int, end: int) -> None:
        """Bits ``[start, end)``, all set before, were cleared."""
        self._found_at = -1
        bits = self._bits
        # Runs are measured no further than _CAP bits, past which levels are all alike.
        floor = start - _CAP if start > _CAP else 0
        run_start = bits.rfind(1, floor, start) + 1
        if run_start < floor:
            run_start = floor
        stop = bits.find(1, end, end + _CAP)
        if stop < 0:
            stop = min(self._nbits, end + _CAP)
        length = stop - run_start
        if length < SHORTEST:
            return
        starts, levels = self._starts, self._levels
        # Listed runs before ``start`` come before ``index``; the run after, if listed, starts at ``end``.
        index = bisect_left(starts, start)
        level = _LEVEL[length if length < _CAP else _CAP]
        if start - run_start >= SHORTEST:
            levels[index - 1] = level
            if stop - end >= SHORTEST:
                del starts[index]
                del levels[index]
        elif stop - end >= SHORTEST:
            starts[index] = run_start
            levels[index] = level
        else:
            starts.insert(index, run_start)
            levels.insert(index, level)
