"""``first_fit``: the kernel's ``gen_pool_first_fit``, the default algorithm."""

from __future__ import annotations

from typing import Any

from genpool.bitmap import Bitmap
from genpool.hookspecs import hookimpl


def first_fit(bitmap: Bitmap, size: int, start: int, nr: int, data: Any, pool: Any, start_addr: int) -> int:
    """The lowest ``nr`` clear bits at or after ``start``, with no alignment."""
    return bitmap.find_next_zero_area(size, start, nr)


@hookimpl
def genpool_register_algorithms(register: Any) -> None:
    """Register ``first_fit``."""
    register("first_fit", first_fit, summary="lowest free area that fits (the kernel's default)")
