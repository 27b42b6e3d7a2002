"""``fixed_alloc``: the kernel's ``gen_pool_fixed_alloc``."""

from __future__ import annotations

import warnings
from typing import Any

from genpool.algorithm import FixedData
from genpool.bitmap import Bitmap
from genpool.errors import KernelWarning
from genpool.hookspecs import hookimpl


def fixed_alloc(bitmap: Bitmap, size: int, start: int, nr: int, data: FixedData, pool: Any, start_addr: int) -> int:
    """Exactly ``data.offset`` bytes into the chunk, if those ``nr`` bits are clear.

    The offset is relative to each chunk's start, so the pool tries it in
    every chunk in turn.  An offset that is not a whole number of granules
    is refused with a :class:`~genpool.KernelWarning` (the kernel's
    ``WARN_ON``).  Looks only at the ``nr`` bits asked for, so it takes
    the same time in a chunk of any size.
    """
    order = pool.min_alloc_order
    offset_bit = data.offset >> order
    if data.offset & ((1 << order) - 1):
        warnings.warn(
            f"fixed_alloc: offset {data.offset:#x} is not a multiple of the {1 << order}-byte granule",
            KernelWarning,
            stacklevel=2,
        )
        return size
    if nr == 0:
        start_bit = bitmap.find_next_zero_area(size, start + offset_bit, nr, 0)
        return start_bit if start_bit == offset_bit else size
    # The kernel's first fit from ``start + offset_bit`` lands on ``offset_bit``
    # only when ``start`` is 0 and those bits are clear (test just them), or
    # when its failure value past an empty range, ``size + nr``, happens to.
    end = offset_bit + nr
    if start or end > size:
        return offset_bit if start + offset_bit >= size and size + nr == offset_bit else size
    return offset_bit if bitmap.find_next_bit(end, offset_bit) == end else size


@hookimpl
def genpool_register_algorithms(register: Any) -> None:
    """Register ``fixed_alloc``."""
    register("fixed_alloc", fixed_alloc, summary="the area at data.offset bytes into a chunk", data_type=FixedData)
