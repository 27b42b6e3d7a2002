"""The plugin host: built-in and third-party plugins, loader controls, bad registrations.

The example packages in tests/plugins are installed for the tests (see
the README and conftest.py): genpool-extras is a working plugin,
genpool-broken holds one plugin that fails to import and one that
registers garbage.  The suite disables the broken ones process-wide
(conftest.py); tests that want them build a PluginHost of their own.
genpool-hostile has its own tests, in test_hostile_plugins.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
import warnings

import genpool
import pytest
from genpool import hookspecs
from genpool.host import PluginHost, PluginWarning, get_host
from genpool.kernel import gen_pool_add, gen_pool_alloc_algo, gen_pool_create

BUILTIN_ALGORITHMS = {"first_fit", "first_fit_align", "first_fit_order_align", "best_fit", "fixed_alloc"}


@pytest.fixture
def all_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load every installed plugin, the broken ones included (the hostile ones have their own tests)."""
    monkeypatch.setenv("GENPOOL_DISABLE_PLUGINS", "hostile_exit,hostile_lifecycle")
    monkeypatch.delenv("GENPOOL_STRICT_PLUGINS", raising=False)


def fresh_host() -> PluginHost:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        return PluginHost()


def plugin_module(name: str, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, genpool.hookimpl(function))
    return module


def test_builtins_are_registered_through_the_hooks() -> None:
    host = get_host()
    algorithms = {r.name: r for r in host.registrations("algorithm")}
    assert BUILTIN_ALGORITHMS <= set(algorithms)
    assert {r.name for r in host.registrations("tracker")} >= {"chunk", "tag", "callsite"}
    first_fit = algorithms["first_fit"]
    assert (first_fit.plugin, first_fit.distribution, first_fit.version) == (
        "first_fit",
        "genpool",
        genpool.__version__,
    )
    assert all(r.summary for r in algorithms.values())
    hookimpls = host.manager.hook.genpool_register_algorithms.get_hookimpls()
    assert {impl.plugin_name for impl in hookimpls} >= BUILTIN_ALGORITHMS


def test_third_party_plugin_is_discovered(all_plugins: None) -> None:
    host = fresh_host()
    extras = {info.name: info for info in host.plugins()}["extras"]
    assert (extras.distribution, extras.version, extras.builtin, extras.error) == (
        "genpool-extras",
        "1.2.0",
        False,
        None,
    )
    by_plugin = {
        (r.kind, r.name): r.plugin for kind in ("algorithm", "tracker", "observer") for r in host.registrations(kind)
    }
    assert by_plugin[("algorithm", "worst_fit")] == "extras"
    assert by_plugin[("tracker", "lifetime")] == "extras"
    assert by_plugin[("observer", "event_counter")] == "extras"


def test_third_party_algorithm_tracker_and_observer_are_usable_by_name() -> None:
    pool = genpool.Pool(3, algo="worst_fit", trackers=("tag", "lifetime"))
    pool.add(0x1000, 1024)
    small = pool.alloc(64, algo="first_fit")
    pool.alloc(64, algo="first_fit")
    pool.free(small, 64)  # holes: 64 bytes at 0x1000, 896 bytes at 0x1080
    assert pool.alloc(16, owner="w") == 0x1080
    record = pool.allocation_at(0x1080)
    assert record is not None and record.owner == "w" and record.info["age"] >= 0
    counter = pool.observe("event_counter")
    pool.free(0x1080, 16)
    assert counter.counts["Freed"] >= 1
    kernel_pool = gen_pool_create(3, -1)
    gen_pool_add(kernel_pool, 0x2000, 256, -1)
    gen_pool_alloc_algo(kernel_pool, 8, "first_fit", None)
    assert gen_pool_alloc_algo(kernel_pool, 8, "worst_fit", None) == 0x2008


def test_broken_plugins_are_reported_and_skipped(all_plugins: None) -> None:
    with pytest.warns(PluginWarning) as caught:
        host = PluginHost()
    messages = [str(w.message) for w in caught]
    assert any("broken_import" in m and "genpool-broken 0.0.1" in m and "broken on purpose" in m for m in messages)
    assert any("broken_register" in m and "not_callable" in m and "not callable" in m for m in messages)
    infos = {info.name: info for info in host.plugins()}
    assert infos["broken_import"].error and infos["broken_register"].error
    assert infos["extras"].error is None
    assert host.algorithm("worst_fit").name == "worst_fit"
    with pytest.raises(genpool.InvalidArgument):
        host.algorithm("not_callable")
    assert "broken_register" not in host.manager.list_name_plugin() or not host.manager.has_plugin("broken_register")


def test_strict_mode_makes_a_load_failure_fatal(all_plugins: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENPOOL_STRICT_PLUGINS", "1")
    with pytest.raises(genpool.PluginError, match="genpool-broken"):
        PluginHost()


def test_disabled_plugins_are_not_loaded(all_plugins: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENPOOL_DISABLE_PLUGINS", "extras, broken_import,broken_register")
    host = PluginHost()
    assert "extras" not in {info.name for info in host.plugins()}
    with pytest.raises(genpool.InvalidArgument, match="unknown algorithm 'worst_fit'"):
        host.algorithm("worst_fit")


def test_duplicate_and_reserved_names_name_both_plugins() -> None:
    host = fresh_host()

    def steal(register: object) -> None:
        register("first_fit", lambda *args: 0)  # type: ignore[operator]

    with pytest.raises(
        genpool.PluginError, match="'first_fit'.*plugin 'first_fit' \\(genpool .*plugin 'thief' \\(thief-dist 9\\)"
    ):
        host.add_plugin(
            plugin_module("thief", genpool_register_algorithms=steal), "thief", distribution="thief-dist", version="9"
        )
    assert host.algorithm("first_fit").search.__module__ == "genpool.plugins.first_fit"

    def once(register: object) -> None:
        register("shared", lambda *args: 0)  # type: ignore[operator]

    host.add_plugin(plugin_module("one", genpool_register_algorithms=once), "one", distribution="d1", version="1")
    with pytest.raises(genpool.PluginError, match="plugin 'one' \\(d1 1\\) and plugin 'two' \\(d2 2\\)"):
        host.add_plugin(plugin_module("two", genpool_register_algorithms=once), "two", distribution="d2", version="2")


def test_only_genpools_own_first_fit_is_answered_by_the_pool_itself() -> None:
    """The pool runs the built-in first fit itself and takes its area unchecked; any other algorithm is called."""
    from genpool.plugins.first_fit import first_fit

    assert get_host().algorithm("first_fit").builtin_first_fit and genpool.Pool(3).algorithm.builtin_first_fit
    others = [r.obj for r in get_host().registrations("algorithm") if r.name != "first_fit"]
    assert others and not any(algorithm.builtin_first_fit for algorithm in others)
    assert not genpool.Algorithm("first_fit", first_fit).builtin_first_fit  # the same function, made another way
    with pytest.raises(TypeError):
        genpool.Algorithm("first_fit", first_fit, None, True)  # type: ignore[call-arg]
    calls = []

    def always_bit_0(bitmap: object, size: int, start: int, nr: int, data: object, pool: object, addr: int) -> int:
        calls.append(start)
        return 0

    pool = genpool.Pool(3)
    pool.add(0x1000, 64)
    assert pool.alloc(8) == 0x1000
    with pytest.raises(genpool.PluginError, match="chose busy bit 0 again"):
        pool.alloc(8, algo=genpool.Algorithm("first_fit", always_bit_0, genpool.ANY_DATA))
    assert calls == [0, 0] and pool.avail == 56


class _NoDescribe:
    def record(self, request: object) -> None:
        return None


@pytest.mark.parametrize(
    ("hook", "name", "obj", "extra", "message"),
    [
        ("genpool_register_algorithms", "not an identifier", lambda *a: 0, {}, "not an identifier"),
        ("genpool_register_algorithms", "number", 42, {}, "not callable"),
        ("genpool_register_algorithms", "typed", lambda *a: 0, {"data_type": "AlignData"}, "not a class"),
        ("genpool_register_trackers", "half", _NoDescribe, {}, "no describe method"),
        ("genpool_register_trackers", "instance", _NoDescribe(), {}, "not a class"),
        ("genpool_register_observers", "watcher", "print", {}, "not callable"),
    ],
)
def test_bad_registrations_fail_the_plugin_at_load_time(
    hook: str, name: str, obj: object, extra: dict, message: str
) -> None:
    host = fresh_host()

    def register_it(register: object) -> None:
        register(name, obj, **extra)  # type: ignore[operator]

    with pytest.raises(genpool.PluginError, match=f"plugin 'sloppy'.*{message}"):
        host.add_plugin(plugin_module("sloppy", **{hook: register_it}), "sloppy")
    assert not host.manager.has_plugin("sloppy")


def test_a_failing_plugin_registers_nothing() -> None:
    host = fresh_host()

    def half_good(register: object) -> None:
        register("good_one", lambda *a: 0)  # type: ignore[operator]
        register("bad one", lambda *a: 0)  # type: ignore[operator]

    with pytest.raises(genpool.PluginError):
        host.add_plugin(plugin_module("half", genpool_register_algorithms=half_good), "half")
    with pytest.raises(genpool.InvalidArgument):
        host.algorithm("good_one")


def test_lifecycle_hooks_are_called() -> None:
    seen: list[tuple[str, genpool.Pool]] = []
    plugin = plugin_module(
        "lifecycle",
        genpool_pool_created=lambda pool: seen.append(("created", pool)),
        genpool_pool_destroyed=lambda pool: seen.append(("destroyed", pool)),
    )
    get_host().manager.register(plugin, name="lifecycle-test")
    try:
        pool = genpool.Pool(4)
        pool.add(0, 64)
        pool.alloc(16)
        with pytest.raises(genpool.PoolBug):
            pool.destroy()
        pool.free(0, 16)
        pool.destroy()
    finally:
        get_host().manager.unregister(plugin)
    assert seen == [("created", pool), ("destroyed", pool)]


def test_no_pluggy_call_on_the_alloc_and_free_path(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = genpool.Pool(3, trackers=("tag", "callsite"))
    pool.add(0x1000, 4096)

    class NoHooks:
        def __getattr__(self, name: str) -> None:
            raise AssertionError(f"hook {name} was used on the alloc/free path")

    monkeypatch.setattr(get_host().manager, "hook", NoHooks())
    addr = pool.alloc(100, owner="x")
    pool.free(addr, 100)
    addr = pool.alloc(100, algo="best_fit")
    pool.free(addr, 100)


def test_every_hook_has_a_test() -> None:
    specs = {name for name in dir(hookspecs) if name.startswith("genpool_")}
    tested = {
        "genpool_register_algorithms",  # test_builtins_are_registered_through_the_hooks, test_duplicate...
        "genpool_register_trackers",  # test_third_party_plugin_is_discovered, bad registrations
        "genpool_register_observers",  # test_third_party_plugin_is_discovered, bad registrations
        "genpool_pool_created",  # test_lifecycle_hooks_are_called
        "genpool_pool_destroyed",  # test_lifecycle_hooks_are_called
    }
    assert specs == tested


def test_genpool_plugins_lists_everything_and_survives_broken_plugins(all_plugins: None) -> None:
    listing = json.loads(
        subprocess.run(
            [sys.executable, "-m", "genpool.cli", "plugins", "--json"], check=True, capture_output=True, text=True
        ).stdout
    )
    by_name = {row["name"]: row for row in listing}
    assert by_name["first_fit"]["algorithms"] == ["first_fit"] and by_name["first_fit"]["builtin"]
    assert by_name["extras"] == {
        "name": "extras",
        "distribution": "genpool-extras",
        "version": "1.2.0",
        "builtin": False,
        "algorithms": ["worst_fit"],
        "trackers": ["lifetime"],
        "observers": ["event_counter"],
        "error": None,
        "hook_failures": [],
    }
    assert "broken on purpose" in by_name["broken_import"]["error"]
    table = subprocess.run(
        [sys.executable, "-m", "genpool.cli", "plugins"], check=True, capture_output=True, text=True
    ).stdout
    assert "worst_fit" in table and "genpool-broken" in table and "failed" in table


@pytest.mark.parametrize(("value", "warned"), [("maybe", True), ("off", False), ("", False)])
def test_genpool_plugins_says_when_the_strict_variable_is_not_understood(value: str, warned: bool) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "genpool.cli", "plugins"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "GENPOOL_STRICT_PLUGINS": value,
            "GENPOOL_DISABLE_PLUGINS": "hostile_exit,hostile_lifecycle",
        },
        check=False,
    )
    assert result.returncode == 0 and "first_fit" in result.stdout
    assert ("GENPOOL_STRICT_PLUGINS='maybe' is neither true" in result.stderr) is warned, result.stderr
