"""Benchmark of ``genpool watch``: frames per second while the viewer applies a fast stream.

Part of ``python -m genpool.tui.bench``.  A workload (the steady state:
sizes 8..4096 bytes on a 1 MiB order-3 pool, kept 50-80 % full) is
recorded once with :func:`genpool.trace.record`; a stand-in producer
in a process of its own then streams that recording over a Unix socket, as fast as the viewer
takes it or paced at a fixed rate, to a real
:func:`genpool.watch.connect` client, first alone (the viewer's own
apply rate) and then with the watch app drawing its replicas.  Reported:
records applied per second, the app's frames per second and how fast it
answers key presses.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import genpool
import genpool.trace
import genpool.watch

from .bench import FrameCounter, key_latencies, steady_state
from .watch_app import WatchApp

__all__ = ["record_workload", "watch_case"]

#: Lines sent per write by the stand-in producer.
BATCH = 2048
#: Records a second the default recording is sized for (above the viewer's own rate alone).
RECORDED_RATE = 600_000


def record_workload(path: Path, operations: int, seed: int = 7) -> None:
    """Record ``operations`` steady-state allocations and frees on a 1 MiB order-3 pool to ``path``."""
    with genpool.trace.record(path):
        pool = genpool.Pool(3, name="steady", trackers=("tag",))
        pool.add(0x1000_0000, 1 << 20)
        steady_state(pool, random.Random(seed), operations, [], 0)


def _serve() -> None:
    """The stand-in producer's process: ``python -c ... PATH ADDRESS RATE``, driven through its stdin.

    It serves the recording at PATH once on the Unix socket ADDRESS and says
    ``ready`` on its stdout.  The header and the pool's picture go at once,
    so the viewer connects; the events wait for a line on stdin, so a
    measurement that starts late (after the app started) still times them
    all; RATE (records a second, 0 for as fast as the viewer takes them)
    paces them.  The connection stays open until stdin closes.
    """
    path, address, rate_text = sys.argv[1:]
    rate = float(rate_text) or None
    lines = Path(path).read_bytes().splitlines(keepends=True)
    # Lines before the first event: the header, the resync, the pool and its chunk.
    picture = next(i for i, line in enumerate(lines) if b'"type":"alloc"' in line)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(1)
    print("ready", flush=True)
    connection, _ = listener.accept()
    with connection:
        connection.recv(4096)  # the viewer's hello
        try:
            connection.sendall(b"".join(lines[:picture]))
            sys.stdin.readline()
            started = time.perf_counter()
            events = lines[picture:]
            for first in range(0, len(events), BATCH):
                connection.sendall(b"".join(events[first : first + BATCH]))
                if rate is not None:
                    ahead = started + (first + BATCH) / rate - time.perf_counter()
                    if ahead > 0:
                        time.sleep(ahead)
            # Keep the connection open: a viewer that sees it close would go stale.
            sys.stdin.read()
        except OSError:
            pass  # the viewer went away: the run is over


class _StandIn:
    """A producer's stand-in: serves one recording, once, on a Unix socket, optionally paced.

    It runs in a process of its own, as a watched program does, so that it
    takes nothing from the viewer's interpreter.
    """

    def __init__(self, path: Path, address: Path, rate: float | None) -> None:
        with path.open("rb") as file:
            file.seek(max(0, path.stat().st_size - 4096))
            last = file.read().splitlines()[-1]
        #: The ``seq`` of the last record: a viewer that reaches it has taken the whole recording.
        self.last_seq = int(json.loads(last)["seq"])
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from {__name__} import _serve; _serve()", str(path), str(address), str(rate or 0)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline() != "ready\n":
            self.close()
            raise RuntimeError("the stand-in producer did not start")

    def go(self) -> None:
        """Start streaming the events."""
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def close(self) -> None:
        """Stop serving."""
        try:
            self.process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


class _CountingWatchApp(FrameCounter, WatchApp):
    """The watch app, counting frames and key arrivals."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.key_times = []


async def _measure(client: genpool.watch.WatchClient, stand_in: _StandIn, seconds: float) -> float:
    """Records applied a second over ``seconds`` (or until the recording ran out)."""
    seq, start, last_seq = client.replicas.seq, time.perf_counter(), stand_in.last_seq
    stand_in.go()
    while time.perf_counter() - start < seconds and client.replicas.seq < last_seq:
        await asyncio.sleep(0.05)
    return (client.replicas.seq - seq) / (time.perf_counter() - start)


async def _with_app(client: genpool.watch.WatchClient, stand_in: _StandIn, seconds: float) -> dict[str, float]:
    """The same with the app drawing: records a second, frames a second, key press latencies."""
    app = _CountingWatchApp(client, "bench", remember_theme=False, theme="genpool-dark")
    last_seq = stand_in.last_seq
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        # CPU time of each thread, which other work on the machine does not inflate: the UI thread's per
        # frame and the client thread's per record say where the interpreter's time went.
        client_clock = time.pthread_getcpuclockid(client._thread.ident)  # type: ignore[arg-type]
        ui_cpu, client_cpu = time.thread_time(), time.clock_gettime(client_clock)
        frames, seq, start = app.frames, client.replicas.seq, time.perf_counter()
        stand_in.go()
        latencies = await key_latencies(
            app, lambda: time.perf_counter() - start < seconds and client.replicas.seq < last_seq
        )
        elapsed = time.perf_counter() - start
        ui_cpu, client_cpu = time.thread_time() - ui_cpu, time.clock_gettime(client_clock) - client_cpu
        drawn, applied = max(1, app.frames - frames), max(1, client.replicas.seq - seq)
        return {
            "applied": (client.replicas.seq - seq) / elapsed,
            "fps": (app.frames - frames) / elapsed,
            "ui_ms_per_frame": ui_cpu / drawn * 1e3,
            "client_us_per_record": client_cpu / applied * 1e6,
            "key_median_ms": statistics.median(latencies) * 1e3 if latencies else float("nan"),
            "key_max_ms": max(latencies) * 1e3 if latencies else float("nan"),
        }


def _run(recording: Path, seconds: float, rate: float | None, app: bool) -> dict[str, float]:
    """Stream ``recording`` to a real client for ``seconds``, with the app drawing it or not."""
    with tempfile.TemporaryDirectory(prefix="genpool-bench-") as directory:
        address = Path(directory) / "stand-in.sock"
        stand_in = _StandIn(recording, address, rate)
        client = genpool.watch.connect(f"unix:{address}")
        try:
            if not client.wait_connected(30):
                raise RuntimeError(f"the viewer did not connect: {client.error}")
            if app:
                return asyncio.run(_with_app(client, stand_in, seconds))
            return {"applied": asyncio.run(_measure(client, stand_in, seconds))}
        finally:
            client.close()
            stand_in.close()


def watch_case(seconds: float, operations: int | None = None) -> None:
    """Print the viewer's apply rate alone and with the app, as fast as it can and paced at 200,000/s.

    The recording has ``operations`` operations (by default enough for ``seconds`` of streaming).
    """
    if operations is None:
        operations = int(RECORDED_RATE * seconds)
    with tempfile.TemporaryDirectory(prefix="genpool-bench-") as directory:
        recording = Path(directory) / "steady.jsonl"
        started = time.perf_counter()
        record_workload(recording, operations)
        print(
            f"watch: a recorded steady-state workload ({operations:,} operations, "
            f"{os.path.getsize(recording) >> 20} MiB, recorded in {time.perf_counter() - started:.1f} s) "
            f"streamed to a real watch client, {seconds:g} s each"
        )
        alone = _run(recording, seconds, None, app=False)["applied"]
        print(f"  viewer alone, as fast as it can     {alone:>10,.0f} records/s")
        for rate in (None, 200_000.0):
            result = _run(recording, seconds, rate, app=True)
            pace = "as fast as it can" if rate is None else f"paced at {rate:,.0f}/s"
            print(
                f"  with the app, {pace:<22}{result['applied']:>10,.0f} records/s  {result['fps']:6.1f} frames/s  "
                f"key {result['key_median_ms']:.1f} ms median, {result['key_max_ms']:.1f} ms max "
                f"({result['applied'] / alone if alone else float('nan'):.0%} of the viewer alone; CPU "
                f"{result['ui_ms_per_frame']:.1f} ms a frame, {result['client_us_per_record']:.1f} µs a record)"
            )
