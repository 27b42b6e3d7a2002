"""What happens to a pool, as events its observers receive.

An observer is any callable taking one :class:`Event`.  Attach one with
:meth:`genpool.Pool.observe`.  Observers are called synchronously, in
the thread that changed the pool, after the pool's lock is released;
``seq`` orders events across threads.  With no observer attached a pool
builds no event at all.

An observer that raises never breaks the operation: the first failure
is reported as an :class:`ObserverWarning` naming the observer (and the
plugin that registered it), and after :data:`MAX_FAILURES` failures in a
row it is detached.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chunk import Chunk
    from .pool import Pool

__all__ = [
    "MAX_FAILURES",
    "AlgorithmSet",
    "Allocated",
    "BugRaised",
    "ChunkAdded",
    "Destroyed",
    "Event",
    "Freed",
    "Observer",
    "ObserverWarning",
]

#: Consecutive failures after which an observer is detached.
MAX_FAILURES = 3

_sequence = itertools.count(1)
next_seq = _sequence.__next__


class ObserverWarning(UserWarning):
    """An observer raised; the operation went on without it."""


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to ``pool``; ``seq`` increases across all pools."""

    pool: Pool
    seq: int


@dataclass(frozen=True, slots=True)
class ChunkAdded(Event):
    """A chunk was added (it is now first in ``pool.chunks``)."""

    chunk: Chunk


@dataclass(frozen=True, slots=True)
class Allocated(Event):
    """``size`` bytes were allocated at ``addr`` (``nbytes`` after rounding to granules)."""

    chunk: Chunk
    addr: int
    size: int
    nbytes: int
    algorithm: str
    owner: Any


@dataclass(frozen=True, slots=True)
class Freed(Event):
    """``free(addr, size)`` cleared ``nbytes`` from ``start`` (``addr`` rounded down to a granule)."""

    chunk: Chunk
    addr: int
    size: int
    start: int
    nbytes: int


@dataclass(frozen=True, slots=True)
class AlgorithmSet(Event):
    """The pool's default algorithm became ``algorithm``."""

    algorithm: str


@dataclass(frozen=True, slots=True)
class Destroyed(Event):
    """The pool was destroyed."""


@dataclass(frozen=True, slots=True)
class BugRaised(Event):
    """A :class:`genpool.PoolBug` was raised (the pool is unchanged)."""

    message: str
    outstanding: tuple[Any, ...] = ()


Observer = Callable[[Event], object]


class ObserverSlot:
    """An attached observer and its failure count."""

    __slots__ = ("callback", "label", "failures")

    def __init__(self, callback: Observer, label: str) -> None:
        self.callback = callback
        self.label = label
        self.failures = 0


def deliver(slots: tuple[ObserverSlot, ...], event: Event, detach: Callable[[ObserverSlot], None]) -> None:
    """Call every observer with ``event``; report and eventually detach the failing ones."""
    for slot in slots:
        try:
            slot.callback(event)
        except Exception as exc:
            slot.failures += 1
            if slot.failures == 1:
                warnings.warn(
                    f"observer {slot.label} raised {type(exc).__name__}: {exc}", ObserverWarning, stacklevel=4
                )
            if slot.failures >= MAX_FAILURES:
                detach(slot)
        else:
            slot.failures = 0
