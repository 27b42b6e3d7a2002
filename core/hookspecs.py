"""Hook specifications: what a genpool plugin may implement.

A plugin is a module (or any object) with functions marked by
:data:`hookimpl`, published under the entry-point group
``genpool.plugins``.  A complete algorithm plugin::

    # worst_fit.py
    import genpool

    def worst_fit(bitmap, size, start, nr, data, pool, start_addr):
        ...  # return the first bit of the chosen area, or size if none

    @genpool.hookimpl
    def genpool_register_algorithms(register):
        register("worst_fit", worst_fit, summary="largest free run first")

    # pyproject.toml
    [project.entry-points."genpool.plugins"]
    worst_fit = "worst_fit"

Installing the package only makes ``"worst_fit"`` available; a pool
uses it when asked by name, e.g. ``genpool.Pool(3, algo="worst_fit")``.
Hooks are called when the plugin is loaded, never on the allocation
path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import pluggy

if TYPE_CHECKING:
    from .pool import Pool

__all__ = [
    "AlgorithmRegister",
    "Register",
    "genpool_pool_created",
    "genpool_pool_destroyed",
    "genpool_register_algorithms",
    "genpool_register_observers",
    "genpool_register_trackers",
    "hookimpl",
    "hookspec",
]

PROJECT_NAME = "genpool"

#: Marks a hook specification in this module.
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marks a plugin's hook implementation: ``@genpool.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class Register(Protocol):
    """The ``register`` callable handed to the tracker and observer hooks."""

    def __call__(self, name: str, obj: object, *, summary: str = "") -> None:
        """Record ``obj`` under ``name``."""


class AlgorithmRegister(Protocol):
    """The ``register`` callable handed to :func:`genpool_register_algorithms`."""

    def __call__(self, name: str, obj: object, *, summary: str = "", data_type: type | None = None) -> None:
        """Record the algorithm ``obj`` under ``name``."""


@hookspec
def genpool_register_algorithms(register: AlgorithmRegister) -> None:
    """Register allocation algorithms.

    :param register:
        Call ``register(name, search, *, summary="", data_type=None)`` once
        per algorithm:

        - ``name`` -- a Python identifier, unique among all plugins; the
          built-in names (``first_fit``, ``first_fit_align``,
          ``first_fit_order_align``, ``best_fit``, ``fixed_alloc``) are
          reserved.
        - ``search`` -- the algorithm, the kernel's ``genpool_algo_t``:
          ``search(bitmap, size, start, nr, data, pool, start_addr) -> int``
          returns the first bit of ``nr`` clear bits it chose in
          ``bitmap`` (a :class:`genpool.Bitmap` of ``size`` bits),
          searching from bit ``start``; any result ``>= size`` means no
          room in this chunk.  It cannot change the bitmap: a plugin's
          algorithm is handed a read-only view of it
          (:mod:`genpool.bitmap_view`).  An exception it raises fails the
          allocation with a :class:`genpool.PluginError`.
        - ``summary`` -- one line for ``genpool plugins`` and the TUI.
        - ``data_type`` -- the class of the ``data`` the algorithm needs
          (like :class:`genpool.AlignData`), or None if it takes none.

    Called once, when the plugin is loaded (at the first use of a name
    that no loaded plugin provides, or when plugins are listed).  A
    registration with an invalid name, a non-callable ``search``, a
    ``data_type`` that is not a class, or a name already taken makes the
    whole plugin fail to load with a :class:`genpool.PluginError`.

    .. versionadded:: 0.1
    """


@hookspec
def genpool_register_trackers(register: Register) -> None:
    """Register ownership trackers.

    :param register:
        Call ``register(name, tracker_class, *, summary="")`` once per
        tracker.  ``name`` is an identifier, unique among all plugins
        (``chunk``, ``tag`` and ``callsite`` are reserved).
        ``tracker_class`` is a class whose instances have the methods
        ``record(request) -> value`` and ``describe(value) -> dict``
        (see :mod:`genpool.tracking`); it is instantiated with no
        arguments once for every pool that names the tracker in
        ``Pool(..., trackers=(...))``.

    Called once, when the plugin is loaded.  A class missing either
    method, a non-class, an invalid or taken name makes the whole plugin
    fail to load with a :class:`genpool.PluginError`.

    .. versionadded:: 0.1
    """


@hookspec
def genpool_register_observers(register: Register) -> None:
    """Register named observers that pools can attach.

    :param register:
        Call ``register(name, observer, *, summary="")`` once per
        observer.  ``observer`` is a callable taking one
        :class:`genpool.events.Event`; ``pool.observe(name)`` attaches it
        to one pool.  It is called synchronously after each change, so
        it should be quick; if it raises, the change still happens, the
        failure is reported once, and repeated failures detach it.

    Called once, when the plugin is loaded.

    .. versionadded:: 0.1
    """


@hookspec
def genpool_pool_created(pool: Pool) -> None:
    """A pool was created.

    :param pool: the new :class:`genpool.Pool`, with no chunks yet.

    Called for every pool, from the constructor, after the plugins are
    loaded.  A plugin may attach observers here (``pool.observe(...)``)
    to watch every pool of the program, as ``genpool watch`` does.  An
    exception never stops the pool being created: it is reported as a
    :class:`genpool.host.PluginWarning` naming the plugin and its
    distribution, and listed by ``genpool plugins`` (a
    :class:`genpool.PluginError` instead when ``GENPOOL_STRICT_PLUGINS``
    is true).

    .. versionadded:: 0.1
    """


@hookspec
def genpool_pool_destroyed(pool: Pool) -> None:
    """A pool was destroyed.

    :param pool: the :class:`genpool.Pool`, now without chunks.

    Called after :meth:`genpool.Pool.destroy` succeeds (never when it
    raises :class:`genpool.PoolBug`).  An exception is reported as for
    :func:`genpool_pool_created`; the pool stays destroyed.

    .. versionadded:: 0.1
    """
