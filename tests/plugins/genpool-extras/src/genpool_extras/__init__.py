"""An example third-party genpool plugin.

- ``worst_fit``: allocate at the start of the largest free run (lowest on ties);
- ``lifetime``: a tracker recording when each allocation was made;
- ``event_counter``: an observer counting the events of the pools it watches.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import genpool


def worst_fit(bitmap: genpool.Bitmap, size: int, start: int, nr: int, data: Any, pool: Any, start_addr: int) -> int:
    """Start of the largest run of at least ``nr`` clear bits (lowest on ties), or ``size`` if none.

    What a pool asks -- from bit 0 over the whole bitmap -- is
    ``bitmap.largest_free_run()``, which a large bitmap answers from an
    index in a few C calls; any other range walks its free runs.
    """
    if start == 0 and size == bitmap.nbits:
        first, length = bitmap.largest_free_run()
        return first if length and length >= nr else size
    best_start, best_length = size, 0
    for first, length in bitmap.free_runs(start, size):
        if length >= nr and length > best_length:
            best_start, best_length = first, length
    return best_start


class LifetimeTracker:
    """Records the monotonic time of each allocation; reports its age."""

    def record(self, request: genpool.tracking.AllocRequest) -> float:
        """When the allocation was made."""
        return time.monotonic()

    def describe(self, value: float) -> dict[str, Any]:
        """``age``: seconds since the allocation."""
        return {"age": time.monotonic() - value}


class EventCounter:
    """Counts events by type name."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, event: genpool.events.Event) -> None:
        self.counts[type(event).__name__] += 1


event_counter = EventCounter()


@genpool.hookimpl
def genpool_register_algorithms(register: Any) -> None:
    """Register ``worst_fit``."""
    register("worst_fit", worst_fit, summary="largest free run first")


@genpool.hookimpl
def genpool_register_trackers(register: Any) -> None:
    """Register ``lifetime``."""
    register("lifetime", LifetimeTracker, summary="how long ago each allocation was made")


@genpool.hookimpl
def genpool_register_observers(register: Any) -> None:
    """Register ``event_counter``."""
    register("event_counter", event_counter, summary="counts events by type")
