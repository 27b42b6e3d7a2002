"""A program with pools of its own, for the watch and replay tests to look at from outside.

``python producer.py [--record TRACE] [ADDRESS [TOKEN]]`` builds two pools the same way
every time, fills them with a seeded burst, serves them on ADDRESS
(``genpool.watch.serve``) if one is given, prints ``ready ADDRESS`` and
then runs each line of its standard input as a Python statement (with
``pools``, ``burst``, ``double_free``, ``genpool`` and ``dump()`` in scope), answering ``ok`` to each.
It exits at the end of its input.  ``--record`` records all of it
with ``genpool.trace.record``.
"""

from __future__ import annotations

import json
import random
import sys

import genpool

_live: dict[str, list[tuple[int, int]]] = {}


def build() -> dict[str, genpool.Pool]:
    """Two pools: ``sram`` (32-byte granules, two chunks) and ``ids`` (one-byte granules, best fit)."""
    sram = genpool.Pool(5, name="sram", trackers=("tag",))
    sram.add_virt(0x4000_0000, 0x1000_0000, 64 * 1024)
    sram.add(0x5000_0000, 16 * 1024)
    ids = genpool.Pool(0, name="ids", algo="best_fit", trackers=("tag",))
    ids.add(0, 1024)
    return {"sram": sram, "ids": ids}


def burst(pool: genpool.Pool, count: int, seed: int) -> None:
    """``count`` seeded allocations and frees on ``pool``, owners ``rx``, ``tx``, ``fw`` and ``dma``."""
    rng = random.Random(seed)
    live = _live.setdefault(pool.name or "", [])
    granule = pool.granule
    for _ in range(count):
        if live and rng.random() < 0.35:
            addr, size = live.pop(rng.randrange(len(live)))
            pool.free(addr, size)
            continue
        size = rng.randint(1, 12) * granule
        try:
            live.append((pool.alloc(size, owner=rng.choice(("rx", "tx", "fw", "dma"))), size))
        except genpool.NoSpace:
            pass


def double_free(pool: genpool.Pool) -> None:
    """Allocate, free, and free again: the BUG a trace should show (the pool is unchanged)."""
    addr = pool.alloc(pool.granule, owner="twice")
    pool.free(addr, pool.granule)
    try:
        pool.free(addr, pool.granule)
    except genpool.PoolBug:
        pass


def state(pools: dict[str, genpool.Pool]) -> dict[str, object]:
    """What each live pool holds: its chunks' bitmaps and its allocations with owners (JSON)."""
    return {name: pool_state(pool) for name, pool in pools.items() if not pool.destroyed}


def pool_state(pool: genpool.Pool) -> dict[str, object]:
    """One pool's chunks (start, size, bitmap as hex) and allocations (addr, size, owner), comparable as JSON."""
    return {
        "chunks": [[chunk.start_addr, chunk.size, chunk.bitmap.to_bytes().hex()] for chunk in pool.chunks],
        "allocations": sorted([record.addr, record.size, record.owner] for record in pool.allocations()),
        "algorithm": pool.algorithm.name,
    }


def main(argv: list[str]) -> int:
    """Build, fill, serve, then obey standard input."""
    pools = build()
    burst(pools["sram"], 60, 1)
    burst(pools["ids"], 40, 2)
    server = None
    if argv:
        from genpool.watch import serve

        server = serve(argv[0], token=argv[1] if len(argv) > 1 else None)
        print(f"ready {server.address}", flush=True)
    else:
        print("ready", flush=True)
    scope = {
        "pools": pools,
        "burst": burst,
        "double_free": double_free,
        "genpool": genpool,
        "dump": lambda: print(json.dumps(state(pools)), flush=True),
    }
    for line in sys.stdin:
        exec(line, scope)
        print("ok", flush=True)
    if server is not None:
        server.close()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--record"]:
        import genpool.trace

        with genpool.trace.record(sys.argv[2]):
            raise SystemExit(main(sys.argv[3:]))
    raise SystemExit(main(sys.argv[1:]))
