"""Algorithms, trackers and observers that misbehave in every way a pool must survive.

Each is harmless until a pool asks for it by name.
"""

from __future__ import annotations

from typing import Any

import genpool


def raises(bitmap: Any, size: int, start: int, nr: int, data: Any, pool: Any, start_addr: int) -> int:
    """Raises instead of searching."""
    raise ValueError("hostile algorithm")


def sets_bits(bitmap: Any, size: int, start: int, nr: int, data: Any, pool: Any, start_addr: int) -> int:
    """Marks bits itself through the bitmap's set(), then answers elsewhere."""
    bitmap.set(0, 5)
    return 8


def writes_raw(bitmap: Any, size: int, start: int, nr: int, data: Any, pool: Any, start_addr: int) -> int:
    """Writes the live bits through ``raw``."""
    bitmap.raw[0:5] = b"\x01" * 5
    return 8


def reenters(bitmap: Any, size: int, start: int, nr: int, data: Any, pool: Any, start_addr: int) -> int:
    """Asks its own pool a question that takes the pool's lock."""
    pool.allocations()
    return bitmap.find_next_zero_area(size, start, nr)


def allocates_inside(bitmap: Any, size: int, start: int, nr: int, data: Any, pool: Any, start_addr: int) -> int:
    """Allocates from its own pool while searching for it."""
    pool.alloc(1, algo="first_fit")
    return bitmap.find_next_zero_area(size, start, nr)


class RaisingRecord:
    """A tracker whose record() raises."""

    def record(self, request: Any) -> Any:
        raise KeyError("hostile record")

    def describe(self, value: Any) -> dict[str, Any]:
        return {}


class RaisingDescribe:
    """A tracker whose describe() raises."""

    def record(self, request: Any) -> Any:
        return "recorded"

    def describe(self, value: Any) -> dict[str, Any]:
        raise ZeroDivisionError("hostile describe")


class ListDescribe:
    """A tracker whose describe() returns a list, not a mapping."""

    def record(self, request: Any) -> Any:
        return 1

    def describe(self, value: Any) -> Any:
        return ["not", "a", "mapping"]


class ReentrantRecord:
    """A tracker whose record() reads its own pool's allocations."""

    def record(self, request: Any) -> Any:
        return len(request.pool.allocations())

    def describe(self, value: Any) -> dict[str, Any]:
        return {"seen": value}


class ReentrantDescribe:
    """A tracker whose describe() reads its own pool's allocations."""

    def record(self, request: Any) -> Any:
        return request.pool

    def describe(self, value: Any) -> dict[str, Any]:
        return {"count": len(value.allocations())}


def raising_observer(event: Any) -> None:
    """Raises on every event."""
    raise RuntimeError("hostile observer")


def reentrant_observer(event: Any) -> None:
    """Reads the pool the event came from (observers run outside the lock, so this works)."""
    event.pool.allocations()


@genpool.hookimpl
def genpool_register_algorithms(register: Any) -> None:
    """Register the hostile algorithms."""
    for function in (raises, sets_bits, writes_raw, reenters, allocates_inside):
        register(f"hostile_{function.__name__}", function, summary=function.__doc__.splitlines()[0])


@genpool.hookimpl
def genpool_register_trackers(register: Any) -> None:
    """Register the hostile trackers."""
    for name, tracker in (
        ("hostile_record", RaisingRecord),
        ("hostile_describe", RaisingDescribe),
        ("hostile_list_describe", ListDescribe),
        ("hostile_reentrant_record", ReentrantRecord),
        ("hostile_reentrant_describe", ReentrantDescribe),
    ):
        register(name, tracker, summary=tracker.__doc__)


@genpool.hookimpl
def genpool_register_observers(register: Any) -> None:
    """Register the hostile observers."""
    register("hostile_raising", raising_observer, summary="raises on every event")
    register("hostile_reentrant", reentrant_observer, summary="reads the pool from inside an event")
