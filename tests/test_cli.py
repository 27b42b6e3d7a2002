"""The genpool command: version, bench, plugins; the core never imports Textual."""

from __future__ import annotations

import json
import subprocess
import sys

import genpool
import pytest
from genpool import bench
from genpool.cli import byte_size, main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "genpool.cli", *args], capture_output=True, text=True, check=False)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"genpool {genpool.__version__}"


def test_importing_the_core_never_imports_textual() -> None:
    code = (
        "import sys, genpool, genpool.kernel, genpool.plugins, genpool.bench, genpool.cli; "
        "genpool.Pool(3); print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_bench_json_reports_every_algorithm_and_the_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--steps", "2000", "--pool-size", "64K", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["algorithm"] for row in rows] == [
        "first_fit",
        "first_fit_align",
        "first_fit_order_align",
        "best_fit",
        "fixed_alloc",
        "naive",
    ]
    for row in rows:
        assert row["pool_size"] == 65536 and row["order"] == 3 and row["ops_per_second"] > 0
        assert 0.0 <= row["fragmentation"] <= 1.0
    assert all(row["vs_naive"] > 0 for row in rows[:-1])
    assert rows[0]["bytes_per_granule"] == 1.0


def test_bench_table_and_options() -> None:
    result = run(
        "bench", "--steps", "1000", "--pool-size", "32K", "--order", "4", "--algorithm", "best_fit", "--no-baseline"
    )
    assert result.returncode == 0, result.stderr
    assert "best_fit" in result.stdout and "naive" not in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["bench", "--order", "64"],
        ["bench", "--pool-size", "lots"],
        ["bench", "--steps", "0"],
        ["bench", "--algorithm", "nope"],
        ["frobnicate"],
    ],
)
def test_bad_command_lines_are_refused_with_a_message(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2 and "error:" in result.stderr and "Traceback" not in result.stderr


def test_byte_sizes() -> None:
    assert [byte_size(text) for text in ("4096", "0x1000", "64K", "256M", "4GiB", "1 m")] == [
        4096,
        4096,
        65536,
        256 << 20,
        4 << 30,
        1 << 20,
    ]


def test_naive_baseline_agrees_with_first_fit() -> None:
    """The baseline is a fair comparison: same workload, same placements."""
    ours = bench.steady_state("first_fit", 1 << 16, 3, 3000, 7)
    naive = bench.steady_state("first_fit", 1 << 16, 3, 3000, 7, naive=True)
    assert (ours.steps, ours.failed_allocs, ours.fragmentation) == (
        naive.steps,
        naive.failed_allocs,
        naive.fragmentation,
    )


def test_fragmented_case_finds_the_last_4k() -> None:
    times = list(bench.fragmented_alloc_free(1 << 20, 3, 3))
    assert len(times) == 3 and all(t > 0 for t in times)


def test_fill_fills() -> None:
    result = bench.fill(1 << 20, 3, 1)
    assert result.steps > (1 << 20) // 4096


# -- the performance suite's rows (the suite itself runs for minutes: see README) --------


def test_suite_rows_know_their_targets() -> None:
    from genpool.bench_suite import Row

    fast = Row("fast", "ops/s", [90_000.0, 120_000.0, 110_000.0], at_least=100_000)
    assert fast.median == 110_000 and fast.met is True and fast.target == "≥ 100 k ops/s"
    assert fast.measured() == "110 k ops/s (90 k ops/s … 120 k ops/s)"
    slow = Row("slow", "ms", [12.0, 9.0, 11.0], at_most=10.0)
    assert slow.met is False and slow.target == "≤ 10 ms"
    shown = Row("shown", "×", [1.77])
    assert shown.met is None and shown.target == "—" and shown.measured() == "1.77×"
    assert slow.as_dict()["low"] == 9.0 and slow.as_dict()["met"] is False


def test_suite_failing_searches_and_fixed_alloc_measure_real_calls() -> None:
    from genpool.bench_suite import FAILING, failing_allocs, fixed_alloc_times

    timings = list(failing_allocs(64 << 10, 3, 2))
    assert [name for name, _ in timings] == [name for name, _ in FAILING] * 2
    assert all(seconds > 0 for _, seconds in timings)
    times = fixed_alloc_times(64 << 10, 3, seed=1, calls=50)
    assert len(times) == 50 and all(seconds > 0 for seconds in times)


def test_naive_baseline_checks_its_arguments_and_locks() -> None:
    pool = bench.NaivePool(3, 1024)
    addr = pool.alloc(100)
    assert addr == bench.BASE and pool.avail == 1024 - 104
    for size in (0, -1, 1.5, "8"):
        with pytest.raises(genpool.InvalidArgument):
            pool.alloc(size)
    with pytest.raises(genpool.InvalidArgument):
        pool.free("addr", 100)
    pool.free(addr, 100)
    assert pool.avail == 1024 and not pool.lock.locked()
