"""The ``genpool`` namespace: what a user looks for is there, nothing private leaks."""

from __future__ import annotations

import inspect
import types

import genpool
import genpool.events
import genpool.host
import pytest


def public_non_modules(namespace: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(namespace).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }


def test_every_public_name_is_in_all_and_nothing_else() -> None:
    assert public_non_modules(genpool) == set(genpool.__all__) - {"__version__"}


def test_no_future_import_leaks() -> None:
    assert not hasattr(genpool, "annotations")


def test_warnings_are_exported_beside_kernel_warning() -> None:
    assert genpool.PluginWarning is genpool.host.PluginWarning
    assert genpool.ObserverWarning is genpool.events.ObserverWarning
    for warning in (genpool.KernelWarning, genpool.PluginWarning, genpool.ObserverWarning):
        assert issubclass(warning, UserWarning)


@pytest.mark.parametrize("name", sorted(set(genpool.__all__) - {"__version__", "ANY_DATA"}))
def test_every_export_documents_its_contract(name: str) -> None:
    value = getattr(genpool, name)
    assert inspect.isclass(value) or callable(value)
    assert (value.__doc__ or "").strip(), f"genpool.{name} has no docstring"


def test_the_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert genpool.__version__ == version("genpool")
