"""What happens to a pool, as events its observers receive.

An observer is any callable taking one :class:`Event`.  Attach one with
:meth:`genpool.Pool.observe`.  Observers are called synchronously, in
the thread that changed the pool, after the pool's lock is released;
``seq`` orders events across threads.  With no observer attached a pool
builds no event at all.

An observer that raises never breaks the operation, whatever the
warnings filter: the first failure is reported as an
:class:`ObserverWarning` naming the observer (and the plugin that
registered it; to the ``genpool`` logger when warnings are errors), and
after :data:`MAX_FAILURES` failures in a row it is detached.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import InvalidArgument, explain, report
from .reprs import record_repr

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


class Event:
    """Something that happened to ``pool``; ``seq`` increases across all pools.

    Every event is an immutable named tuple whose first two fields are
    ``pool`` and ``seq``; the rest depend on the kind of event.  A tuple
    can be built in one C call, which matters on every allocation of an
    observed pool (a frozen dataclass costs five times as much).
    """

    __slots__ = ()
    pool: Pool
    seq: int


class _ChunkAdded(NamedTuple):
    pool: Pool
    seq: int
    chunk: Chunk


class ChunkAdded(_ChunkAdded, Event):
    """A chunk was added (it is now first in ``pool.chunks``)."""

    __slots__ = ()


class _Allocated(NamedTuple):
    pool: Pool
    seq: int
    chunk: Chunk
    addr: int
    size: int
    nbytes: int
    algorithm: str
    owner: Any


class Allocated(_Allocated, Event):
    """``size`` bytes were allocated at ``addr`` (``nbytes`` after rounding to granules)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return record_repr(self, self._fields)


class _Freed(NamedTuple):
    pool: Pool
    seq: int
    chunk: Chunk
    addr: int
    size: int
    start: int
    nbytes: int


class Freed(_Freed, Event):
    """``free(addr, size)`` cleared ``nbytes`` from ``start`` (``addr`` rounded down to a granule)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return record_repr(self, self._fields)


class _AlgorithmSet(NamedTuple):
    pool: Pool
    seq: int
    algorithm: str


class AlgorithmSet(_AlgorithmSet, Event):
    """The pool's default algorithm became ``algorithm``."""

    __slots__ = ()


class _Destroyed(NamedTuple):
    pool: Pool
    seq: int


class Destroyed(_Destroyed, Event):
    """The pool was destroyed."""

    __slots__ = ()


class _BugRaised(NamedTuple):
    pool: Pool
    seq: int
    message: str
    outstanding: Sequence[Any] = ()


class BugRaised(_BugRaised, Event):
    """A :class:`genpool.PoolBug` was raised (the pool is unchanged)."""

    __slots__ = ()


Observer = Callable[[Event], object]


class ObserverSlot:
    """An attached observer and its failure count."""

    __slots__ = ("callback", "label", "failures")

    def __init__(self, callback: Observer, label: str) -> None:
        self.callback = callback
        self.label = label
        self.failures = 0


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
            self._observers = (*self._observers, slot)  # type: ignore[misc]  # a slot of Pool
        return slot.callback

    def unobserve(self, observer: Observer) -> None:
        """Detach ``observer``; InvalidArgument if it is not attached."""
        with self._lock:
            kept = tuple(slot for slot in self._observers if slot.callback != observer)
            if len(kept) == len(self._observers):
                raise InvalidArgument(f"{observer!r} is not observing {self._label()}")
            self._observers = kept  # type: ignore[misc]  # a slot of Pool

    @property
    def observers(self) -> tuple[Observer, ...]:
        """The attached observers."""
        return tuple(slot.callback for slot in self._observers)

    def _deliver(self, event: Event) -> None:
        """Call every observer with ``event`` (outside the pool's lock)."""
        for slot in self._observers:
            try:
                slot.callback(event)
            except Exception as exc:
                self._observer_failed(slot, exc)
            else:
                if slot.failures:
                    slot.failures = 0

    def _observer_failed(self, slot: ObserverSlot, exc: Exception) -> None:
        """Report an observer's first failure in a row; detach it after MAX_FAILURES."""
        slot.failures += 1
        if slot.failures == 1:
            # report(), not warnings.warn: under an "error" filter the warning would raise here, after the
            # operation succeeded, and its caller would lose the result (an allocation would leak).
            report(f"observer {slot.label} raised {explain(exc)}", ObserverWarning, stacklevel=5)
        if slot.failures >= MAX_FAILURES:
            with self._lock:
                self._observers = tuple(other for other in self._observers if other is not slot)  # type: ignore[misc]
