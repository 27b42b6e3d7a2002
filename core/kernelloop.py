"""The kernel's ``bitmap_find_next_zero_area_off`` loop, and its failure values found fast.

When no area fits, the kernel's loop returns a value past ``size`` that
depends on the path it took; :class:`~genpool.Bitmap` returns exactly that
value.  Walking the loop over a large fragmented bitmap would cost time in
proportion to the bitmap, so these functions work out where the loop can
resume, or what it returns, from a few searches of the bits (one byte per
bit, 0 clear).
"""

from __future__ import annotations

from .args import MASK64

__all__ = ["first_fit_failure", "kernel_loop", "last_merge"]

_SET_THEN_CLEAR = b"\x01\x00"


def _next_zero(bits: bytearray, size: int, start: int) -> int:
    """``find_next_zero_bit``: first clear bit in ``[start, size)``, else ``size``."""
    if start >= size:
        return size
    found = bits.find(0, start, size)
    return size if found < 0 else found


def first_fit_failure(bits: bytearray, size: int, start: int, nr: int) -> int:
    """The kernel's failure value for an unaligned search with no answer.

    The kernel's loop visits the free run holding the first clear bit
    at or after ``start``, then the start of every later free run, and
    gives up at the first one that begins past ``size - nr``.
    """
    last_fit = size - nr + 1
    first_clear = _next_zero(bits, size, start)
    if first_clear >= last_fit:
        return first_clear + nr
    edge = bits.find(_SET_THEN_CLEAR, last_fit - 1, size)
    return (edge + 1 if edge >= 0 else size) + nr


def last_merge(bits: bytearray, size: int, start: int, nr: int, mask: int, offset: int) -> int:
    """Where the kernel's loop can resume with the same result, when nothing fits.

    Every candidate of the loop is an aligned index, and the loop stops
    at the first past ``size - nr``.  Take an aligned index ``p <= size
    - nr`` with a set bit in ``[p - stride, p]``: no earlier candidate's
    window is clear up to ``p``, so the loop reaches ``p`` as if
    restarted there.  The last such ``p`` follows the last set bit at
    or before ``size - nr``; past it all is clear up to there, and the
    loop ends within a few steps.
    """
    stride = mask + 1
    limit = size - nr
    if limit < start:
        return start
    last_set = bits.rfind(1, 0, limit + 1)
    if last_set < 0:
        return start
    resume = ((last_set + offset + mask) & ~mask) - offset
    if resume > limit:
        # Aligned past the limit: the merge point is before the previous aligned index.
        previous = resume - stride
        last_set = bits.rfind(1, 0, previous + 1) if previous >= 0 else -1
        if last_set < 0:
            return start
        resume = ((last_set + offset + mask) & ~mask) - offset
    return resume if resume > start else start


def kernel_loop(bits: bytearray, size: int, start: int, nr: int, mask: int, offset: int) -> int:
    """``bitmap_find_next_zero_area_off`` step by step, in 64-bit arithmetic."""
    while True:
        index = _next_zero(bits, size, start)
        index = (((index + offset + mask) & ~mask & MASK64) - offset) & MASK64
        end = (index + nr) & MASK64
        if end > size:
            return end
        busy = bits.find(1, index, end) if index < end else -1
        if busy < 0:
            return index
        start = busy + 1
