"""Shared pieces of the watch and replay tests: a real producer in a subprocess, and waiting for it.

The producer is ``tests/producer.py``, a program with pools of its own
that the tests drive over its standard input.  It runs in a fresh
process, so its pools and ``seq`` numbers come out the same every run.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import genpool
import genpool.watch

sys.path.insert(0, str(Path(__file__).parent))
from producer import pool_state  # noqa: E402

__all__ = ["PRODUCER", "Producer", "Shown", "connected", "recorded", "replica_state", "until"]

PRODUCER = Path(__file__).with_name("producer.py")
#: Longest wait for anything a producer or a client does (a bound, not a timing).
PATIENCE = 20.0


class Producer:
    """``producer.py`` running in a subprocess; a context manager that ends it."""

    def __init__(self, address: str | None = None, *, token: str | None = None, trace: Path | None = None) -> None:
        env = dict(os.environ)
        env.pop("GENPOOL_WATCH", None)
        env.pop("GENPOOL_TRACE", None)
        args = ([] if trace is None else ["--record", str(trace)]) + (
            [] if address is None else [address, *([token] if token else [])]
        )
        self.process = subprocess.Popen(
            [sys.executable, str(PRODUCER), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        ready = self._line()
        assert ready.startswith("ready"), ready
        self.address = ready.split()[1] if len(ready.split()) > 1 else None

    def _read(self) -> None:
        """The producer's output, line by line, into a queue (a thread: readline has no timeout)."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.strip())
        self._lines.put(None)

    def _line(self) -> str:
        try:
            line = self._lines.get(timeout=PATIENCE)
        except queue.Empty:
            raise AssertionError("the producer did not answer") from None
        if line is None:
            raise AssertionError(f"the producer ended: {self.process.stderr.read() if self.process.stderr else ''}")
        return line

    def run(self, statement: str) -> list[str]:
        """Run one statement in the producer; the lines it printed."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(statement + "\n")
        stdin.flush()
        printed = []
        while (line := self._line()) != "ok":
            printed.append(line)
        return printed

    def state(self) -> dict[str, object]:
        """What the producer's pools hold (:func:`producer.state`)."""
        [line] = self.run("dump()")
        return json.loads(line)

    def stop(self) -> None:
        """End the producer's input and wait for it to exit (flushing its trace)."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(PATIENCE)

    def kill(self) -> None:
        """Kill the producer, as a crash would."""
        self.process.kill()
        self.process.wait(PATIENCE)

    def __enter__(self) -> Producer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill the producer if it still runs, and close its pipes."""
        if self.process.poll() is None:
            self.kill()
        self._reader.join(PATIENCE)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def recorded(path: Path, *statements: str) -> Path:
    """``path``, a trace of the producer running ``statements`` (from its start to its exit)."""
    with Producer(trace=path) as producer:
        for statement in statements:
            producer.run(statement)
        producer.stop()
    return path


@contextlib.contextmanager
def connected(address: str) -> Iterator[genpool.watch.WatchClient]:
    """A watch client of ``address`` that has its first snapshot; closed at the end."""
    client = genpool.watch.connect(address)
    try:
        assert client.wait_connected(PATIENCE), client.error
        yield client
    finally:
        client.close()


def replica_state(pools: dict[str, genpool.Pool]) -> dict[str, object]:
    """The same description as the producer's, of replica pools by name (JSON round trip included)."""
    return json.loads(json.dumps({name: pool_state(pool) for name, pool in pools.items() if not pool.destroyed}))


async def until(condition: Callable[[], bool], pilot: object = None, what: str = "the condition") -> None:
    """Wait (bounded) until ``condition()`` holds, letting the app run meanwhile."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if pilot is not None:
            await pilot.pause(0.02)  # type: ignore[attr-defined]
        else:
            time.sleep(0.02)


class Shown:
    """A watch client as a snapshot sees it: a fixed header and error (pid, argv and paths vary run to run)."""

    def __init__(self, client: object, header: dict[str, object], error: str | None = None) -> None:
        self._client = client
        self.header = header
        self.error = error

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)
