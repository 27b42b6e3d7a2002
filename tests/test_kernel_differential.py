"""``genpool.kernel`` against the real ``lib/genalloc.c`` of Linux 6.12.

The kernel file is compiled unmodified with our shim (:mod:`kernel_build`)
and both are driven with the same seeded random traces
(:mod:`kernel_diff`), compared after every operation.  The suite runs
``DEFAULT_TRACES`` traces; ``--kernel-traces N`` or
``GENPOOL_KERNEL_TRACES=N`` runs more.  Where the kernel source cannot be
had the tests fail with the reason: they are never skipped.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import genpool
import genpool.kernel as K
import kernel_build
import kernel_diff
import kernel_traces
import pytest

DEFAULT_TRACES = 300


@pytest.fixture(scope="module")
def kernel() -> tuple[ctypes.CDLL, str]:
    """The built C library and its kernel version; a one-line failure if it cannot be had."""
    try:
        lib, version = kernel_build.load()
    except kernel_build.KernelUnavailable as error:
        pytest.fail(f"the kernel's lib/genalloc.c is unavailable: {error}", pytrace=False)
    return kernel_diff.bind(lib), version


@pytest.fixture
def traces(request: pytest.FixtureRequest) -> int:
    """How many traces to run: the option, else the environment variable, else the default."""
    option = request.config.getoption("--kernel-traces", default=None)
    return int(option or os.environ.get("GENPOOL_KERNEL_TRACES") or DEFAULT_TRACES)


def test_the_library_is_linux_6_12(kernel: tuple[ctypes.CDLL, str]) -> None:
    assert kernel[1].startswith("6.12.")


def test_random_traces_agree_with_the_kernel(
    kernel: tuple[ctypes.CDLL, str], traces: int, capsys: pytest.CaptureFixture[str]
) -> None:
    lib, version = kernel
    stats = kernel_diff.Stats()
    for seed in range(traces):
        kernel_traces.run_trace(lib, seed, stats)
    # The traces must reach what they are for: BUGs, WARN_ONs and many operations.
    assert stats.traces == traces
    assert stats.operations > 40 * traces
    assert stats.bugs > traces and stats.warnings > traces // 4
    kinds = {"add", "add_virt", "add_owner", "alloc", "alloc_owner", "alloc_algo", "alloc_algo_owner", "dma_alloc"}
    kinds |= {"dma_alloc_algo", "dma_align", "dma_zalloc"}
    kinds |= {"dma_zalloc_algo", "dma_zalloc_align", "free", "free_owner", "has_addr", "virt_to_phys", "set_algo"}
    assert kinds | {"destroy"} == set(stats.kinds), stats.kinds
    with capsys.disabled():
        print(
            f"\nLinux {version}: {stats.traces} traces, {stats.operations} operations compared, "
            f"{stats.bugs} BUGs, {stats.warnings} WARN_ONs; by kind {dict(sorted(stats.kinds.items()))}"
        )


def test_a_divergence_is_reported_with_its_seed_and_operation(
    kernel: tuple[ctypes.CDLL, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison can fail: a genpool that frees one granule too few is caught."""
    lib, _ = kernel
    free = genpool.Pool.free_owner

    def short_free(pool: genpool.Pool, addr: int, size: int) -> object:
        return free(pool, addr, max(0, size - pool.granule))

    monkeypatch.setattr(genpool.Pool, "free_owner", short_free)
    with pytest.raises(kernel_diff.Divergence, match=r"^seed \d+, operation \d+ free"):
        for seed in range(50):
            kernel_traces.run_trace(lib, seed, kernel_diff.Stats())


def test_a_kernel_bug_is_caught_and_the_pool_restored(kernel: tuple[ctypes.CDLL, str]) -> None:
    """A double free BUGs in C (longjmp back to the harness) and raises PoolBug in genpool."""
    lib, _ = kernel
    cpool = lib.gen_pool_create(4, -1)
    assert lib.gen_pool_add_owner(cpool, 0x1000, 2**64 - 1, 0x100, -1, None) == 0
    assert lib.h_alloc(cpool, 0x20) == 0x1000
    assert lib.h_free_owner(cpool, 0x1000, 0x20, None) == 0
    assert lib.h_free_owner(cpool, 0x1000, 0x20, None) > 0  # the line of genalloc.c that called BUG
    assert lib.h_free_owner(cpool, 0x9000, 0x20, None) > 0  # outside every chunk
    assert lib.h_destroy(cpool) == 0
    pool = K.gen_pool_create(4, -1)
    K.gen_pool_add(pool, 0x1000, 0x100, -1)
    with pytest.raises(genpool.PoolBug):
        K.gen_pool_free(pool, 0x1000, 0x20)


def test_an_unobtainable_kernel_source_is_a_one_line_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GENPOOL_KERNEL_SOURCE", raising=False)
    monkeypatch.delenv("GENPOOL_KERNEL_DEB", raising=False)
    monkeypatch.setenv("GENPOOL_KERNEL_CACHE", str(tmp_path / "cache"))
    # An apt-get that cannot find the package, as on a machine whose lists were never updated.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    apt_get = bin_dir / "apt-get"
    apt_get.write_text("#!/bin/sh\necho 'E: Unable to locate package linux-source-6.12' >&2\nexit 100\n")
    apt_get.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(kernel_build.KernelUnavailable) as failure:
        kernel_build.load()
    assert str(failure.value) == (
        "apt-get download linux-source-6.12 failed (E: Unable to locate package linux-source-6.12); "
        "run apt-get update first?"
    )
    monkeypatch.setenv("GENPOOL_KERNEL_DEB", str(tmp_path / "nowhere.deb"))
    with pytest.raises(kernel_build.KernelUnavailable, match=r"^GENPOOL_KERNEL_DEB=.* holds no linux-source-6.12"):
        kernel_build.load()
    monkeypatch.setenv("GENPOOL_KERNEL_SOURCE", str(tmp_path))
    with pytest.raises(
        kernel_build.KernelUnavailable, match=r"^GENPOOL_KERNEL_SOURCE=.* lacks Makefile, lib/genalloc.c"
    ):
        kernel_build.load()


def test_cut_copies_a_macro_or_a_function_verbatim_and_skips_declarations() -> None:
    source = (
        "unsigned long twice(unsigned long x);\n"
        "#define TWICE(x)\t\\\n\t((x) * 2)\n"
        "static __always_inline\n"
        "unsigned long twice(unsigned long x)\n"
        "{\n"
        "\tif (x) {\n"
        "\t\treturn TWICE(x);\n"
        "\t}\n"
        "\treturn 0;\n"
        "}\n"
        "int after;\n"
    )
    assert kernel_build.cut(source, "TWICE") == "#define TWICE(x)\t\\\n\t((x) * 2)\n"
    assert kernel_build.cut(source, "twice") == "\n".join(source.splitlines()[3:11]) + "\n"
    with pytest.raises(kernel_build.KernelUnavailable, match="no definition of thrice"):
        kernel_build.cut(source, "thrice")
