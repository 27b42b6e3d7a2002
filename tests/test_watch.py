"""Live watching: a real producer in a subprocess, viewers over a Unix socket and loopback TCP."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import genpool
import genpool.watch as W
import pytest
from genpool import InvalidArgument
from genpool.producer import get_producer
from stream_helpers import Driver, state

HELPER = str(Path(__file__).with_name("stream_helpers.py"))
WAIT = 30.0  # generous: the machine may be busy; a passing test never waits this long


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["unix", "tcp"])
def address(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A Unix socket path or a loopback port."""
    if request.param == "unix":
        return f"unix:{tmp_path / 'watch.sock'}"
    return f"127.0.0.1:{free_port()}"


class Producer:
    """The helper program, run with GENPOOL_WATCH set."""

    def __init__(self, address: str, seed: int = 1, steps: int = 500, **env: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, HELPER, str(seed), str(steps)],
            env={**os.environ, "GENPOOL_WATCH": address, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.report = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        assert line, self.proc.stderr.read()  # type: ignore[union-attr]
        return json.loads(line)

    def burst(self, steps: int) -> dict:
        self.proc.stdin.write(f"burst {steps}\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        self.report = self._read()
        return self.report

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()  # type: ignore[union-attr]


@pytest.fixture
def client_factory() -> Iterator:
    clients: list[W.WatchClient] = []

    def make(address: str, **kwargs: object) -> W.WatchClient:
        clients.append(W.connect(address, **kwargs))  # type: ignore[arg-type]
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def assert_equal(client: W.WatchClient, report: dict) -> None:
    assert client.wait_for(report["last_seq"], WAIT), (client.status, client.error)
    assert [state(pool) for pool in client.pools.values()] == report["pools"]


def test_replicas_equal_the_producers_pools_after_each_burst(address: str, client_factory) -> None:
    producer = Producer(address)
    try:
        client = client_factory(address)
        assert client.wait_connected(WAIT), client.error
        assert client.status == "connected" and client.error is None
        assert client.header["pid"] == producer.proc.pid and client.header["argv"][1:] == ["1", "500"]
        assert_equal(client, producer.report)
        for _ in range(3):
            assert_equal(client, producer.burst(700))
        assert client.replicas.bugs  # the driver's deliberate BUGs reached the viewer
    finally:
        producer.stop()


def test_a_killed_producer_goes_stale_and_a_restarted_one_is_picked_up(address: str, client_factory) -> None:
    producer = Producer(address, seed=1)
    client = client_factory(address)
    try:
        assert_equal(client, producer.report)
    finally:
        producer.stop()
    deadline = time.monotonic() + WAIT
    while client.status != "stale" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.status == "stale" and client.error
    kept = [state(pool) for pool in client.pools.values()]
    assert kept  # the last picture stays while the producer is away
    generation = client.replicas.generation
    producer = Producer(address, seed=2, steps=300)
    try:
        assert_equal(client, producer.report)
        assert client.replicas.generation > generation and client.header["pid"] == producer.proc.pid
    finally:
        producer.stop()


def test_misbehaving_viewers_change_nothing_for_the_producer_or_the_others(address: str, client_factory) -> None:
    producer = Producer(address)
    kind, where = W.parse_address(address)
    family = socket.AF_UNIX if kind == "unix" else socket.AF_INET
    try:
        good = client_factory(address)
        twice = client_factory(address)
        garbage = socket.socket(family)
        garbage.connect(where)
        garbage.sendall(b"\x00\xffnot a hello at all\n" * 10)
        silent = socket.socket(family)
        silent.connect(where)  # never says hello
        leaver = socket.socket(family)
        leaver.connect(where)
        leaver.sendall(b'{"type":"hello","token":null}\n')
        leaver.close()
        report = producer.burst(800)
        assert_equal(good, report)
        assert_equal(twice, report)
        garbage.close()
        silent.close()
        assert_equal(good, producer.burst(300))
        assert producer.proc.poll() is None
    finally:
        producer.stop()


def test_a_stuck_viewer_leaves_the_producers_memory_bounded(tmp_path: Path) -> None:
    """In a subprocess: a viewer that never reads, a heavy workload, and what the producer holds for it."""
    code = f"""
import resource, socket, json
import genpool, genpool.watch as W
from genpool.bench import steady_state
server = W.serve("unix:{tmp_path / "stuck.sock"}")
stuck = socket.socket(socket.AF_UNIX)
stuck.connect("{tmp_path / "stuck.sock"}")
stuck.sendall(b'{{"type":"hello","token":null}}\\n')
steady_state("first_fit", 1 << 20, 3, 20000, 1)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
queued = []
for seed in range(2, 8):
    steady_state("first_fit", 1 << 20, 3, 60000, seed)
    queued.append(sum(viewer._queued for viewer in server._viewers))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"queued": queued, "grown_kib": after - before}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert max(result["queued"]) <= W.VIEWER_BACKLOG + (1 << 17)  # and the rest of the piece being sent
    assert result["grown_kib"] < 64 * 1024


def test_serving_in_process_leaves_replicas_out_of_the_stream(tmp_path: Path, client_factory) -> None:
    address = f"unix:{tmp_path / 'self.sock'}"
    server = W.serve(address)
    try:
        assert get_producer() is not None and server.address == address and server.token is None
        driver = Driver(5)
        driver.burst(200)
        client = client_factory(address)
        assert client.wait_for(driver.last_seq, WAIT)
        mine = {pool.name for pool in driver.pools}
        replicas = [pool for pool in client.pools.values() if pool.name in mine or pool.name is None]
        assert [state(pool) for pool in replicas[-3:]] == [state(pool) for pool in driver.pools]
        count = len(client.pools)
        driver.burst(50)
        assert client.wait_for(driver.last_seq, WAIT) and len(client.pools) == count  # replicas not streamed back
    finally:
        server.close()
    assert get_producer() is None and not os.path.exists(tmp_path / "self.sock")


def test_tcp_port_zero_reports_the_real_port_and_tokens_are_checked(client_factory) -> None:
    server = W.serve("127.0.0.1:0", token="s3cret")
    try:
        host, port = server.address.rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0
        pool = genpool.Pool(3, name="tokened")
        pool.add(0, 4096)
        right = client_factory(server.address, token="s3cret")
        assert right.wait_connected(WAIT)
        wrong = client_factory(server.address, token="guess")
        missing = client_factory(server.address)
        for client in (wrong, missing):
            deadline = time.monotonic() + WAIT
            while client.status != "disconnected" and time.monotonic() < deadline:
                time.sleep(0.01)
            assert client.status == "disconnected" and "wrong or missing token" in client.error
            assert not client.wait_connected(0.01)
    finally:
        server.close()


def test_allow_remote_requires_a_token_and_generates_one() -> None:
    server = W.serve("127.0.0.1:0", allow_remote=True)
    try:
        assert server.token and len(server.token) >= 16
    finally:
        server.close()


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "message"),
    [
        (None, "address must be a string"),
        ("unix:", "names no socket path"),
        ("localhost", "is not unix:PATH or HOST:PORT"),
        ("127.0.0.1:http", "is not unix:PATH or HOST:PORT"),
        ("127.0.0.1:70000", "is not unix:PATH or HOST:PORT"),
        (":80", "is not unix:PATH or HOST:PORT"),
        ("10.1.2.3:9000", "is not loopback"),
        ("example.com:9000", "is not loopback"),
    ],
)
def test_bad_addresses_are_refused_at_once(address: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as caught:
        W.connect(address)  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)
    with pytest.raises(InvalidArgument, match=message):
        W.serve(address)  # type: ignore[arg-type]
    assert get_producer() is None


@pytest.mark.parametrize("token", ["", "two\nlines", 5])
def test_bad_tokens_are_refused(token: object) -> None:
    with pytest.raises(InvalidArgument, match="token must be"):
        W.connect("127.0.0.1:1", token=token)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="token must be"):
        W.serve("127.0.0.1:0", token=token)  # type: ignore[arg-type]


def test_an_address_in_use_is_refused(tmp_path: Path) -> None:
    unix = f"unix:{tmp_path / 'busy.sock'}"
    server = W.serve(unix)
    tcp = W.serve("127.0.0.1:0")
    try:
        for address in (unix, tcp.address):
            with pytest.raises(InvalidArgument, match="address already in use"):
                W.serve(address)
    finally:
        server.close()
        tcp.close()
    plain = tmp_path / "plain-file"
    plain.write_text("not a socket")
    with pytest.raises(InvalidArgument, match="exists and is not a socket"):
        W.serve(f"unix:{plain}")
    assert plain.read_text() == "not a socket"


def test_something_that_is_not_a_genpool_stream_is_reported(client_factory) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer() -> None:
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello\n")
        conn.close()

    thread = threading.Thread(target=answer)
    thread.start()
    client = client_factory(f"127.0.0.1:{port}")
    deadline = time.monotonic() + WAIT
    while client.status != "disconnected" and time.monotonic() < deadline:
        time.sleep(0.01)
    thread.join()
    listener.close()
    assert client.status == "disconnected" and "not a genpool stream" in client.error
    assert "\n" not in client.error


def test_nobody_listening_keeps_the_client_connecting(tmp_path: Path, client_factory) -> None:
    client = client_factory(f"unix:{tmp_path / 'nobody.sock'}")
    assert not client.wait_connected(0.3)
    assert client.status == "connecting" and client.error
    client.close()
    assert client.status == "disconnected"


def test_watching_from_the_environment_reports_a_bad_address_and_goes_on() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import genpool; p = genpool.Pool(3); p.add(0, 64); print(p.alloc(8))"],
        env={**os.environ, "GENPOOL_WATCH": "10.9.8.7:1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout == "0\n"
    assert done.stderr.strip().startswith("genpool: GENPOOL_WATCH: address '10.9.8.7:1' is not loopback")


def test_watching_remotely_from_the_environment_tells_the_token_it_made_up() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import genpool"],
        env={**os.environ, "GENPOOL_WATCH": "127.0.0.1:0", "GENPOOL_WATCH_ALLOW_REMOTE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert re.fullmatch(r"genpool: watch 127\.0\.0\.1:\d+ with --token \S{16,}\n", done.stderr)


def test_wait_for_refuses_bad_arguments(tmp_path: Path, client_factory) -> None:
    client = client_factory(f"unix:{tmp_path / 'none.sock'}")
    for kwargs, message in [({"seq": "1"}, "seq must be an integer"), ({"seq": 1, "timeout": -1}, "timeout must be")]:
        with pytest.raises(InvalidArgument, match=message):
            client.wait_for(**kwargs)


def test_a_hung_producer_goes_stale_and_comes_back(tmp_path: Path, client_factory) -> None:
    address = f"unix:{tmp_path / 'hung.sock'}"
    producer = Producer(address)
    client = client_factory(address)
    try:
        assert_equal(client, producer.report)
        time.sleep(W.HEARTBEAT * 2)
        assert client.status == "connected"  # quiet but alive: its ticks keep it fresh
        producer.proc.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + WAIT
        while client.status != "stale" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.status == "stale" and "no word from the producer" in client.error
        producer.proc.send_signal(signal.SIGCONT)
        assert_equal(client, producer.burst(100))
        assert client.status == "connected" and client.error is None
    finally:
        producer.proc.send_signal(signal.SIGCONT)
        producer.stop()


def test_waiting_for_a_seq_waits_for_the_whole_snapshot(tmp_path: Path, client_factory) -> None:
    """A snapshot larger than one read of the socket is applied whole before ``wait_for`` returns."""
    pools = []
    for number in range(400):
        pool = genpool.Pool(3, name=f"many-{number}", trackers=("tag",))
        pool.add(number << 16, 4096)
        pool.alloc(8, owner="x" * 100)
        pools.append(pool)
    address = f"unix:{tmp_path / 'many.sock'}"
    server = W.serve(address)
    try:
        client = client_factory(address)
        assert client.wait_for(0, WAIT)
        names = {pool.name for pool in client.pools.values()}
        assert {pool.name for pool in pools} <= names
        assert client.replicas.loading == 0
    finally:
        server.close()


def test_the_watch_benchmark_runs_and_reports_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    from genpool.watch_bench import main

    assert main(["--steps", "2000", "--rounds", "1", "--events", "3000", "--seeks", "3", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["viewer"]["records"] > 2000 and figures["viewer"]["applied_per_s"] > 0
    assert figures["trace"]["events"] >= 3000 and len(figures["trace"]) > 1
    assert all(figures["producer"][name] > 0 for name in ("unwatched", "watched", "recording", "stuck"))
