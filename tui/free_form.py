"""The free form: any address and size, as ``gen_pool_free`` takes them."""

from __future__ import annotations

import genpool
from textual.app import ComposeResult
from textual.widgets import Input

from .forms import FormScreen, field
from .values import parse_number

__all__ = ["FreeScreen"]


class FreeScreen(FormScreen):
    """Frees ``size`` bytes at an address; dismisses with ``(addr, size)``.

    A double free, or a range outside every chunk, is a PoolBug: the BUG
    modal opens over the form and the pool is unchanged.
    """

    heading = "Free"
    submit_label = "Free"

    def __init__(self, pool: genpool.Pool, addr: int | None = None, size: int | None = None) -> None:
        super().__init__()
        self.pool = pool
        self.initial_addr = addr
        self.initial_size = size

    def fields(self) -> ComposeResult:
        """The address and size to free."""
        addr = "" if self.initial_addr is None else f"{self.initial_addr:#x}"
        size = "" if self.initial_size is None else str(self.initial_size)
        yield field("address", Input(addr, id="f-addr"))
        yield field("size", Input(size, id="f-size", placeholder="bytes"))

    def apply(self) -> object:
        """Free them; a PoolBug goes to the BUG modal."""
        addr = parse_number(self.value("#f-addr"), "address", units=False)
        size = parse_number(self.value("#f-size"), "size")
        self.pool.free(addr, size)
        return addr, size
