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
    ``WARN_ON``).
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
    start_bit = bitmap.find_next_zero_area(size, start + offset_bit, nr, 0)
    if start_bit != offset_bit:
        start_bit = size
    return start_bit


@hookimpl
def genpool_register_algorithms(register: Any) -> None:
    """Register ``fixed_alloc``."""
    register("fixed_alloc", fixed_alloc, summary="the area at data.offset bytes into a chunk", data_type=FixedData)
