"""A list of the long free runs of a bitmap, for exact first fit in mid-sized chunks.

:class:`RunList` answers the same question as
:class:`~genpool.runindex.RunIndex` -- the lowest index at or after
``start`` where ``nr`` clear bits begin -- for bitmaps of up to 2**20
bits, where a pool usually has a few hundred free runs.

It keeps every maximal run of at least 40 clear bits, in address order:
its start and length in two ``array('I')``, and its length on the log
scale of :mod:`genpool.levels` in a byte string.  First fit for
``nr >= 40`` bits is the first listed run of at least ``nr`` bits, which
one regular-expression search over the level bytes finds in C.
Requests for fewer bits search the bitmap itself: their first fit is
near its first clear bit.

Shorter runs are left out so that the list stays small however finely
a chunk is fragmented: at most one entry per 41 bits, 9 bytes each.
Every set and clear keeps the list exact, mostly from the list itself;
a search remembers where in the list it found its run, so that taking
that run -- what a pool does next -- costs no second lookup.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right

from .levels import AT_LEAST, CAP, LEVEL, ZEROS

__all__ = ["SHORTEST", "RunList"]

#: Runs shorter than this are not listed.
SHORTEST = 40


class RunList:
    """First-fit search over a ``bytearray`` of 0/1 bytes, with a list of its long free runs.

    The owner calls :meth:`note_set` after setting bits and
    :meth:`note_clear` after clearing them.
    """

    __slots__ = ("_bits", "_nbits", "_starts", "_lengths", "_levels", "_found")

    def __init__(self, bits: bytearray) -> None:
        if len(bits) >= 1 << 32:
            raise ValueError("RunList keeps run starts and lengths in 32 bits")
        self._bits = bits
        self._nbits = len(bits)
        self._starts = array("I")
        self._lengths = array("I")
        self._levels = bytearray()
        # Where in the list the last search found its run: the place to look first when it is taken.
        self._found = 0
        pos = bits.find(0)
        while pos >= 0:
            end = bits.find(1, pos)
            if end < 0:
                end = self._nbits
            if end - pos >= SHORTEST:
                self._starts.append(pos)
                self._lengths.append(end - pos)
                self._levels.append(LEVEL[min(end - pos, CAP)])
            pos = bits.find(0, end)

    def footprint(self) -> int:
        """Bytes of memory the list takes."""
        return (self._starts.itemsize + self._lengths.itemsize + 1) * len(self._starts)

    # -- searching -------------------------------------------------------

    def find(self, nr: int, start: int, size: int) -> int:
        """Lowest ``p >= start`` with bits ``[p, p + nr)`` clear and ``p + nr <= size``, else -1."""
        bits = self._bits
        if nr < SHORTEST:
            return bits.find(ZEROS[nr], start, size)
        starts, lengths = self._starts, self._lengths
        # A fit this long lies in a listed run.  It starts that run, unless
        # the run holds ``start``: a fit starting inside a run could start a
        # bit earlier.
        if starts and start >= starts[0]:
            busy = bits.find(1, start, start + nr)
            if busy < 0:
                return start if start + nr <= size else -1
            index = bisect_right(starts, start)
        else:
            index = 0
        levels = self._levels
        at_least = AT_LEAST[LEVEL[nr if nr < CAP else CAP]]
        while (match := at_least.search(levels, index)) is not None:
            index = match.start()
            run = starts[index]
            if run + nr > size:
                return -1
            # A level of 128 or more stands for a range of lengths.
            if lengths[index] >= nr:
                self._found = index
                return run
            index += 1
        return -1

    def may_hold(self, nr: int) -> bool:
        """False when no run of ``nr`` clear bits exists (runs too short to list always may)."""
        return nr < SHORTEST or AT_LEAST[LEVEL[nr if nr < CAP else CAP]].search(self._levels) is not None

    # -- keeping in step -------------------------------------------------

    def note_set(self, start: int, end: int) -> None:
        """Bits ``[start, end)``, all clear before, were set."""
        starts, lengths = self._starts, self._lengths
        index = self._found
        if index >= len(starts) or starts[index] != start:
            # Not the head of the run the last search found: look it up.
            index = bisect_right(starts, start) - 1
            if index < 0 or starts[index] + lengths[index] <= start:
                return  # inside a run too short to be listed
        run = starts[index]
        before = start - run
        after = run + lengths[index] - end
        levels = self._levels
        if before >= SHORTEST:
            lengths[index] = before
            levels[index] = LEVEL[before if before < CAP else CAP]
            if after >= SHORTEST:
                starts.insert(index + 1, end)
                lengths.insert(index + 1, after)
                levels.insert(index + 1, LEVEL[after if after < CAP else CAP])
        elif after >= SHORTEST:
            starts[index] = end
            lengths[index] = after
            levels[index] = LEVEL[after if after < CAP else CAP]
        else:
            del starts[index]
            del lengths[index]
            del levels[index]

    def note_clear(self, start: int, end: int) -> None:
        """Bits ``[start, end)``, all set before, were cleared."""
        bits, starts, lengths = self._bits, self._starts, self._lengths
        # Listed runs before ``start`` come before ``index``; the run after,
        # if listed, starts at ``end``.  A neighbour that is not listed is
        # either set or a short run, found within SHORTEST bits.
        index = bisect_left(starts, start)
        if index and starts[index - 1] + lengths[index - 1] == start:
            run_start = starts[index - 1]
            left = True
        else:
            floor = start - SHORTEST if start > SHORTEST else 0
            run_start = bits.rfind(1, floor, start) + 1 if start and bits[start - 1] == 0 else start
            left = False
        if index < len(starts) and starts[index] == end:
            stop = end + lengths[index]
            right = True
        else:
            stop = end
            if end < self._nbits and bits[end] == 0:
                stop = bits.find(1, end, end + SHORTEST)
                if stop < 0:
                    stop = min(self._nbits, end + SHORTEST)
            right = False
        length = stop - run_start
        if length < SHORTEST:
            return
        levels = self._levels
        level = LEVEL[length if length < CAP else CAP]
        if left:
            lengths[index - 1] = length
            levels[index - 1] = level
            if right:
                del starts[index]
                del lengths[index]
                del levels[index]
        elif right:
            starts[index] = run_start
            lengths[index] = length
            levels[index] = level
        else:
            starts.insert(index, run_start)
            lengths.insert(index, length)
            levels.insert(index, level)
