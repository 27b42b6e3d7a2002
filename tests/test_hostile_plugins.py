"""Hostile plugins are contained: the example package tests/plugins/genpool-hostile.

Every hook of it misbehaves: a plugin that calls ``sys.exit()`` at
import, lifecycle hooks that raise, algorithms that raise, write the
bitmap or call back into their pool, trackers whose ``record`` or
``describe`` raise, return garbage or call back, observers that raise.
One test per behaviour; each would fail (or hang, which the thread
helper turns into a failure) without the containment it checks.

``hostile_exit`` and ``hostile_lifecycle`` are disabled process-wide
(conftest.py); the tests that need them build a host of their own.
The other hostile names are harmless until a pool asks for them.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import genpool
import pytest
from genpool import host as host_module
from genpool.host import PluginHost, PluginWarning

HOSTILE = re.escape("plugin 'hostile' (genpool-hostile 0.0.1)")


@pytest.fixture
def lifecycle_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginHost]:
    """A process-wide host that loads hostile_lifecycle (whose hooks raise for every pool)."""
    monkeypatch.setenv("GENPOOL_DISABLE_PLUGINS", "broken_import,broken_register,hostile_exit")
    monkeypatch.delenv("GENPOOL_STRICT_PLUGINS", raising=False)
    fresh = PluginHost()
    monkeypatch.setattr(host_module, "_host", fresh)
    yield fresh


def state(pool: genpool.Pool) -> tuple[Any, ...]:
    """Everything observable about a pool's allocations."""
    return (
        pool.avail,
        pool.size,
        [chunk.bitmap.to_bytes() for chunk in pool.chunks],
        [(a.addr, a.size, a.owner) for a in pool.allocations()],
    )


def finishes(call: Callable[[], object]) -> object:
    """Run ``call`` in a thread; fail the test (instead of hanging it) if it deadlocks."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(("returned", call()))
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome.append(("raised", exc))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)
    assert outcome, "the call deadlocked"
    kind, value = outcome[0]  # type: ignore[misc]
    if kind == "raised":
        raise value  # type: ignore[misc]
    return value


# -- lifecycle hooks ---------------------------------------------------------


def test_raising_lifecycle_hooks_never_stop_a_pool_being_created_or_destroyed(lifecycle_host: PluginHost) -> None:
    with pytest.warns(PluginWarning, match="hostile_lifecycle.*genpool-hostile 0.0.1.*genpool_pool_created.*hostile"):
        pool = genpool.Pool(3)
    pool.add(0x1000, 64)
    pool.free(pool.alloc(8), 8)
    with pytest.warns(PluginWarning, match="genpool_pool_destroyed raised RuntimeError: hostile destroyed hook"):
        pool.destroy()
    assert pool.destroyed and pool.chunks == ()
    failures = {info.name: info.failures for info in lifecycle_host.plugins()}["hostile_lifecycle"]
    assert len(failures) == 2  # one per hook, however many pools met it


def test_lifecycle_failures_under_an_error_filter_still_create_the_pool(
    lifecycle_host: PluginHost, caplog: pytest.LogCaptureFixture
) -> None:
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING, logger="genpool"):
        warnings.simplefilter("error")
        pool = genpool.Pool(3)
    assert isinstance(pool, genpool.Pool)
    assert "genpool_pool_created raised" in caplog.text


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", "on", " On "])
def test_strict_lifecycle_failures_are_fatal_with_one_line(
    lifecycle_host: PluginHost, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GENPOOL_STRICT_PLUGINS", value)
    with pytest.raises(genpool.PluginError) as err:
        genpool.Pool(3)
    assert "\n" not in str(err.value) and "hostile created hook" in str(err.value)


def test_genpool_plugins_lists_lifecycle_failures_and_import_exits() -> None:
    env = {"GENPOOL_DISABLE_PLUGINS": "broken_import,broken_register"}
    result = subprocess.run(
        [sys.executable, "-m", "genpool.cli", "plugins", "--json"],
        capture_output=True,
        text=True,
        env={**_environ(), **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert "SystemExit" in rows["hostile_exit"]["error"] and "genpool-hostile" in rows["hostile_exit"]["error"]
    assert [f.split(": ")[1].split()[0] for f in rows["hostile_lifecycle"]["hook_failures"]] == [
        "genpool_pool_created",
        "genpool_pool_destroyed",
    ]
    assert rows["hostile"]["error"] is None and "hostile_raises" in rows["hostile"]["algorithms"]


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


# -- loading -----------------------------------------------------------------


def test_system_exit_at_import_is_a_load_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENPOOL_DISABLE_PLUGINS", "broken_import,broken_register,hostile_lifecycle")
    with pytest.warns(PluginWarning, match="'hostile_exit' \\(genpool-hostile 0.0.1\\) failed to load: SystemExit"):
        fresh = PluginHost()
    assert {info.name: info for info in fresh.plugins()}["hostile_exit"].error
    assert fresh.algorithm("first_fit").name == "first_fit"


@pytest.mark.parametrize("value", ["0", "false", "No", "OFF", ""])
def test_false_strict_values_load_leniently(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("GENPOOL_DISABLE_PLUGINS", "broken_import,broken_register,hostile_lifecycle")
    monkeypatch.setenv("GENPOOL_STRICT_PLUGINS", value)
    with pytest.warns(PluginWarning) as caught:
        PluginHost()
    assert all("failed to load" in str(w.message) for w in caught)


def test_other_strict_values_are_refused_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENPOOL_DISABLE_PLUGINS", "broken_import,broken_register,hostile_lifecycle")
    monkeypatch.setenv("GENPOOL_STRICT_PLUGINS", "maybe")
    with pytest.warns(PluginWarning) as caught:
        PluginHost()  # not strict: the exiting plugin is skipped, not fatal
    assert any("GENPOOL_STRICT_PLUGINS='maybe' is neither true" in str(w.message) for w in caught)


# -- algorithms --------------------------------------------------------------


def busy_pool(**kwargs: Any) -> genpool.Pool:
    pool = genpool.Pool(3, **kwargs)
    pool.add(0x1000, 64)
    pool.add(0x2000, 64)
    pool.alloc(8, owner="kept") if kwargs.get("trackers") else pool.alloc(8)
    return pool


def test_a_raising_algorithm_is_a_plugin_error_naming_it_and_its_plugin() -> None:
    pool = busy_pool(trackers=("tag",))
    before = state(pool)
    with pytest.raises(genpool.PluginError, match=f"algorithm 'hostile_raises' of {HOSTILE} raised ValueError") as err:
        pool.alloc(8, algo="hostile_raises")
    assert isinstance(err.value.__cause__, ValueError)
    assert state(pool) == before


@pytest.mark.parametrize("name", ["hostile_sets_bits", "hostile_writes_raw"])
def test_an_algorithm_cannot_write_the_bitmap_it_searches(name: str) -> None:
    pool = busy_pool()
    before = state(pool)
    with pytest.raises(genpool.PluginError, match=f"algorithm '{name}' of {HOSTILE} raised"):
        pool.alloc(8, algo=name)
    assert state(pool) == before and pool.avail == 120


@pytest.mark.parametrize("name", ["hostile_reenters", "hostile_allocates_inside"])
def test_an_algorithm_calling_back_into_its_pool_gets_a_plugin_error_not_a_deadlock(name: str) -> None:
    pool = busy_pool(trackers=("tag",))
    before = state(pool)
    with pytest.raises(genpool.PluginError, match="called back into pool.*refuses re-entry"):
        finishes(lambda: pool.alloc(8, algo=name))
    assert state(pool) == before
    assert pool.alloc(8) == 0x2008  # the lock was released


def test_an_algorithm_freeing_in_its_pool_gets_a_plugin_error_not_a_deadlock() -> None:
    """The free path refuses re-entry too (both paths take the lock the same way)."""
    pool = busy_pool()
    (kept,) = [chunk.start_addr for chunk in pool.chunks if chunk.avail < chunk.size]
    before = state(pool)

    def frees_inside(bitmap: Any, size: int, start: int, nr: int, data: Any, owner: Any, start_addr: int) -> int:
        pool.free(kept, 8)
        return start

    with pytest.raises(genpool.PluginError, match="called back into pool.*refuses re-entry"):
        finishes(lambda: pool.alloc(8, algo=frees_inside))
    assert state(pool) == before
    pool.free(kept, 8)  # the lock was released


# -- trackers ----------------------------------------------------------------


def test_a_raising_record_is_a_plugin_error_and_undoes_the_allocation() -> None:
    pool = genpool.Pool(3, trackers=("tag", "hostile_record"))
    pool.add(0x1000, 64)
    before = state(pool)
    with pytest.raises(genpool.PluginError, match=f"tracker 'hostile_record' of {HOSTILE} raised KeyError") as err:
        pool.alloc(8)
    assert isinstance(err.value.__cause__, KeyError)
    assert state(pool) == before


@pytest.mark.parametrize(
    ("tracker", "placeholder"),
    [("hostile_describe", "ZeroDivisionError: hostile describe"), ("hostile_list_describe", "not a mapping")],
)
def test_a_broken_describe_degrades_to_a_placeholder_and_never_hides_the_bug(tracker: str, placeholder: str) -> None:
    pool = genpool.Pool(3, trackers=("tag", tracker))
    pool.add(0x1000, 64)
    addr = pool.alloc(8, owner="mine")
    (record,) = pool.allocations()
    assert record.owner == "mine" and placeholder in record.info[tracker]
    assert pool.allocation_at(addr) == record
    with pytest.raises(genpool.PoolBug, match="1 allocation\\(s\\) outstanding") as bug:
        pool.destroy()
    assert placeholder in str(bug.value) and bug.value.outstanding[0].owner == "mine"


def test_a_tracker_calling_back_into_its_pool_gets_a_plugin_error_not_a_deadlock() -> None:
    pool = genpool.Pool(3, trackers=("tag", "hostile_reentrant_record"))
    pool.add(0x1000, 64)
    before = state(pool)
    with pytest.raises(genpool.PluginError, match="hostile_reentrant_record.*called back into pool"):
        finishes(lambda: pool.alloc(8))
    assert state(pool) == before


def test_a_describe_calling_back_into_its_pool_shows_a_placeholder() -> None:
    pool = genpool.Pool(3, trackers=("hostile_reentrant_describe",))
    pool.add(0x1000, 64)
    pool.alloc(8)
    (record,) = finishes(pool.allocations)  # type: ignore[misc]
    assert "called back into pool" in record.info["hostile_reentrant_describe"]


# -- observers ---------------------------------------------------------------


@pytest.mark.parametrize("action", ["error", "always"])
def test_observer_failures_never_lose_the_result_whatever_the_warnings_filter(
    action: str, caplog: pytest.LogCaptureFixture
) -> None:
    pool = genpool.Pool(3)
    pool.add(0x1000, 64)
    pool.observe("hostile_raising")
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, logger="genpool"):
        warnings.simplefilter(action)
        addr = pool.alloc(8)  # under "error" this raised ObserverWarning and the address was lost
    assert addr == 0x1000 and pool.avail == 56
    reported = [str(w.message) for w in caught] + [caplog.text]
    assert any("hostile_raising" in text and "hostile observer" in text for text in reported)


def test_an_observer_may_read_its_pool() -> None:
    pool = genpool.Pool(3, trackers=("tag",))
    pool.add(0x1000, 64)
    pool.observe("hostile_reentrant")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert finishes(lambda: pool.alloc(8)) == 0x1000
