"""Benchmark of ``genpool watch``: frames per second while the viewer applies a fast stream.

Part of ``python -m genpool.tui.bench``.  A workload (the steady state:
sizes 8..4096 bytes on a 1 MiB order-3 pool, kept 50-80 % full) is
recorded once with :func:`genpool.trace.record`; a stand-in producer
then streams that recording over a Unix socket, as fast as the viewer
takes it or paced at a fixed rate, to a real
:func:`genpool.watch.connect` client, first alone (the viewer's own
apply rate) and then with the watch app drawing its replicas.  Reported:
records applied per second and the app's frames per second.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import tempfile
import threading
import time
from pathlib import Path

import genpool
import genpool.trace
import genpool.watch

from .bench import steady_state
from .watch_app import WatchApp

__all__ = ["record_workload", "watch_case"]

#: Lines sent per write by the stand-in producer.
BATCH = 2048


def record_workload(path: Path, operations: int, seed: int = 7) -> None:
    """Record ``operations`` steady-state allocations and frees on a 1 MiB order-3 pool to ``path``."""
    with genpool.trace.record(path):
        pool = genpool.Pool(3, name="steady", trackers=("tag",))
        pool.add(0x1000_0000, 1 << 20)
        steady_state(pool, random.Random(seed), operations, [], 0)


class _StandIn:
    """Serves one recording, once, on a Unix socket: the header first, then the records, optionally paced."""

    def __init__(self, path: Path, address: Path, rate: float | None) -> None:
        self.lines = path.read_bytes().splitlines(keepends=True)
        self.rate = rate
        #: The ``seq`` of the last record: a viewer that reaches it has taken the whole recording.
        self.last_seq = int(json.loads(self.lines[-1])["seq"])
        self._done = threading.Event()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(address))
        self.listener.listen(1)
        self.thread = threading.Thread(target=self._serve, name="bench-stand-in", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            connection.recv(4096)  # the viewer's hello
            started = time.perf_counter()
            lines = self.lines
            try:
                for first in range(0, len(lines), BATCH):
                    connection.sendall(b"".join(lines[first : first + BATCH]))
                    if self.rate is not None:
                        ahead = started + (first + BATCH) / self.rate - time.perf_counter()
                        if ahead > 0:
                            time.sleep(ahead)
                # Keep the connection open: a viewer that sees it close would go stale.
                self._done.wait()
            except OSError:
                pass  # the viewer went away: the run is over

    def close(self) -> None:
        """Stop serving."""
        self._done.set()
        self.listener.close()
        self.thread.join(5)


class _CountingWatchApp(WatchApp):
    """The watch app, counting frames that reach the driver."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.frames = 0

    def _display(self, screen: object, renderable: object) -> None:
        if renderable is not None:
            self.frames += 1
        super()._display(screen, renderable)  # type: ignore[arg-type]


async def _measure(client: genpool.watch.WatchClient, seconds: float, last_seq: int, app: object = None) -> tuple:
    """Records applied a second over ``seconds`` (or until the recording ran out), and frames a second."""
    frames = getattr(app, "frames", 0)
    seq, start = client.replicas.seq, time.perf_counter()
    while time.perf_counter() - start < seconds and client.replicas.seq < last_seq:
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    return (client.replicas.seq - seq) / elapsed, (getattr(app, "frames", 0) - frames) / elapsed


async def _with_app(client: genpool.watch.WatchClient, seconds: float, last_seq: int) -> tuple[float, float]:
    app = _CountingWatchApp(client, "bench", remember_theme=False, theme="genpool-dark")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        return await _measure(client, seconds, last_seq, app)


def _run(recording: Path, seconds: float, rate: float | None, app: bool) -> tuple[float, float]:
    """Records applied a second (and frames a second with the app) over ``seconds`` of streaming."""
    with tempfile.TemporaryDirectory(prefix="genpool-bench-") as directory:
        address = Path(directory) / "stand-in.sock"
        stand_in = _StandIn(recording, address, rate)
        client = genpool.watch.connect(f"unix:{address}")
        try:
            if not client.wait_connected(30):
                raise RuntimeError(f"the viewer did not connect: {client.error}")
            if app:
                return asyncio.run(_with_app(client, seconds, stand_in.last_seq))
            return asyncio.run(_measure(client, seconds, stand_in.last_seq))
        finally:
            client.close()
            stand_in.close()


def watch_case(seconds: float, quick: bool) -> None:
    """Print the viewer's apply rate alone and with the app, as fast as it can and paced at 200,000/s."""
    operations = int((300_000 if quick else 1_000_000) * max(1.0, seconds / 5))
    with tempfile.TemporaryDirectory(prefix="genpool-bench-") as directory:
        recording = Path(directory) / "steady.jsonl"
        started = time.perf_counter()
        record_workload(recording, operations)
        print(
            f"watch: a recorded steady-state workload ({operations:,} operations, "
            f"{os.path.getsize(recording) >> 20} MiB, recorded in {time.perf_counter() - started:.1f} s) "
            f"streamed to a real watch client, {seconds:g} s each"
        )
        alone, _ = _run(recording, seconds, None, app=False)
        print(f"  viewer alone, as fast as it can     {alone:>10,.0f} records/s")
        for rate in (None, 200_000.0):
            applied, fps = _run(recording, seconds, rate, app=True)
            pace = "as fast as it can" if rate is None else f"paced at {rate:,.0f}/s"
            print(f"  with the app, {pace:<22}{applied:>10,.0f} records/s  {fps:6.1f} frames/s")
