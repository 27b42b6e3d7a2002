"""The plugin guide's examples run: its plugins load, register and work."""

from __future__ import annotations

import re
import tomllib
import types
from pathlib import Path

import genpool
import pytest
from genpool.conformance import check_algorithm
from genpool.host import get_host

GUIDE = (Path(__file__).resolve().parent.parent / "docs" / "plugins.md").read_text()
PYTHON = re.findall(r"```python\n(.*?)```", GUIDE, flags=re.S)
TOML = re.findall(r"```toml\n(.*?)```", GUIDE, flags=re.S)


def module_from(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"docs/plugins.md:{name}", "exec"), module.__dict__)
    return module


def test_guide_has_the_promised_examples() -> None:
    assert len(PYTHON) >= 6 and len(TOML) >= 1
    assert "def worst_fit(" in PYTHON[0] and "genpool_register_algorithms" in PYTHON[0]


def test_guide_pyproject_declares_the_entry_point() -> None:
    project = tomllib.loads(TOML[0])
    assert project["project"]["entry-points"]["genpool.plugins"] == {"worst_fit": "worst_fit"}
    assert "genpool" in project["project"]["dependencies"]


def test_guide_algorithm_plugin_loads_and_conforms() -> None:
    module = module_from(PYTHON[0].replace('"worst_fit"', '"guide_worst_fit"'), "guide_worst_fit")
    check_algorithm(module.worst_fit)
    get_host().add_plugin(module, "guide_worst_fit", distribution="genpool-worst-fit", version="1.0.0")
    assert get_host().algorithm("guide_worst_fit").search is module.worst_fit


def test_guide_tracker_plugin_loads() -> None:
    block = next(block for block in PYTHON if "class LifetimeTracker" in block)
    module = module_from(block.replace('"lifetime"', '"guide_lifetime"'), "guide_lifetime")
    get_host().add_plugin(module, "guide_lifetime")
    pool = genpool.Pool(4, trackers=("guide_lifetime",))
    pool.add(0, 64)
    assert pool.allocation_at(pool.alloc(8)).info["age"] >= 0  # type: ignore[union-attr]


@pytest.mark.parametrize("index", [i for i, block in enumerate(PYTHON) if "hookimpl" not in block])
def test_guide_usage_examples_run(index: int) -> None:
    """The usage examples, which rely on genpool-extras providing worst_fit and lifetime."""
    namespace = {"__name__": "guide_example"}
    if "check_algorithm(worst_fit)" in PYTHON[index]:
        namespace["worst_fit"] = module_from(PYTHON[0], "guide_worst_fit_usage").worst_fit
    exec(compile(PYTHON[index], f"docs/plugins.md example {index}", "exec"), namespace)
