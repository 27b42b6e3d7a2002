"""Suite-wide settings.

Kept small on purpose: each test module builds the pools it needs in
plain sight, so the addresses a test asserts can be read off the test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The example plugin packages in tests/plugins are installed by the README's
# test command into .test-plugins (pip --target), not into .venv, so programs
# run from .venv never load them.  The tests, and the programs they start, see
# them through sys.path and PYTHONPATH.
TEST_PLUGINS = Path(__file__).resolve().parent.parent / ".test-plugins"
sys.path.insert(0, str(TEST_PLUGINS))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TEST_PLUGINS), os.environ.get("PYTHONPATH")]))

# Some of those plugins fail to load, or break every pool, on purpose.  Keep
# them out of the process-wide plugin host; the tests whose subject they are
# (test_plugins.py, test_hostile_plugins.py) enable them in a host of their own.
os.environ.setdefault("GENPOOL_DISABLE_PLUGINS", "broken_import,broken_register,hostile_exit,hostile_lifecycle")


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to run without the example plugins rather than fail their tests obscurely."""
    if not (TEST_PLUGINS / "genpool_extras").is_dir():
        raise pytest.UsageError(
            f"the example plugins are not in {TEST_PLUGINS}; install them with: "
            ".venv/bin/pip install --no-deps --target .test-plugins ./tests/plugins/*/"
        )


# Every hypothesis test in the suite sets its own max_examples; this profile
# only removes the wall-clock deadline (CI machines are slow, and the
# large-bitmap examples vary a lot in cost) and the "too slow" checks.
settings.register_profile(
    "genpool",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("genpool")


# -- the differential test against the kernel (tests/test_kernel_differential.py)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--kernel-traces N``: how many random traces to compare with the real lib/genalloc.c."""
    parser.addoption("--kernel-traces", type=int, default=None, help="traces to run against lib/genalloc.c")
