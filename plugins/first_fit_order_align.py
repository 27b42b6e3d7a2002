"""``first_fit_order_align``: the kernel's ``gen_pool_first_fit_order_align``."""

from __future__ import annotations

from typing import Any

from genpool.bitmap import Bitmap
from genpool.hookspecs import hookimpl


def first_fit_order_align(bitmap: Bitmap, size: int, start: int, nr: int, data: Any, pool: Any, start_addr: int) -> int:
    """The lowest ``nr`` clear bits starting at a multiple of ``nr`` rounded up to a power of two.

    The multiple counts from the chunk's first bit, not from address 0,
    and only ``nr`` bits are taken.
    """
    align_mask = (1 << (nr - 1).bit_length()) - 1 if nr else 0
    return bitmap.find_next_zero_area(size, start, nr, align_mask)


@hookimpl
def genpool_register_algorithms(register: Any) -> None:
    """Register ``first_fit_order_align``."""
    register(
        "first_fit_order_align",
        first_fit_order_align,
        summary="lowest free area aligned to its size rounded up to a power of two",
    )
