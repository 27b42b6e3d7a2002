"""Argument checks shared by both APIs: each raises InvalidArgument with the value named."""

from __future__ import annotations

import operator

from .errors import InvalidArgument

__all__ = [
    "ADDRESS_LIMIT",
    "MASK64",
    "check_address",
    "check_nid",
    "check_order",
    "check_size",
    "integer",
]

ADDRESS_LIMIT = 1 << 64
#: ``x & MASK64``: ``x`` in 64-bit unsigned arithmetic, as the kernel computes addresses.
MASK64 = ADDRESS_LIMIT - 1


def integer(value: object, what: str) -> int:
    """An integer (not a bool), from anything with ``__index__``; InvalidArgument naming ``what`` otherwise."""
    if isinstance(value, bool):
        raise InvalidArgument(f"{what} must be an integer, not a bool")
    try:
        return operator.index(value)  # type: ignore[arg-type]  # what has no __index__ raises TypeError
    except TypeError:
        raise InvalidArgument(f"{what} must be an integer, not {type(value).__name__}") from None
    except Exception as exc:
        # A hostile ``__index__`` may raise anything; the caller still gets an error naming the argument.
        raise InvalidArgument(f"{what}: {type(value).__name__}.__index__ raised {type(exc).__name__}: {exc}") from exc


def check_size(value: object, what: str = "size") -> int:
    """A byte count: an integer in ``0 .. 2**64 - 1``."""
    size = integer(value, what)
    if not 0 <= size < ADDRESS_LIMIT:
        raise InvalidArgument(f"{what} {size} is outside 0 .. 2**64-1")
    return size


def check_address(value: object, what: str = "address") -> int:
    """A 64-bit address: an integer in ``0 .. 2**64 - 1``."""
    addr = integer(value, what)
    if not 0 <= addr < ADDRESS_LIMIT:
        raise InvalidArgument(
            f"{what} {addr:#x} is outside 0 .. 2**64-1" if addr >= 0 else f"{what} {addr} is negative"
        )
    return addr


def check_order(value: object) -> int:
    """A ``min_alloc_order``: an integer in ``0 .. 63``."""
    order = integer(value, "min_alloc_order")
    if not 0 <= order <= 63:
        raise InvalidArgument(f"min_alloc_order {order} is outside 0 .. 63")
    return order


def check_nid(value: object) -> int:
    """A NUMA node id: -1 (any node) or a node number."""
    nid = integer(value, "nid")
    if nid < -1:
        raise InvalidArgument(f"nid {nid} is neither -1 nor a node number")
    return nid
