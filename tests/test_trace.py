"""Recording and replaying traces: ``genpool.trace`` and ``genpool record``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import genpool
import genpool.trace as T
import pytest
from genpool import CorruptTrace, InvalidArgument
from genpool.replica import ReplicaSet, is_replica
from hypothesis import given, settings
from hypothesis import strategies as st
from stream_helpers import Driver, state

HELPER = str(Path(__file__).with_name("stream_helpers.py"))


def recorded(tmp_path: Path, steps: int = 600, seed: int = 1) -> tuple[Path, Driver]:
    """A trace of a Driver's pools: some made and used before recording started, most during."""
    path = tmp_path / "run.jsonl"
    driver = Driver(seed)
    driver.burst(steps // 3)
    with T.record(path) as written:
        assert written == str(path)
        driver.burst(steps)
    return path, driver


def last(replicas: ReplicaSet, count: int) -> list[genpool.Pool]:
    """The newest ``count`` replicas (the process records every live pool, other tests' too)."""
    return list(replicas.pools.values())[-count:]


def test_a_recorded_run_replays_to_exactly_its_end_state(tmp_path: Path) -> None:
    path, driver = recorded(tmp_path)
    trace = T.read(path)
    replicas = trace.replay()
    assert [state(pool) for pool in last(replicas, 3)] == [state(pool) for pool in driver.pools]
    assert all(is_replica(pool) for pool in replicas.pools.values())
    assert trace.header["pid"] == os.getpid() and trace.header["version"] == 1
    assert trace.event_count > 400 and trace.first_seq <= trace.last_seq == replicas.seq
    assert replicas.bugs and "outside every chunk" in replicas.bugs[0]["message"]


def test_replay_up_to_a_seq_matches_the_pools_at_that_moment(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    driver = Driver(2)
    with T.record(path):
        driver.burst(300)
        middle_seq, middle = driver.last_seq, [state(pool) for pool in driver.pools]
        driver.burst(300)
    replicas = T.read(path).replay(middle_seq)
    assert replicas.seq == middle_seq
    assert [state(pool) for pool in last(replicas, 3)] == middle


def test_threads_hammering_one_pool_are_recorded_in_seq_order(tmp_path: Path) -> None:
    pool = genpool.Pool(3, name="shared", trackers=("tag",))
    pool.add(0x1000, 1 << 15)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    def work(seed: int) -> None:
        import random

        rng, live = random.Random(seed), []
        for _ in range(3000):
            if live and rng.random() < 0.5:
                pool.free(*live.pop(rng.randrange(len(live))))
            else:
                size = rng.randint(1, 200)
                try:
                    live.append((pool.alloc(size, owner=seed), size))
                except genpool.NoSpace:
                    pass

    try:
        with T.record(tmp_path / "threads.jsonl"):
            threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        sys.setswitchinterval(old)
    trace = T.read(tmp_path / "threads.jsonl")
    assert [record["seq"] for record in trace.records()] == sorted(record["seq"] for record in trace.records())
    assert state(trace.replay().pools[max(trace.replay().pools)]) == state(pool)


def test_the_player_seeks_and_steps_both_ways_from_checkpoints(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(T, "CHECKPOINT_EVERY", 64)
    path, _ = recorded(tmp_path, steps=900)
    trace = T.read(path)
    player = trace.player()
    assert player.seq < trace.first_seq and player.replicas.pools == {}
    targets = [trace.last_seq, trace.first_seq + 10, (trace.first_seq + trace.last_seq) // 2, trace.first_seq]
    for target in targets:
        generation = player.replicas.generation
        player.seek(target)
        expected = trace.replay(target)
        assert player.seq == expected.seq
        assert [state(pool) for pool in player.replicas.pools.values()] == [
            state(pool) for pool in expected.pools.values()
        ]
        assert len(player.replicas.bugs) == len(expected.bugs)
        if target < trace.last_seq:
            assert player.replicas.generation > generation  # seeking back rebuilt the pools
    pools = dict(player.replicas.pools)
    seen = []
    for pool in pools.values():
        pool.observe(seen.append)
    player.step(5)
    assert player.replicas.pools == pools and seen  # stepping forward changes the same pools, observers hear it
    player.step(-3)
    assert player.position == 2 + trace.index_of(trace.first_seq)
    player.step(-(10**9))
    assert player.position == 0
    records = player.events(trace.first_seq, trace.first_seq + 50)
    assert records and all(trace.first_seq <= record["seq"] < trace.first_seq + 50 for record in records)


def test_check_prints_the_final_state_and_bugs(tmp_path: Path) -> None:
    path, driver = recorded(tmp_path)
    out = io.StringIO()
    assert T.check(path, out) == 0
    text = out.getvalue()
    assert "'tagged': order 3" in text and "BUG at seq" in text and "outside every chunk" in text
    assert f"{len(driver.tagged.allocations())} allocation(s)" in text


# -- bad traces -----------------------------------------------------------------


def test_a_truncated_trace_stops_at_its_last_line_with_what_came_before(tmp_path: Path) -> None:
    path, _ = recorded(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(lines[:-1]) + lines[-1][:-5])
    with pytest.raises(CorruptTrace) as caught:
        T.read(cut)
    assert caught.value.path == str(cut) and caught.value.line == len(lines)
    assert f"{cut}:{len(lines)}: truncated line" in str(caught.value)
    assert len(caught.value.partial) == len(lines) - 2
    out = io.StringIO()
    assert T.check(cut, out) == 1
    assert "corrupt trace" in out.getvalue() and "'tagged': order 3" in out.getvalue()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"{not json\n", "not JSON"),
        (b"[1, 2]\n", "expected a JSON object"),
        (b'{"type":"teleport","seq":99999999}\n', "unknown record type 'teleport'"),
        (b'{"type":["tick"],"seq":99999999}\n', r"unknown record type \['tick'\]"),
        (b'{"type":"tick"}\n', "a tick line has no place in a trace"),
        (b'{"type":"header","format":"genpool-trace","version":1}\n', "a header line has no place in a trace"),
        (b'{"type":"free","seq":99999999,"pool":POOL,"chunk":0,"addr":268435456}\n', "free record has no 'size'"),
        (b'{"type":"free","seq":99999999,"pool":POOL,"chunk":0,"addr":true,"size":8}\n', "'addr' is True"),
        (b'{"type":"free","seq":99999999,"pool":0,"chunk":0,"addr":0,"size":8}\n', "unknown pool 0"),
        (b'{"type":"free","seq":99999999,"pool":POOL,"chunk":7,"addr":0,"size":8}\n', "unknown chunk 7"),
        (b'{"type":"resync","seq":1,"pools":0}\n', "comes after seq"),
        (b'{"type":"resync","seq":99999999}\n', "resync record has no 'pools'"),
    ],
)
def test_a_corrupt_line_is_named_and_nothing_after_it_is_read(tmp_path: Path, bad: bytes, message: str) -> None:
    path, _ = recorded(tmp_path, steps=60)
    lines = path.read_bytes().splitlines(keepends=True)
    broken = tmp_path / "broken.jsonl"
    pool = json.loads(lines[2])["pool"]
    broken.write_bytes(b"".join(lines[:5]) + bad.replace(b"POOL", str(pool).encode()) + b"".join(lines[5:]))
    with pytest.raises(CorruptTrace, match=message) as caught:
        T.read(broken)
    assert caught.value.line == 6 and len(caught.value.partial) == 4


def test_records_that_contradict_the_replicas_are_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    pool = genpool.Pool(3, trackers=("tag",))
    with T.record(path):
        pool.add(0x1000, 4096)
        addr = pool.alloc(64)
    pool.free(addr, 64)
    lines = path.read_bytes().splitlines(keepends=True)
    alloc = json.loads(lines[-1])
    free_twice = {"type": "free", "seq": 10**9, "pool": alloc["pool"], "chunk": 0, "addr": 0x1000 + 64, "size": 8}
    busy = dict(alloc, seq=10**9, size=8)
    for extra, message in [(free_twice, "not allocated"), (busy, "busy granules")]:
        bad = tmp_path / "bad.jsonl"
        bad.write_bytes(b"".join(lines) + json.dumps(extra).encode() + b"\n")
        with pytest.raises(CorruptTrace, match=message):
            T.read(bad)


def test_future_versions_and_non_traces_are_refused(tmp_path: Path) -> None:
    path, _ = recorded(tmp_path, steps=30)
    lines = path.read_bytes().splitlines(keepends=True)
    head = json.loads(lines[0])
    future = tmp_path / "future.jsonl"
    future.write_bytes(json.dumps(head | {"version": 99}).encode() + b"\n" + b"".join(lines[1:]))
    with pytest.raises(InvalidArgument, match=r"version 99 is not supported \(this genpool reads version 1\)"):
        T.read(future)
    assert T.check(future, io.StringIO()) == 2
    other = tmp_path / "other.txt"
    other.write_text("hello\n")
    with pytest.raises(CorruptTrace, match="not a genpool trace"):
        T.read(other)
    with pytest.raises(InvalidArgument, match="cannot read the trace"):
        T.read(tmp_path / "missing.jsonl")
    assert T.check(tmp_path / "missing.jsonl", io.StringIO()) == 2


@pytest.mark.parametrize("path", [None, 42])
def test_bad_paths_are_refused(path: object) -> None:
    with pytest.raises(InvalidArgument, match="path must be a file path"):
        T.read(path)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="path must be a file path"):
        with T.record(path):  # type: ignore[arg-type]
            pass


def test_an_unwritable_trace_is_refused_and_nothing_starts(tmp_path: Path) -> None:
    from genpool.producer import get_producer

    with pytest.raises(InvalidArgument, match="cannot write the trace"):
        with T.record(tmp_path / "no" / "such" / "dir.jsonl"):
            pass
    assert get_producer() is None


def test_the_documented_example_parses(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "docs" / "trace-format.md").read_text()
    example = text.split("<!-- example -->")[1].split("```text\n")[1].split("```")[0]
    path = tmp_path / "example.jsonl"
    path.write_text(example)
    trace = T.read(path)
    assert trace.event_count >= 5 and trace.replay().pools


# -- the whole process: GENPOOL_TRACE, genpool record, nothing by default ----------


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_without_the_variables_importing_genpool_starts_nothing() -> None:
    code = (
        "import threading, genpool, genpool.kernel\n"
        "pool = genpool.Pool(3); pool.add(0, 4096); pool.alloc(8)\n"
        "from genpool.producer import get_producer\n"
        "assert get_producer() is None and threading.active_count() == 1, threading.enumerate()\n"
        "assert pool.observers == ()\n"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr


def test_a_program_recorded_with_the_variable_replays_to_its_end_state(tmp_path: Path) -> None:
    path = tmp_path / "program.jsonl"
    done = subprocess.run(
        [sys.executable, HELPER, "3", "800"],
        env={**os.environ, "GENPOOL_TRACE": str(path)},
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    final = json.loads(done.stdout)
    replicas = T.read(path).replay()
    assert [state(pool) for pool in replicas.pools.values()] == final["pools"]
    assert replicas.seq == final["last_seq"]


def test_genpool_record_runs_the_program_and_reports_the_trace(tmp_path: Path) -> None:
    path = tmp_path / "cli.jsonl"
    genpool_cli = [sys.executable, "-m", "genpool.cli"]
    done = subprocess.run(
        [*genpool_cli, "record", "-o", str(path), "--", sys.executable, HELPER, "4", "100"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    events = T.read(path).event_count
    assert f"trace written to {path} ({path.stat().st_size} bytes, {events} events)" in done.stderr
    failing = subprocess.run(
        [*genpool_cli, "record", "-o", str(path), "--", sys.executable, "-c", "import genpool; raise SystemExit(3)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failing.returncode == 3 and T.read(path).event_count == 0


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--", sys.executable, "-c", "pass"], 1, "never imported genpool"),
        ([], 2, "give the program to run after --"),
        (["--", "/no/such/program"], 127, "cannot run '/no/such/program'"),
    ],
)
def test_genpool_record_bad_input(tmp_path: Path, args: list[str], status: int, message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "genpool.cli", "record", "-o", str(tmp_path / "x.jsonl"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == status and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_genpool_record_refuses_an_unwritable_trace(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "genpool.cli", "record", "-o", str(tmp_path / "no" / "x"), "--", "true"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "cannot write the trace" in done.stderr


# -- the producer's safety valves: a full queue and a late event cost a resync, never a wrong trace --


def test_a_full_queue_costs_a_resync_and_the_trace_stays_exact(tmp_path: Path, monkeypatch) -> None:
    from genpool import producer as P

    monkeypatch.setattr(P, "QUEUE_LIMIT", 64)
    driver = Driver(6)
    path = tmp_path / "full.jsonl"
    with T.record(path):
        running = P.get_producer()
        with running._cycle_lock:  # the writer is held up: events pile up past the queue's bound
            driver.burst(400)
            assert len(running.queue) == 64
        driver.burst(50)
    trace = T.read(path)
    assert sum(record["type"] == "resync" for record in trace.records()) == 2
    assert [state(pool) for pool in last(trace.replay(), 3)] == [state(pool) for pool in driver.pools]


def test_an_event_later_than_the_hold_back_costs_a_resync(tmp_path: Path) -> None:
    from genpool import producer as P

    driver = Driver(7)
    path = tmp_path / "late.jsonl"
    with T.record(path):
        running = P.get_producer()
        with running._cycle_lock:
            driver.burst(100)
            early = running.queue.popleft()  # as if its thread stalled between the pool's lock and the observer
            running._cycle(final=True)
            running.queue.append(early)
            running._cycle(final=True)
        driver.burst(100)
    trace = T.read(path)
    assert sum(record["type"] == "resync" for record in trace.records()) == 2
    assert all(record["seq"] != early.seq for record in trace.records())
    assert [state(pool) for pool in last(trace.replay(), 3)] == [state(pool) for pool in driver.pools]


def test_seeking_keeps_owners_of_pools_that_track_only_call_sites(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(T, "CHECKPOINT_EVERY", 4)
    pool = genpool.Pool(3, name="sites", trackers=("callsite",))
    pool.add(0, 4096)
    with T.record(tmp_path / "sites.jsonl"):
        for _ in range(20):
            pool.alloc(8, owner="ignored: not tracked")
    trace = T.read(tmp_path / "sites.jsonl")
    player = trace.player()
    player.seek(trace.last_seq - 3)
    player.seek(trace.last_seq)
    replica = [p for p in player.replicas.pools.values() if p.name == "sites"][-1]
    assert state(replica) == state(pool) and {a.owner for a in replica.allocations()} == {None}


def test_the_player_refuses_bad_positions(tmp_path: Path) -> None:
    path, _ = recorded(tmp_path, steps=30)
    player = T.read(path).player()
    for call, message in [
        (lambda: player.seek("5"), "seq must be an integer"),
        (lambda: player.step(1.5), "n must be an integer"),
        (lambda: player.events(None, 5), "start_seq must be an integer"),
        (lambda: player.events(0, "9"), "stop_seq must be an integer"),
        (lambda: T.read(path, progress=3), "progress must be callable"),
        (lambda: ReplicaSet(7), "source must be a string"),
    ]:
        position = player.position
        with pytest.raises(InvalidArgument, match=message):
            call()
        assert player.position == position


def test_read_reports_progress_up_to_the_whole_file(tmp_path: Path) -> None:
    path, _ = recorded(tmp_path, steps=60)
    seen: list[tuple[int, int]] = []
    T.read(path, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)


def test_events_with_no_seq_missing_are_written_in_the_cycle_they_arrive(tmp_path: Path) -> None:
    from genpool import producer as P

    driver = Driver(8)
    with T.record(tmp_path / "prompt.jsonl"):
        running = P.get_producer()
        with running._cycle_lock:
            driver.burst(10)
            running._cycle(final=False)  # the snapshot took a seq: these wait one cycle behind its gap
            driver.burst(100)
            running._cycle(final=False)
            assert running._held == [] and not running.queue


def test_a_gap_in_seq_holds_the_newer_events_back_a_cycle_and_costs_no_resync(tmp_path: Path) -> None:
    from genpool import producer as P

    driver = Driver(9)
    path = tmp_path / "gap.jsonl"
    with T.record(path):
        running = P.get_producer()
        with running._cycle_lock:
            driver.burst(10)
            running._cycle(final=False)
            driver.burst(100)
            stalled = running.queue[50]  # its thread is between the pool's lock and the observer
            running.queue.remove(stalled)
            running._cycle(final=False)
            assert [event.seq for event in running._held][:1] == [stalled.seq + 1]
            running.queue.append(stalled)
            running._cycle(final=False)
            assert running._held == []
        driver.burst(100)
    trace = T.read(path)
    assert sum(record["type"] == "resync" for record in trace.records()) == 1
    assert any(record["seq"] == stalled.seq for record in trace.records())
    assert [state(pool) for pool in last(trace.replay(), 3)] == [state(pool) for pool in driver.pools]


@settings(max_examples=300)
@given(st.sets(st.integers(1, 60), max_size=30).map(sorted).filter(bool), st.integers(0, 60), st.integers(0, 60))
def test_the_writable_count_is_the_watermark_then_the_run_with_no_gap(
    seqs: list[int], watermark: int, written: int
) -> None:
    from genpool.lines import writable_count

    safe = max(watermark, written)
    count = sum(seq <= safe for seq in seqs)
    last_seq = max([written, *seqs[:count]])
    while count < len(seqs) and seqs[count] == last_seq + 1:
        last_seq = seqs[count]
        count += 1
    assert writable_count(seqs, safe, written) == count


def test_allocations_and_frees_in_known_chunks_are_queued_as_untracked_lines(tmp_path: Path) -> None:
    import gc

    from genpool import producer as P
    from genpool.events import Allocated
    from genpool.stream import AllocRecord, FreeRecord

    pool = genpool.Pool(5)
    pool.add(0x4000, 1 << 12)
    with T.record(tmp_path / "lines.jsonl") as path:
        running = P.get_producer()
        with running._cycle_lock:
            pool.free(pool.alloc(32), 32)
            running._cycle(final=True)  # the writer meets the chunk and caches its place
            addr = pool.alloc(40, owner="net")
            pool.free(addr, 40)
            odd = pool.alloc(8, owner=("a", 1))  # an owner that needs owner_value waits for the writer
            line, freed, event = list(running.queue)
    assert type(line) is AllocRecord and (line.addr, line.size, line.owner) == (addr, 40, "net")
    assert type(freed) is FreeRecord and (freed.addr, freed.size) == (addr, 40)
    assert not gc.is_tracked(line) and not gc.is_tracked(freed)
    assert type(event) is Allocated and event.addr == odd
    alloc = [record for record in T.read(path).records() if record["type"] == "alloc"][-1]
    assert (alloc["addr"], alloc["owner"]) == (odd, "('a', 1)")
