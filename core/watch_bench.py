"""``python -m genpool.watch_bench``: what watching and recording cost, and how fast replicas follow.

Four measurements, each against a baseline from the same run:

1. the producer: the steady-state workload of :mod:`genpool.bench`
   (1 MiB, order 3, first fit) unwatched, with a viewer attached (a
   real :class:`~genpool.watch.WatchClient` in another process, keeping
   replicas), recording to a trace, and with a stuck viewer (connected,
   never reading); the rounds alternate and the
   ratios to unwatched are taken round by round, their median quoted;
2. the viewer: records applied to a :class:`~genpool.replica.ReplicaSet`
   per second, beside JSON parsing alone;
3. a trace of ``--events`` events (1 M by default): how long
   :func:`genpool.trace.read` takes to open it;
4. and how long a :class:`~genpool.trace.Player` takes to seek to random
   ``seq`` in it.

The targets (issue 8): watched >= 50 % and recording >= 66 % of the
unwatched speed, >= 200 k records/s applied, open <= 5 s, seek <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import trace, watch
from .bench import steady_state
from .replica import ReplicaSet
from .stream import parse_record

__all__ = ["main"]

_VIEWER = """
import sys, time, genpool.watch as W
client = W.connect(sys.argv[1])
client.wait_connected(30)
print("connected", flush=True)
sys.stdin.readline()
print(client.replicas.seq, flush=True)
"""


def _producer_rounds(steps: int, rounds: int, folder: Path) -> dict[str, Any]:
    """Unwatched, watched and recording speeds, alternating; ratios per round."""
    address = f"unix:{folder / 'bench.sock'}"
    server = watch.serve(address)
    viewer = subprocess.Popen(
        [sys.executable, "-c", _VIEWER, address], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert viewer.stdout is not None and viewer.stdin is not None
    viewer.stdout.readline()
    server.close()  # the viewer reconnects to each watched round's server
    speeds: dict[str, list[float]] = {"unwatched": [], "watched": [], "recording": [], "stuck": []}
    try:
        for round_number in range(rounds):
            seed = round_number + 1
            speeds["unwatched"].append(steady_state("first_fit", 1 << 20, 3, steps, seed).ops_per_second)
            server = watch.serve(address)
            _wait_for_viewer(server)
            speeds["watched"].append(steady_state("first_fit", 1 << 20, 3, steps, seed).ops_per_second)
            server.close()
            with trace.record(folder / "bench.jsonl"):
                speeds["recording"].append(steady_state("first_fit", 1 << 20, 3, steps, seed).ops_per_second)
            speeds["stuck"].append(_with_stuck_viewer(folder, steps, seed))
    finally:
        viewer.kill()
        viewer.communicate()  # closes its pipes
    result: dict[str, object] = {name: statistics.median(values) for name, values in speeds.items()}
    for name in ("watched", "recording", "stuck"):
        ratios = [mine / base for mine, base in zip(speeds[name], speeds["unwatched"], strict=True)]
        result[f"{name}_ratio"] = statistics.median(ratios)
        result[f"{name}_ratio_range"] = (min(ratios), max(ratios))
    return result


def _with_stuck_viewer(folder: Path, steps: int, seed: int) -> float:
    """The producer's speed with a viewer that said hello and never reads."""
    address = f"unix:{folder / 'stuck.sock'}"
    server = watch.serve(address)
    stuck = socket.socket(socket.AF_UNIX)
    try:
        stuck.connect(address[5:])
        stuck.sendall(b'{"type":"hello","token":null}\n')
        _wait_for_viewer(server)
        return steady_state("first_fit", 1 << 20, 3, steps, seed).ops_per_second
    finally:
        server.close()
        stuck.close()


def _wait_for_viewer(server: watch.WatchServer) -> None:
    deadline = time.monotonic() + 30
    while not server.sinks() and time.monotonic() < deadline:
        time.sleep(0.01)


def _record_workload(path: Path, steps: int) -> None:
    with trace.record(path):
        steady_state("first_fit", 1 << 20, 3, steps, 1)


def _apply_rate(path: Path) -> dict[str, float]:
    """Records applied per second, and lines parsed per second, on one trace (parsed as a viewer parses them)."""
    lines = path.read_bytes().splitlines()
    start = time.perf_counter()
    records = [parse_record(line) for line in lines]
    parsed = len(records) / (time.perf_counter() - start)
    replicas = ReplicaSet(str(path))
    start = time.perf_counter()
    for record in records:
        replicas.apply(record)
    applied = len(records) / (time.perf_counter() - start)
    return {"records": len(records), "applied_per_s": applied, "parsed_per_s": parsed}


def _open_and_seek(path: Path, seeks: int) -> dict[str, Any]:
    start = time.perf_counter()
    loaded = trace.read(path)
    opened = time.perf_counter() - start
    player = loaded.player()
    rng = random.Random(1)
    times = []
    for _ in range(seeks):
        target = rng.randint(loaded.first_seq, loaded.last_seq)
        start = time.perf_counter()
        player.seek(target)
        times.append(time.perf_counter() - start)
    return {
        "events": loaded.event_count,
        "bytes": path.stat().st_size,
        "open_s": opened,
        "seek_median_ms": statistics.median(times) * 1000,
        "seek_max_ms": max(times) * 1000,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its figures (``--json`` for JSON)."""
    parser = argparse.ArgumentParser(prog="python -m genpool.watch_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200_000, help="workload steps per producer round")
    parser.add_argument("--rounds", type=int, default=3, help="producer rounds (each: unwatched, watched, recording)")
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the trace opened and sought")
    parser.add_argument("--seeks", type=int, default=50, help="random seeks timed")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        producer = _producer_rounds(args.steps, args.rounds, folder)
        small = folder / "apply.jsonl"
        _record_workload(small, args.steps)
        rates = _apply_rate(small)
        large = folder / "large.jsonl"
        _record_workload(large, args.events)
        loading = _open_and_seek(large, args.seeks)
    figures = {"producer": producer, "viewer": rates, "trace": loading}
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"producer, steady state 1 MiB order 3, {args.steps} steps x {args.rounds} rounds (median ops/s):")
    print(f"  unwatched  {producer['unwatched']:>10,.0f}")
    for name, target in (("watched", 0.50), ("recording", 0.66), ("stuck", 0.50)):
        low, high = producer[f"{name}_ratio_range"]
        print(
            f"  {name:<10} {producer[name]:>10,.0f}  {producer[f'{name}_ratio']:.2f} of unwatched "
            f"(rounds {low:.2f}..{high:.2f}; target >= {target:.2f})"
        )
    print(
        f"viewer: {rates['applied_per_s']:,.0f} records/s applied to replicas "
        f"(parsing the lines alone: {rates['parsed_per_s']:,.0f}/s; target >= 200,000)"
    )
    print(
        f"trace of {loading['events']:,} events ({loading['bytes'] / 2**20:.0f} MiB): opened in "
        f"{loading['open_s']:.2f} s (target <= 5), seek median {loading['seek_median_ms']:.1f} ms, "
        f"max {loading['seek_max_ms']:.1f} ms (target <= 100)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
