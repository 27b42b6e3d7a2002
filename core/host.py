"""The plugin host: pluggy's PluginManager and the registry behind it.

The built-in plugins in :mod:`genpool.plugins` are registered first, the
same way as any other.  Third-party plugins, published under the
entry-point group ``genpool.plugins``, are loaded when the host is first
needed (the first pool, not ``import genpool``), one at a time and each
in isolation: a plugin that fails to import (``SystemExit`` included)
or registers something invalid is reported with its distribution and
skipped -- or, with ``GENPOOL_STRICT_PLUGINS`` true (``1``, ``true``,
``yes``, ``on``), raises.  ``GENPOOL_DISABLE_PLUGINS`` is a
comma-separated list of entry-point names not to load.

The lifecycle hooks (``genpool_pool_created``, ``genpool_pool_destroyed``)
are called one plugin at a time: one that raises never stops a pool
being created or destroyed; it is reported as a :class:`PluginWarning`
naming the plugin and its distribution, and listed by ``genpool
plugins`` -- or, when strict, raises :class:`PluginError`.

Pools look names up here once, when an algorithm, tracker or observer
is chosen; nothing here runs on the allocation path.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pluggy

from . import __version__, hookspecs
from .algorithm import Algorithm
from .bitmap_view import TRUSTED_SEARCHES
from .errors import InvalidArgument, PluginError, explain, report
from .tracking import TRACKER_METHODS

if TYPE_CHECKING:
    from .pool import Pool

__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginHost",
    "PluginInfo",
    "PluginWarning",
    "Registration",
    "get_host",
    "origin",
    "strict_plugins",
]

ENTRY_POINT_GROUP = "genpool.plugins"
BUILTIN_PLUGINS = (
    "genpool.plugins.first_fit",
    "genpool.plugins.first_fit_align",
    "genpool.plugins.first_fit_order_align",
    "genpool.plugins.best_fit",
    "genpool.plugins.fixed_alloc",
    "genpool.plugins.chunk_owner",
    "genpool.plugins.tag",
    "genpool.plugins.callsite",
    "genpool.producer",
)


class PluginWarning(UserWarning):
    """A plugin failed to load and was skipped, or one of its lifecycle hooks raised."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def strict_plugins() -> bool:
    """Whether ``GENPOOL_STRICT_PLUGINS`` is set to a true value (``1``, ``true``, ``yes``, ``on``, any case).

    Any value other than those and the false ones (unset, empty, ``0``,
    ``false``, ``no``, ``off``) is refused with a warning and counts as false.
    """
    value = os.environ.get("GENPOOL_STRICT_PLUGINS", "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        report(
            f"GENPOOL_STRICT_PLUGINS={value!r} is neither true (1, true, yes, on) nor false (0, false, no, off); "
            "plugins are not strict",
            PluginWarning,
        )
    return False


@dataclass(frozen=True, slots=True)
class Registration:
    """One thing a plugin registered: who registered what, from which package."""

    kind: str
    name: str
    obj: Any
    summary: str
    plugin: str
    distribution: str
    version: str


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """A plugin the host knows of, loaded or not."""

    name: str
    distribution: str
    version: str
    builtin: bool
    error: str | None = None
    #: One message per lifecycle hook of this plugin that raised (the first time it did).
    failures: tuple[str, ...] = ()


class PluginHost:
    """A pluggy ``PluginManager`` for project ``genpool`` and what its plugins registered."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self._registry: dict[str, dict[str, Registration]] = {kind: {} for kind in _HOOKS}
        self._plugins: dict[str, PluginInfo] = {}
        for module_name in BUILTIN_PLUGINS:
            source = PluginInfo(module_name.rpartition(".")[2], "genpool", __version__, builtin=True)
            self._load(source, functools.partial(importlib.import_module, module_name))
        self._load_entry_points()

    # -- lookups -------------------------------------------------------------

    def algorithm(self, name: str) -> Algorithm:
        """The algorithm registered as ``name``; InvalidArgument if there is none."""
        algorithm: Algorithm = self._lookup("algorithm", name).obj
        return algorithm

    def tracker(self, name: str) -> type:
        """The tracker class registered as ``name``; InvalidArgument if there is none."""
        tracker: type = self._lookup("tracker", name).obj
        return tracker

    def observer(self, name: str) -> Registration:
        """The observer registered as ``name``; InvalidArgument if there is none."""
        return self._lookup("observer", name)

    def _lookup(self, kind: str, name: object) -> Registration:
        registration = self._registry[kind].get(name) if isinstance(name, str) else None
        if registration is None:
            known = ", ".join(sorted(self._registry[kind])) or "none"
            raise InvalidArgument(f"unknown {kind} {name!r} (known: {known})")
        return registration

    def registrations(self, kind: str) -> list[Registration]:
        """Everything registered of ``kind`` ("algorithm", "tracker" or "observer"), built-ins first."""
        return list(self._registry[kind].values())

    def plugins(self) -> list[PluginInfo]:
        """Every plugin, loaded or failed."""
        return list(self._plugins.values())

    def origin(self, kind: str, name: str, obj: object = None) -> str:
        """``"<kind> '<name>' of plugin 'p' (dist version)"``, for messages about what a plugin registered.

        With ``obj``, the plugin is named only if ``obj`` is what it registered under ``name``.
        """
        registration = self._registry[kind].get(name)
        if registration is None or (obj is not None and registration.obj is not obj):
            return f"{kind} {name!r}"
        return f"{kind} {name!r} of plugin {registration.plugin!r} ({registration.distribution} {registration.version})"

    # -- lifecycle: the typed facade over ``manager.hook`` ---------------------

    def pool_created(self, pool: Pool) -> None:
        """Call ``genpool_pool_created`` on every plugin; a failing one is reported, never fatal unless strict."""
        self._lifecycle("genpool_pool_created", pool)

    def pool_destroyed(self, pool: Pool) -> None:
        """Call ``genpool_pool_destroyed`` on every plugin; a failing one is reported, never fatal unless strict."""
        self._lifecycle("genpool_pool_destroyed", pool)

    def _lifecycle(self, hook_name: str, pool: Pool) -> None:
        """Call each plugin's ``hook_name`` in pluggy's order, containing each one's failure."""
        strict = None
        for impl in reversed(getattr(self.manager.hook, hook_name).get_hookimpls()):
            try:
                impl.function(*({"pool": pool}[arg] for arg in impl.argnames))
            except Exception as exc:
                info = self._plugins.get(impl.plugin_name)
                where = f"({info.distribution} {info.version})" if info is not None else "(not from a distribution)"
                message = f"plugin {impl.plugin_name!r} {where}: {hook_name} raised {explain(exc)}"
                if strict is None:
                    strict = strict_plugins()
                with self._lock:
                    info = self._plugins.get(impl.plugin_name)
                    if info is not None and not any(f": {hook_name} raised" in f for f in info.failures):
                        self._plugins[impl.plugin_name] = replace(info, failures=(*info.failures, message))
                if strict:
                    raise PluginError(message) from exc
                report(message, PluginWarning, stacklevel=4)

    # -- loading -------------------------------------------------------------

    def add_plugin(self, plugin: object, name: str, *, distribution: str = "?", version: str = "?") -> None:
        """Register a plugin object directly, as if an entry point named it (for embedding and tests).

        Raises PluginError if it cannot be loaded.
        """
        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore", PluginWarning)
            self._load(PluginInfo(name, distribution, version, builtin=False), lambda: plugin)
        error = self._plugins[name].error
        if error is not None:
            raise PluginError(error)

    def _load_entry_points(self) -> None:
        """Load every plugin of the ``genpool.plugins`` entry-point group."""
        disabled = {name.strip() for name in os.environ.get("GENPOOL_DISABLE_PLUGINS", "").split(",")}
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if entry_point.name in disabled:
                continue
            dist = entry_point.dist
            source = PluginInfo(
                entry_point.name,
                dist.name if dist is not None else "?",
                dist.version if dist is not None else "?",
                builtin=False,
            )
            self._load(source, entry_point.load)

    def _load(self, source: PluginInfo, load: Callable[[], object]) -> None:
        """Import one plugin and take its registrations, or report why not."""
        try:
            if source.name in self._plugins:
                raise PluginError(f"another plugin is already named {source.name!r}")
            plugin = load()
            self.manager.register(plugin, name=source.name)
            try:
                self._take_registrations(plugin, source)
            except BaseException:
                self.manager.unregister(plugin)
                raise
        # A plugin calling sys.exit() at import is a plugin that failed to load, not a request to stop.
        except (Exception, SystemExit) as exc:
            error = exc if isinstance(exc, PluginError) else PluginError(explain(exc))
            message = f"plugin {source.name!r} ({source.distribution} {source.version}) failed to load: {error}"
            if source.name not in self._plugins:
                self._plugins[source.name] = replace(source, error=message)
            if source.builtin or strict_plugins():
                raise PluginError(message) from exc
            report(message, PluginWarning, stacklevel=3)
            return
        self._plugins[source.name] = source
        if source.builtin:
            TRUSTED_SEARCHES.update(
                registration.obj.search
                for registration in self._registry["algorithm"].values()
                if registration.plugin == source.name
            )

    def _take_registrations(self, plugin: object, source: PluginInfo) -> None:
        """Call the plugin's hooks and keep what they registered, all or nothing."""
        staged: dict[str, dict[str, Registration]] = {kind: {} for kind in _HOOKS}
        for kind, hook_name in _HOOKS.items():

            def register(name: str, obj: object, *, summary: str = "", kind: str = kind, **extra: Any) -> None:
                _check_name(name, source)
                if not isinstance(summary, str):
                    raise PluginError(f"plugin {source.name!r}: summary of {name!r} must be a string")
                taken = self._registry[kind].get(name) or staged[kind].get(name)
                if taken is not None:
                    raise PluginError(
                        f"{kind} {name!r} is registered by both plugin {taken.plugin!r} "
                        f"({taken.distribution} {taken.version}) and plugin {source.name!r} "
                        f"({source.distribution} {source.version})"
                    )
                obj = _CHECKS[kind](name, obj, source, **extra)
                staged[kind][name] = Registration(
                    kind, name, obj, summary, source.name, source.distribution, source.version
                )

            _call_own_hook(self.manager, hook_name, plugin, register=register)
        for kind, registrations in staged.items():
            self._registry[kind].update(registrations)


def _check_algorithm(name: str, obj: object, source: PluginInfo, *, data_type: type | None = None) -> Algorithm:
    if not callable(obj):
        raise PluginError(f"plugin {source.name!r} registered algorithm {name!r} as {obj!r}, which is not callable")
    if data_type is not None and not isinstance(data_type, type):
        raise PluginError(f"plugin {source.name!r}: data_type of {name!r} is {data_type!r}, not a class")
    algorithm = Algorithm(name, obj, data_type)
    if source.builtin and name == "first_fit":
        # genpool's own first fit, which a pool answers itself (genpool.pool_paths); no other registration is.
        object.__setattr__(algorithm, "builtin_first_fit", True)
    return algorithm


def _check_tracker(name: str, obj: object, source: PluginInfo) -> type:
    if not isinstance(obj, type):
        raise PluginError(f"plugin {source.name!r} registered tracker {name!r} as {obj!r}, which is not a class")
    missing = [method for method in TRACKER_METHODS if not callable(getattr(obj, method, None))]
    if missing:
        raise PluginError(f"plugin {source.name!r}: tracker {name!r} has no {' or '.join(missing)} method")
    return obj


def _check_observer(name: str, obj: object, source: PluginInfo) -> object:
    if not callable(obj):
        raise PluginError(f"plugin {source.name!r} registered observer {name!r} as {obj!r}, which is not callable")
    return obj


_HOOKS = {
    "algorithm": "genpool_register_algorithms",
    "tracker": "genpool_register_trackers",
    "observer": "genpool_register_observers",
}
_CHECKS: dict[str, Callable[..., Any]] = {
    "algorithm": _check_algorithm,
    "tracker": _check_tracker,
    "observer": _check_observer,
}


def _check_name(name: object, source: PluginInfo) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise PluginError(f"plugin {source.name!r} registered the name {name!r}, which is not an identifier")


def _call_own_hook(manager: pluggy.PluginManager, hook_name: str, plugin: object, **kwargs: Any) -> None:
    """Call one plugin's implementation of a hook, so what it does is known to be its own."""
    for impl in getattr(manager.hook, hook_name).get_hookimpls():
        if impl.plugin is plugin:
            impl.function(*(kwargs[arg] for arg in impl.argnames))


def origin(kind: str, name: str, obj: object = None) -> str:
    """:meth:`PluginHost.origin` of the process-wide host."""
    return get_host().origin(kind, name, obj)


_host: PluginHost | None = None
_host_lock = threading.Lock()


def get_host() -> PluginHost:
    """The process-wide plugin host, created (and the plugins loaded) on first use."""
    global _host
    if _host is None:
        with _host_lock:
            if _host is None:
                _host = PluginHost()
    return _host
