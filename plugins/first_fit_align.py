"""``first_fit_align``: the kernel's ``gen_pool_first_fit_align``."""

from __future__ import annotations

from typing import Any

from genpool.algorithm import AlignData
from genpool.bitmap import Bitmap
from genpool.hookspecs import hookimpl


def first_fit_align(bitmap: Bitmap, size: int, start: int, nr: int, data: AlignData, pool: Any, start_addr: int) -> int:
    """The lowest ``nr`` clear bits whose *address* is a multiple of ``data.align``.

    The alignment is of the absolute address: the search is offset by how
    far the chunk's start is from an aligned address.
    """
    order = pool.min_alloc_order
    align = data.align
    align_mask = ((align + (1 << order) - 1) >> order) - 1
    align_offset = (start_addr & (align - 1)) >> order
    return bitmap.find_next_zero_area_off(size, start, nr, align_mask, align_offset)


@hookimpl
def genpool_register_algorithms(register: Any) -> None:
    """Register ``first_fit_align``."""
    register(
        "first_fit_align",
        first_fit_align,
        summary="lowest free area at an address aligned to data.align",
        data_type=AlignData,
    )
