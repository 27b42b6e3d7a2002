"""The plugin host: pluggy's PluginManager and the registry behind it.

The built-in plugins in :mod:`genpool.plugins` are registered first, the
same way as any other.  Third-party plugins, published under the
entry-point group ``genpool.plugins``, are loaded lazily -- the first
time a name is asked for that the loaded plugins do not provide, or when
the plugins are listed -- one at a time, each in isolation: a plugin that
fails to import or registers something invalid is reported and skipped
(or, with ``GENPOOL_STRICT_PLUGINS=1``, raises).  ``GENPOOL_DISABLE_PLUGINS``
is a comma-separated list of entry-point names not to load.

Pools resolve names through the registry once, when an algorithm is set;
nothing here runs on the allocation path.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pluggy

from . import __version__, hookspecs
from .algorithm import Algorithm
from .errors import InvalidArgument, PluginError

__all__ = ["ENTRY_POINT_GROUP", "PluginHost", "PluginInfo", "PluginWarning", "Registration", "get_host"]

ENTRY_POINT_GROUP = "genpool.plugins"
BUILTIN_PLUGINS = (
    "genpool.plugins.first_fit",
    "genpool.plugins.first_fit_align",
    "genpool.plugins.first_fit_order_align",
    "genpool.plugins.best_fit",
    "genpool.plugins.fixed_alloc",
)


class PluginWarning(UserWarning):
    """A plugin failed to load and was skipped."""


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


@dataclass(frozen=True, slots=True)
class _Source:
    plugin: str
    distribution: str
    version: str
    builtin: bool


class PluginHost:
    """A pluggy ``PluginManager`` for project ``genpool`` and what its plugins registered."""

    def __init__(self, *, builtins: tuple[str, ...] = BUILTIN_PLUGINS) -> None:
        self._lock = threading.RLock()
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self._algorithms: dict[str, Registration] = {}
        self._plugins: dict[str, PluginInfo] = {}
        self._entry_points_loaded = False
        for module_name in builtins:
            source = _Source(module_name.rpartition(".")[2], "genpool", __version__, builtin=True)
            self._load(source, lambda name=module_name: importlib.import_module(name))

    # -- lookups -------------------------------------------------------------

    def algorithm(self, name: str) -> Algorithm:
        """The algorithm registered as ``name``; raises InvalidArgument if there is none."""
        registration = self._algorithms.get(name)
        if registration is None:
            self.load_entry_points()
            registration = self._algorithms.get(name)
        if registration is None:
            known = ", ".join(sorted(self._algorithms))
            raise InvalidArgument(f"unknown algorithm {name!r} (known: {known})")
        return registration.obj

    def algorithms(self) -> list[Registration]:
        """Every registered algorithm, built-ins first, after loading all plugins."""
        self.load_entry_points()
        return list(self._algorithms.values())

    def plugins(self) -> list[PluginInfo]:
        """Every plugin, loaded or failed, after loading all plugins."""
        self.load_entry_points()
        return list(self._plugins.values())

    # -- loading -------------------------------------------------------------

    def load_entry_points(self) -> None:
        """Load every plugin of the ``genpool.plugins`` entry-point group, once."""
        with self._lock:
            if self._entry_points_loaded:
                return
            self._entry_points_loaded = True
            disabled = {name.strip() for name in os.environ.get("GENPOOL_DISABLE_PLUGINS", "").split(",")}
            for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                if entry_point.name in disabled:
                    continue
                dist = entry_point.dist
                source = _Source(
                    entry_point.name,
                    dist.name if dist is not None else "?",
                    dist.version if dist is not None else "?",
                    builtin=False,
                )
                self._load(source, entry_point.load)

    def _load(self, source: _Source, load: Callable[[], object]) -> None:
        """Import one plugin and take its registrations, or report why not."""
        try:
            if source.plugin in self._plugins:
                raise PluginError(f"another plugin is already named {source.plugin!r}")
            plugin = load()
            self.manager.register(plugin, name=source.plugin)
            try:
                self._take_registrations(plugin, source)
            except BaseException:
                self.manager.unregister(plugin)
                raise
        except Exception as exc:
            error = exc if isinstance(exc, PluginError) else PluginError(f"{type(exc).__name__}: {exc}")
            message = f"plugin {source.plugin!r} ({source.distribution} {source.version}) failed to load: {error}"
            if source.plugin not in self._plugins:
                self._plugins[source.plugin] = PluginInfo(
                    source.plugin, source.distribution, source.version, source.builtin, message
                )
            if source.builtin or os.environ.get("GENPOOL_STRICT_PLUGINS") == "1":
                raise PluginError(message) from exc
            warnings.warn(message, PluginWarning, stacklevel=3)
            return
        self._plugins[source.plugin] = PluginInfo(source.plugin, source.distribution, source.version, source.builtin)

    def _take_registrations(self, plugin: object, source: _Source) -> None:
        """Call the plugin's hooks and keep what they registered, all or nothing."""
        staged: dict[str, Registration] = {}

        def register(name: str, obj: object, *, summary: str = "", data_type: type | None = None) -> None:
            _check_name(name, source)
            if not callable(obj):
                raise PluginError(f"plugin {source.plugin!r} registered {name!r} as {obj!r}, which is not callable")
            if data_type is not None and not isinstance(data_type, type):
                raise PluginError(f"plugin {source.plugin!r}: data_type of {name!r} is {data_type!r}, not a class")
            if not isinstance(summary, str):
                raise PluginError(f"plugin {source.plugin!r}: summary of {name!r} must be a string")
            taken = self._algorithms.get(name) or staged.get(name)
            if taken is not None:
                raise PluginError(
                    f"algorithm {name!r} is registered by both plugin {taken.plugin!r} "
                    f"({taken.distribution} {taken.version}) and plugin {source.plugin!r} "
                    f"({source.distribution} {source.version})"
                )
            staged[name] = Registration(
                "algorithm",
                name,
                Algorithm(name, obj, data_type),
                summary,
                source.plugin,
                source.distribution,
                source.version,
            )

        _call_own_hook(self.manager, "genpool_register_algorithms", plugin, register=register)
        self._algorithms.update(staged)


def _check_name(name: object, source: _Source) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise PluginError(f"plugin {source.plugin!r} registered the name {name!r}, which is not an identifier")


def _call_own_hook(manager: pluggy.PluginManager, hook_name: str, plugin: object, **kwargs: Any) -> None:
    """Call one plugin's implementation of a hook, so what it does is known to be its own."""
    for impl in getattr(manager.hook, hook_name).get_hookimpls():
        if impl.plugin is plugin:
            impl.function(*(kwargs[arg] for arg in impl.argnames))


_host: PluginHost | None = None
_host_lock = threading.Lock()


def get_host() -> PluginHost:
    """The process-wide plugin host, created on first use."""
    global _host
    if _host is None:
        with _host_lock:
            if _host is None:
                _host = PluginHost()
    return _host
