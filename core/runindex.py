"""An index that finds the first run of free bits in a large bitmap fast.

:class:`RunIndex` answers one question -- the lowest index at or after
``start`` where ``nr`` clear bits begin -- with exactly the answer a scan
from ``start`` gives, while skipping the parts of the bitmap that cannot
hold it.  The bitmap stores one byte per bit (0 clear, 1 set).

The bitmap is cut into blocks of 512 bits.  Every maximal run of clear
bits belongs to the block where it starts, and ``longest[b]`` is an upper
bound on the length of the longest run that starts in block ``b`` (capped
at 4095; longer requests look among the capped blocks).  A first fit at or after ``start`` is either inside the run
that holds ``start`` or at the start of the first later run long enough,
so the search tests the first case directly and then looks for the first
block whose bound reaches ``nr``.

Keeping the bounds costs little per change.  Setting bits splits a run:
its first part still starts where it did and only got shorter (the old
bound still holds), and the rest starts a new run, whose block's bound is
raised.  When the bits taken are the head of a run -- what first fit
does -- that run may be what its block's bound counted, so the block is
measured again.  Clearing bits merges runs: the merged run's block's
bound is raised; a run swallowed by the merge stops starting anywhere
(its bound now only over-estimates).  A search that meets a bound that
was too high measures that block again.

Reading ``longest`` one entry at a time from Python would be slow, so two
byte strings stand above it: ``levels[b]``, the bound on a log scale that
rounds up (exact below 128), and ``groups[g]``, an upper bound on the
levels of 64 consecutive blocks.  A regular expression for "a byte of
at least this level" scans them in C.
"""

from __future__ import annotations

from array import array

from .levels import AT_LEAST, CAP, LEVEL, ZEROS

__all__ = ["RunIndex"]

_SHIFT = 9
_BLOCK = 1 << _SHIFT
_GROUP_SHIFT = 6
_GROUP = 1 << _GROUP_SHIFT
# Runs _rescan measures one by one before it searches instead.
_RUNS_MEASURED = 4


class RunIndex:
    """First-fit search over a ``bytearray`` of 0/1 bytes, with per-block bounds.

    The owner keeps the index in step by calling :meth:`note_set` after
    setting bits and :meth:`note_clear` after clearing them.
    """

    __slots__ = ("_bits", "_nbits", "_longest", "_levels", "_groups", "_top")

    def __init__(self, bits: bytearray) -> None:
        nbits = len(bits)
        nblocks = (nbits + _BLOCK - 1) >> _SHIFT
        self._bits = bits
        self._nbits = nbits
        self._longest = array("H", [0]) * nblocks
        self._levels = bytearray(nblocks)
        self._groups = bytearray((nblocks + _GROUP - 1) >> _GROUP_SHIFT)
        # Every bit from here on is clear (an upper bound on the end of the last set bit): lets the
        # note of a fill, which sets bits at the end of all the set ones, skip looking past them.
        self._top = bits.rfind(1) + 1
        self._rebuild()

    def footprint(self) -> int:
        """Bytes of memory the index takes."""
        return self._longest.itemsize * len(self._longest) + len(self._levels) + len(self._groups)

    def _rebuild(self) -> None:
        """Derive every bound from the bits."""
        bits = self._bits
        pos = bits.find(0)
        while pos >= 0:
            end = bits.find(1, pos)
            if end < 0:
                end = self._nbits
            self._raise(pos, end - pos)
            pos = bits.find(0, end)

    # -- searching -------------------------------------------------------

    def find(self, nr: int, start: int, size: int) -> int:
        """Lowest ``p >= start`` with bits ``[p, p + nr)`` clear and ``p + nr <= size``, else -1."""
        bits = self._bits
        longest = self._longest
        need = nr if nr <= CAP else CAP
        busy = bits.find(1, start, start + nr)
        if busy < 0:
            return start if start + nr <= size else -1
        needle = ZEROS[nr]
        block = (start >> _SHIFT) + 1
        if longest[block - 1] >= need:
            # A run long enough may start later in the block of ``start``.
            limit = (block << _SHIFT) + nr - 1
            found = bits.find(needle, busy + 1, limit if limit < size else size)
            if found >= 0:
                return found
        last = (size - nr) >> _SHIFT
        if block > last:
            return -1
        levels, groups = self._levels, self._groups
        # Runs longer than the cap are looked for among the capped blocks.
        level = LEVEL[need]
        at_least = AT_LEAST[level]
        exact = size == self._nbits and nr <= CAP
        group = block >> _GROUP_SHIFT
        last_group = last >> _GROUP_SHIFT
        while True:
            group_start = group << _GROUP_SHIFT
            group_end = min(group_start + _GROUP, last + 1)
            if groups[group] >= level:
                pos = block
                while (match := at_least.search(levels, pos, group_end)) is not None:
                    candidate = match.start()
                    pos = candidate + 1
                    if longest[candidate] < need:
                        continue
                    lo = candidate << _SHIFT
                    limit = lo + _BLOCK + nr - 1
                    found = bits.find(needle, lo, limit if limit < size else size)
                    if found >= 0:
                        return found
                    if exact:
                        self._rescan(candidate)
                if exact and block == group_start and group_end == group_start + _GROUP:
                    groups[group] = max(levels[group_start:group_end])
            if group >= last_group:
                return -1
            match = at_least.search(groups, group + 1, last_group + 1)
            if match is None:
                return -1
            group = match.start()
            block = group << _GROUP_SHIFT

    def may_hold(self, nr: int) -> bool:
        """False when no run of ``nr`` clear bits can exist (a cheap look at the group bounds)."""
        return AT_LEAST[LEVEL[nr if nr <= CAP else CAP]].search(self._groups) is not None

    # -- keeping in step -------------------------------------------------

    def _rescan(self, block: int) -> None:
        """Set the bound of ``block`` to the true length of its longest run.

        A few runs are measured one by one; a block of many short runs is
        searched instead for ever longer stretches of clear bits, which
        costs a handful of ``bytes.find`` calls however many runs it has.
        """
        bits = self._bits
        nbits = self._nbits
        lo = block << _SHIFT
        hi = lo + _BLOCK
        if hi > nbits:
            hi = nbits
        pos = lo
        if pos and bits[pos - 1] == 0:
            # The run under way at the block's start began in an earlier block.
            pos = bits.find(1, pos, hi)
        longest = 0
        for _ in range(_RUNS_MEASURED):
            if pos < 0:
                break
            pos = bits.find(0, pos, hi)
            if pos < 0:
                break
            stop = bits.find(1, pos, pos + CAP)
            if stop < 0:
                stop = min(nbits, pos + CAP)
            if stop - pos > longest:
                longest = stop - pos
            pos = stop if stop < hi else -1
        else:
            if pos >= 0:
                # Runs starting in [pos, hi) are not measured yet; a longer
                # stretch of clear bits starting there can only be one of them.
                step = 1
                while longest < CAP:
                    length = min(CAP, longest + step)
                    if bits.find(ZEROS[length], pos, hi + length - 1) < 0:
                        if step == 1:
                            break
                        step = 1
                        continue
                    longest = length
                    step *= 2
        self._longest[block] = longest
        self._levels[block] = LEVEL[longest]

    def _raise(self, run_start: int, length: int) -> None:
        """A run of ``length`` clear bits now starts at ``run_start``."""
        block = run_start >> _SHIFT
        if length > CAP:
            length = CAP
        if self._longest[block] < length:
            self._longest[block] = length
            level = LEVEL[length]
            if self._levels[block] < level:
                self._levels[block] = level
                group = block >> _GROUP_SHIFT
                if self._groups[group] < level:
                    self._groups[group] = level

    def note_set(self, start: int, end: int) -> None:
        """Bits ``[start, end)``, all clear before, were set."""
        bits = self._bits
        longest = self._longest
        first = start >> _SHIFT
        top = self._top
        if end > top:
            self._top = end
        if (
            end + CAP <= self._nbits
            and (start == 0 or bits[start - 1] == 1)
            and (start >= top or bits.find(1, end, end + CAP) < 0)
        ):
            # The head of a long run, as when filling an empty chunk: the rest
            # of the run still reaches the cap, and now starts at ``end``.
            if end >> _SHIFT != first:
                if longest[end >> _SHIFT] != CAP:
                    self._raise(end, CAP)
                if bits.find(0, first << _SHIFT, start) < 0:
                    longest[first] = 0  # left wholly set: no run starts there now
                    self._levels[first] = 0
            return
        inner_first = first + 1 if start & (_BLOCK - 1) else first
        inner_end = end >> _SHIFT
        if inner_first < inner_end:
            # Blocks now wholly set start no run at all.
            count = inner_end - inner_first
            longest[inner_first:inner_end] = array("H", [0]) * count
            self._levels[inner_first:inner_end] = bytes(count)
        # A first fit takes the head of a run, which may be what the bound
        # of its block counted: then count that block again, while it is
        # cheap, rather than let searches trip over a stale bound.
        head = (start == 0 or bits[start - 1] == 1) and not inner_first <= first < inner_end
        if end < self._nbits and bits[end] == 0:
            stop = bits.find(1, end, end + CAP)
            if stop < 0:
                stop = min(self._nbits, end + CAP)
            rest = stop - end
            if longest[end >> _SHIFT] < rest:
                self._raise(end, rest)
            if end >> _SHIFT == first and longest[first] == rest:
                # The bound is the length of a run the block still starts: exact.
                head = False
            run_length = stop - start
        else:
            run_length = end - start
        if head and longest[first] <= run_length:
            if end >> _SHIFT != first and bits.find(0, first << _SHIFT, start) < 0:
                # Set from ``start`` to its end and with nothing clear before: no run starts here.
                longest[first] = 0
                self._levels[first] = 0
            else:
                self._rescan(first)

    def note_clear(self, start: int, end: int) -> None:
        """Bits ``[start, end)``, all set before, were cleared."""
        bits = self._bits
        floor = start - CAP
        run_start = bits.rfind(1, floor if floor > 0 else 0, start) + 1
        if (run_start == 0 and floor > 0) or self._longest[run_start >> _SHIFT] == CAP:
            # The merged run's block has the largest bound there is already.
            return
        stop = bits.find(1, end, run_start + CAP)
        self._raise(run_start, (stop if stop >= 0 else min(self._nbits, run_start + CAP)) - run_start)
