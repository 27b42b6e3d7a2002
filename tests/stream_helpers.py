"""Helpers for the trace and watch tests: a pool's full state, and a program that drives pools.

``python tests/stream_helpers.py SEED STEPS`` is the producer the tests
run in a subprocess (with ``GENPOOL_WATCH`` or ``GENPOOL_TRACE`` set):
it makes its pools, runs a random burst, prints one JSON line with its
pools' state and the last ``seq``, then obeys stdin: ``burst N`` runs
N more steps and prints again, ``exit`` (or end of input) exits.
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

import genpool
import genpool.kernel as K
from genpool.stream import describe_pool


def state(pool: genpool.Pool) -> dict[str, Any]:
    """Everything a replica must agree on: identity, chunks, every bit (as runs), avail, allocations and owners."""
    record = describe_pool(pool, 0, 0)
    del record["pool"], record["seq"]
    # A replica carries the owners, not every tracker (a call site stays in the producer).
    record["trackers"] = bool(record["trackers"])
    record["avail"] = [chunk.avail for chunk in pool.chunks]
    return record


class Driver:
    """Pools of every kind the stream must carry, and a seeded random burst over them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tagged = genpool.Pool(3, nid=1, name="tagged", trackers=("tag", "callsite"))
        self.tagged.add_virt(0x1000_0000, 0x8000_0000, 1 << 14)
        # Overlapping chunks exist through the kernel API: an allocation must land in the right one.
        K.gen_pool_add_owner(self.tagged, 0x1000_2000, -1, 1 << 13, -1, "overlap")
        self.by_chunk = genpool.Pool(4, name="by-chunk", algo="best_fit", trackers=("chunk",))
        self.by_chunk.add_owner(0x2000_0000, 0x2000_0000, 1 << 12, owner={"device": "sram0"})
        self.plain = genpool.Pool(5)
        self.plain.add(0, 1 << 13 | 7)  # a tail shorter than a granule
        self.pools = [self.tagged, self.by_chunk, self.plain]
        self.live: list[tuple[genpool.Pool, int, int]] = []
        self.last_seq = 0
        for pool in self.pools:
            pool.observe(self._seen)

    def _seen(self, event: Any) -> None:
        self.last_seq = max(self.last_seq, event.seq)

    def burst(self, steps: int) -> None:
        """``steps`` random allocations (varied algorithms and owners) and frees, plus the odd rare event."""
        rng = self.rng
        owners = [None, "net", 7, ("tuple", 1), ["a", 1], object(), 2.5, True]
        for _ in range(steps):
            roll = rng.random()
            if self.live and roll < 0.45:
                pool, addr, size = self.live.pop(rng.randrange(len(self.live)))
                try:
                    pool.free(addr, size)
                except genpool.PoolBug:
                    pass  # freed through the newer, overlapping chunk (as the kernel would): the pool is unchanged
            elif roll < 0.46:
                pool = rng.choice(self.pools)
                pool.set_algo(rng.choice(["first_fit", "best_fit", "first_fit_order_align"]))
            elif roll < 0.465:
                try:
                    self.plain.free(1 << 20, 8)  # outside every chunk: a BUG the trace must carry
                except genpool.PoolBug:
                    pass
            else:
                pool = rng.choice(self.pools)
                size = rng.randint(1, 700)
                try:
                    addr = pool.alloc(size, owner=rng.choice(owners))
                except genpool.NoSpace:
                    continue
                self.live.append((pool, addr, size))

    def report(self) -> str:
        """One JSON line: the last seq and every pool's state."""
        return json.dumps({"last_seq": self.last_seq, "pools": [state(pool) for pool in self.pools]})


def main() -> None:
    """Run as the tests' producer program."""
    driver = Driver(int(sys.argv[1]))
    driver.burst(int(sys.argv[2]))
    print(driver.report(), flush=True)
    for line in sys.stdin:
        words = line.split()
        if words[:1] == ["burst"]:
            driver.burst(int(words[1]))
            print(driver.report(), flush=True)
        else:
            break


if __name__ == "__main__":
    main()
