"""A pool's lock, which refuses re-entry from the thread holding it instead of deadlocking.

Algorithms and trackers run while their pool is locked.  One that calls
back into the same pool (``pool.allocations()`` from a tracker's
``record``, ``pool.alloc()`` from an algorithm) would wait for ever for a
lock its own thread holds; genpool raises :class:`PluginError` at once
instead.  Re-entry is refused rather than supported because the pool is
half-way through a change at that point (bits set, ``avail`` not yet
updated), and nothing good comes of changing it again from inside.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .errors import PluginError

__all__ = ["PoolLock"]

_get_ident = threading.get_ident


class PoolLock:
    """A non-reentrant lock that knows which thread holds it.

    ``with lock:`` checks for re-entry.  The allocation and free paths
    call :attr:`acquire` and :attr:`release`, the bound methods of the
    underlying C lock, directly, and :meth:`wait` instead when
    :attr:`holder` is set; a path that runs plugin code sets
    :attr:`holder` while it holds the lock, and clears it before
    releasing.  Re-entry can only come from plugin code, so a thread that
    finds no holder cannot be holding the lock itself and may block.
    """

    __slots__ = ("acquire", "release", "holder", "_label")

    def __init__(self, label: Callable[[], str]) -> None:
        lock = threading.Lock()
        self.acquire = lock.acquire
        self.release = lock.release
        # The thread id that holds the lock, or None.  Only the holder sets
        # it and it is cleared before release, so a thread that reads its own
        # id here holds the lock.
        self.holder: int | None = None
        self._label = label

    def wait(self) -> None:
        """Block until the lock is free and take it; PluginError if this thread holds it."""
        if self.holder == _get_ident():
            raise PluginError(
                f"a plugin called back into {self._label()} while the pool was running it "
                "(an algorithm or a tracker); genpool refuses re-entry"
            )
        self.acquire()

    def __enter__(self) -> None:
        if not self.acquire(False):
            self.wait()
        self.holder = _get_ident()

    def __exit__(self, *exc_info: object) -> None:
        self.holder = None
        self.release()
