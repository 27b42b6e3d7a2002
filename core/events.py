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
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgument

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
    "Observable",
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


def _quick_constructor(cls: type) -> Callable[..., Any]:
    """``cls(*field_values)`` for a frozen slots dataclass, at half the cost.

    The frozen ``__init__`` looks up ``object.__setattr__`` for every
    field; this stores each field through its slot descriptor.  An
    observed pool builds an event on every allocation and free, so the
    difference is a tenth of an allocation's cost.
    """
    names = [f.name for f in fields(cls)]
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    namespace.update({f"_set_{name}": getattr(cls, name).__set__ for name in names})
    lines = [f"def build({', '.join(names)}):", "    event = _new(_cls)"]
    lines += [f"    _set_{name}(event, {name})" for name in names]
    lines.append("    return event")
    exec("\n".join(lines), namespace)
    return namespace["build"]


#: Fast constructors for the two events of the allocation path (same values as the classes').
new_allocated = _quick_constructor(Allocated)
new_freed = _quick_constructor(Freed)


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


class Observable:
    """Observer bookkeeping for :class:`genpool.Pool` (which owns ``_lock`` and ``_observers``).

    ``_observers`` is a tuple, replaced whole under the lock, so the
    allocation path tests it without locking or calling anything.
    """

    __slots__ = ()
    _lock: Any
    _observers: tuple[ObserverSlot, ...]
    _label: Callable[[], str]

    def observe(self, observer: Observer | str) -> Observer:
        """Attach ``observer`` (a callable taking an Event, or a registered name); return the callable.

        See :mod:`genpool.events`.  With no observer attached the pool
        builds no events.
        """
        if isinstance(observer, str):
            from .host import get_host

            registration = get_host().observer(observer)
            slot = ObserverSlot(registration.obj, f"{observer!r} of plugin {registration.plugin!r}")
        elif callable(observer):
            slot = ObserverSlot(observer, repr(observer))
        else:
            raise InvalidArgument(f"an observer must be callable or a registered name, not {type(observer).__name__}")
        with self._lock:
            self._observers = (*self._observers, slot)
        return slot.callback

    def unobserve(self, observer: Observer) -> None:
        """Detach ``observer``; InvalidArgument if it is not attached."""
        with self._lock:
            kept = tuple(slot for slot in self._observers if slot.callback != observer)
            if len(kept) == len(self._observers):
                raise InvalidArgument(f"{observer!r} is not observing {self._label()}")
            self._observers = kept

    @property
    def observers(self) -> tuple[Observer, ...]:
        """The attached observers."""
        return tuple(slot.callback for slot in self._observers)

    def _deliver(self, event: Event) -> None:
        deliver(self._observers, event, self._detach)

    def _detach(self, slot: ObserverSlot) -> None:
        with self._lock:
            self._observers = tuple(other for other in self._observers if other is not slot)
