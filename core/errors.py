"""The exceptions genpool raises, all under :class:`GenPoolError`."""

from __future__ import annotations

import errno as _errno
import logging
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tracking import Allocation

__all__ = [
    "CorruptTrace",
    "GenPoolError",
    "InvalidArgument",
    "KernelWarning",
    "NoSpace",
    "PluginError",
    "PoolBug",
    "explain",
    "report",
]


class GenPoolError(Exception):
    """Base class of every error genpool raises on purpose."""


class NoSpace(GenPoolError, MemoryError):
    """No chunk of the pool has room for the request."""


class PoolBug(GenPoolError):
    """Where the kernel calls ``BUG()``: the pool was misused.

    Double frees, frees outside every chunk or past a chunk's end, and
    destroying a pool that still has allocations.  Unlike the kernel,
    genpool checks before it changes anything, so the pool is exactly as
    it was before the call.  ``outstanding`` lists the allocations that
    kept a destroy from happening (empty for other bugs): a sequence whose
    length is known at once and whose records are made when first read
    (:class:`genpool.outstanding.Outstanding`), since a pool may hold
    millions; the message shows only the first few.
    """

    def __init__(self, message: str, *, outstanding: Sequence[Allocation] = ()) -> None:
        super().__init__(message)
        self.outstanding = outstanding


class InvalidArgument(GenPoolError, ValueError):
    """A bad argument, or a kernel function's ``ERR_PTR`` return.

    ``errno`` is the kernel's error number (``EINVAL`` unless said).
    """

    def __init__(self, message: str, *, errno: int = _errno.EINVAL) -> None:
        super().__init__(message)
        self.errno = errno


class PluginError(GenPoolError):
    """A plugin registered something invalid, a clashing name, or failed to load."""


class CorruptTrace(GenPoolError):
    """A trace or watch stream contradicts itself (see :mod:`genpool.replica`).

    ``path`` names the file (or the connection) and ``line`` the line
    number, or None; the message says both and what was wrong, on one
    line.  ``partial`` is what could be read before the bad line (a
    :class:`genpool.trace.Trace` when reading a file), else None.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = "" if path is None else (f"{path}:{line}: " if line is not None else f"{path}: ")
        super().__init__(where + message)
        self.path = path
        self.line = line
        self.partial: object = None


class KernelWarning(UserWarning):
    """Where the kernel would ``WARN_ON``: suspicious input that was refused."""


def report(message: str, category: type[Warning], stacklevel: int = 2) -> None:
    """Warn with ``message``, and never raise, whatever the warnings filter.

    Used where a plugin's failure must not break the operation that met
    it: under an ``error`` filter (``python -W error``, pytest's
    ``filterwarnings = error``) the warning would become an exception, so
    it goes to the ``genpool`` logger instead.
    """
    try:
        warnings.warn(message, category, stacklevel=stacklevel + 1)
    except Exception:
        logging.getLogger("genpool").warning("%s: %s", category.__name__, message)


def explain(exc: BaseException) -> str:
    """``"TypeName: message"`` for an exception a plugin raised, even if its ``__str__`` raises too."""
    try:
        return f"{type(exc).__name__}: {exc}"
    except Exception:
        return f"{type(exc).__name__} (unprintable)"
