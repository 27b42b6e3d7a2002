"""Shared fixtures for the genpool test suite.

Kept small on purpose: each test module builds the pools it needs in
plain sight, so the addresses a test asserts can be read off the test.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

import genpool

# Every hypothesis test in the suite sets its own max_examples; this
# profile only removes the wall-clock deadline (CI machines are slow and
# the large-bitmap examples vary a lot in cost) and the "too slow" check.
settings.register_profile(
    "genpool",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("genpool")


@pytest.fixture
def pool() -> genpool.Pool:
    """A pool of 8-byte granules with one 256-byte chunk at 0x1000."""
    pool = genpool.Pool(3)
    pool.add(0x1000, 0x100)
    return pool
