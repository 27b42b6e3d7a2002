"""``best_fit``: the kernel's ``gen_pool_best_fit``."""

from __future__ import annotations

from typing import Any

from genpool.bitmap import Bitmap
from genpool.hookspecs import hookimpl


def best_fit(bitmap: Bitmap, size: int, start: int, nr: int, data: Any, pool: Any, start_addr: int) -> int:
    """The smallest free run that holds ``nr`` bits, lowest on ties, within one chunk.

    Stops at the first run of exactly ``nr`` bits; returns ``size`` when
    nothing fits.  The search a pool makes (from bit 0 over the whole
    bitmap) is :meth:`~genpool.Bitmap.smallest_free_run`, which gives the
    same answer from an index on a large bitmap; any other is the
    kernel's loop.
    """
    if start == 0 and size == bitmap.nbits and nr:
        first, length = bitmap.smallest_free_run(nr)
        return first if length else size
    start_bit = size
    length = size + 1
    index = bitmap.find_next_zero_area(size, start, nr, 0)
    while index < size:
        next_bit = bitmap.find_next_bit(size, index + nr)
        if next_bit - index < length:
            length = next_bit - index
            start_bit = index
            if length == nr:
                return start_bit
        index = bitmap.find_next_zero_area(size, next_bit + 1, nr, 0)
    return start_bit


@hookimpl
def genpool_register_algorithms(register: Any) -> None:
    """Register ``best_fit``."""
    register("best_fit", best_fit, summary="smallest free run that fits, lowest address on ties")
