"""Build the real ``lib/genalloc.c`` into a shared library the tests drive with ctypes.

Nothing of the kernel is committed.  The source comes from Debian's
``linux-source-6.12`` package, found or fetched in this order:

1. ``GENPOOL_KERNEL_SOURCE``: an unpacked kernel tree (for development);
2. the cache directory (``GENPOOL_KERNEL_CACHE``, else the user cache
   directory), where an earlier run left the few files it needs;
3. a ``linux-source-6.12_*.deb`` in ``GENPOOL_KERNEL_DEB`` or in the cache;
4. ``apt-get download linux-source-6.12`` into the cache.

From the package only ``lib/genalloc.c`` (compiled unmodified), its header,
and the bit-search functions it calls are taken; :func:`cut` copies the
latter out of ``lib/bitmap.c``, ``lib/find_bit.c``, ``include/linux/find.h``
and ``include/linux/bitmap.h`` by name, so that none of them is retyped.
``tests/kernel_c/`` holds our shim for everything else.  Any failure is a
:class:`KernelUnavailable` with a one-line reason.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from platformdirs import user_cache_dir

PACKAGE = "linux-source-6.12"
SHIM = Path(__file__).parent / "kernel_c"
#: The kernel files the build reads, relative to the top of the source tree.
WANTED = (
    "Makefile",
    "lib/genalloc.c",
    "lib/bitmap.c",
    "lib/find_bit.c",
    "include/linux/genalloc.h",
    "include/linux/bitmap.h",
    "include/linux/find.h",
)
#: What the bit searches genalloc.c calls are made of: (file, macro or function).
BITSEARCH = (
    ("lib/find_bit.c", "FIND_FIRST_BIT"),
    ("lib/find_bit.c", "FIND_NEXT_BIT"),
    ("lib/find_bit.c", "_find_first_bit"),
    ("lib/find_bit.c", "_find_next_bit"),
    ("lib/find_bit.c", "_find_next_zero_bit"),
    ("include/linux/find.h", "find_next_bit"),
    ("include/linux/find.h", "find_next_zero_bit"),
    ("include/linux/find.h", "find_first_bit"),
    ("lib/bitmap.c", "bitmap_find_next_zero_area_off"),
    ("include/linux/bitmap.h", "bitmap_find_next_zero_area"),
)


class KernelUnavailable(Exception):
    """The kernel source could not be found, fetched or built; the message says why in one line."""


def cache_dir() -> Path:
    """Where the fetched package, the extracted files and the built library live."""
    return Path(os.environ.get("GENPOOL_KERNEL_CACHE") or user_cache_dir("genpool")) / "kernel"


def source_tree() -> Path:
    """A directory holding every file of :data:`WANTED`, fetching the package if need be."""
    given = os.environ.get("GENPOOL_KERNEL_SOURCE")
    if given:
        tree = Path(given)
        missing = [name for name in WANTED if not (tree / name).is_file()]
        if missing:
            raise KernelUnavailable(f"GENPOOL_KERNEL_SOURCE={given} lacks {', '.join(missing)}")
        return tree
    tree = cache_dir() / PACKAGE
    if all((tree / name).is_file() for name in WANTED):
        return tree
    _extract(_package(), tree)
    return tree


def _package() -> Path:
    """The ``.deb``: given, cached, or downloaded with apt-get."""
    given = os.environ.get("GENPOOL_KERNEL_DEB")
    if given:
        path = Path(given)
        debs = sorted(path.glob(f"{PACKAGE}_*.deb")) if path.is_dir() else [path]
        if not debs or not debs[-1].is_file():
            raise KernelUnavailable(f"GENPOOL_KERNEL_DEB={given} holds no {PACKAGE} package")
        return debs[-1]
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    debs = sorted(cache.glob(f"{PACKAGE}_*.deb"))
    if debs:
        return debs[-1]
    if shutil.which("apt-get") is None:
        raise KernelUnavailable(f"cannot fetch {PACKAGE}: no apt-get here; set GENPOOL_KERNEL_DEB or _SOURCE")
    # Downloaded aside and moved in whole, so that a run started meanwhile never reads half a package.
    with tempfile.TemporaryDirectory(dir=cache) as work:
        done = subprocess.run(["apt-get", "download", PACKAGE], cwd=work, capture_output=True, text=True, check=False)
        debs = sorted(Path(work).glob(f"{PACKAGE}_*.deb"))
        if done.returncode or not debs:
            reason = (done.stderr.strip().splitlines() or ["no package file"])[-1]
            raise KernelUnavailable(f"apt-get download {PACKAGE} failed ({reason}); run apt-get update first?")
        return Path(shutil.move(debs[-1], cache / debs[-1].name))


def _extract(deb: Path, tree: Path) -> None:
    """Copy :data:`WANTED` out of the package's source tarball into ``tree``."""
    if shutil.which("dpkg-deb") is None:
        raise KernelUnavailable(f"cannot unpack {deb.name}: no dpkg-deb here")
    tree.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tree.parent) as work:
        unpacked = subprocess.run(["dpkg-deb", "-x", str(deb), work], capture_output=True, text=True, check=False)
        if unpacked.returncode:
            raise KernelUnavailable(f"dpkg-deb -x {deb.name} failed: {unpacked.stderr.strip()}")
        tarballs = list(Path(work).glob(f"usr/src/{PACKAGE}.tar.*"))
        if not tarballs:
            raise KernelUnavailable(f"{deb.name} holds no usr/src/{PACKAGE}.tar.*")
        wanted = {f"{PACKAGE}/{name}" for name in WANTED}
        staging = Path(work) / "tree"
        # A streaming read: the tarball is 150 MB of xz and only a few small files are needed.
        with tarfile.open(tarballs[0], "r|*") as tar:
            for member in tar:
                if member.name in wanted and member.isfile():
                    tar.extract(member, staging, filter="data")
                    wanted.discard(member.name)
                    if not wanted:
                        break
        if wanted:
            raise KernelUnavailable(f"{tarballs[0].name} lacks {', '.join(sorted(wanted))}")
        try:
            (staging / PACKAGE).rename(tree)
        except OSError:
            if not all((tree / name).is_file() for name in WANTED):
                raise KernelUnavailable(f"cannot move the extracted source to {tree}") from None


def kernel_version(tree: Path) -> str:
    """``VERSION.PATCHLEVEL.SUBLEVEL`` from the tree's top Makefile."""
    text = (tree / "Makefile").read_text()
    fields = dict(re.findall(r"^(VERSION|PATCHLEVEL|SUBLEVEL) = (\d+)$", text, re.MULTILINE))
    return "{VERSION}.{PATCHLEVEL}.{SUBLEVEL}".format(**fields)


def cut(text: str, name: str) -> str:
    """The definition of macro or function ``name`` in C source ``text``, verbatim.

    A macro runs to its last backslash-continued line; a function from its
    storage-class line (``static inline`` and the like, if on a line of
    its own) to the brace that closes its body.
    """
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.startswith(f"#define {name}("):
            end = number
            while lines[end].rstrip().endswith("\\"):
                end += 1
            return "\n".join(lines[number : end + 1]) + "\n"
        if re.match(rf"^[A-Za-z_][\w\s\*]*\b{re.escape(name)}\(", line) and not line.rstrip().endswith(";"):
            signature_end = number
            while "{" not in lines[signature_end] and not lines[signature_end].rstrip().endswith(";"):
                signature_end += 1
            if lines[signature_end].rstrip().endswith(";"):
                continue  # a declaration, not the definition
            start = number - 1 if number and re.fullmatch(r"static[\w\s]*", lines[number - 1].strip()) else number
            depth = 0
            for end in range(signature_end, len(lines)):
                depth += lines[end].count("{") - lines[end].count("}")
                if depth == 0:
                    return "\n".join(lines[start : end + 1]) + "\n"
    raise KernelUnavailable(f"no definition of {name} found to cut")


def build(tree: Path, out: Path) -> Path:
    """Compile genalloc.c with the shim into ``out``/libgenalloc.so; returns its path."""
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise KernelUnavailable("no C compiler (cc or gcc) to build lib/genalloc.c")
    include = out / "include" / "linux"
    include.mkdir(parents=True, exist_ok=True)
    shutil.copy(tree / "include/linux/genalloc.h", include / "genalloc.h")
    # Every other kernel header genalloc.c and genalloc.h include is our shim.
    for source in ("lib/genalloc.c", "include/linux/genalloc.h"):
        for header in re.findall(r"^#include <linux/([\w/]+\.h)>", (tree / source).read_text(), re.MULTILINE):
            if header != "genalloc.h":
                (include / header).write_text('#include "kshim.h"\n')
    # The .c files' definitions go in a unit of their own, declared in the
    # header beside the headers' inline functions that call them.
    banner = f"/* Cut from {PACKAGE} by tests/kernel_build.py; not part of genpool. */\n"
    header, unit = [banner], [banner, '#include "kshim.h"\n']
    for path, name in BITSEARCH:
        text = cut((tree / path).read_text(), name)
        if path.endswith(".h"):
            header.append(f"/* {path}: {name} */\n{text}")
        else:
            unit.append(f"/* {path}: {name} */\n{text}")
            if not text.startswith("#define"):
                header.insert(1, text[: text.index("{")].rstrip() + ";\n")
    (out / "kernel_bitsearch.h").write_text("\n".join(header))
    (out / "kernel_bitsearch.c").write_text("\n".join(unit))
    library = out / "libgenalloc.so"
    command = [compiler, "-std=gnu11", "-O1", "-g", "-fPIC", "-shared", "-fno-strict-aliasing", "-w"]
    command += ["-I", str(out / "include"), "-I", str(SHIM), "-I", str(out)]
    command += [str(tree / "lib/genalloc.c"), str(out / "kernel_bitsearch.c"), str(SHIM / "harness.c")]
    command += ["-o", str(library)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        first = next(
            (line for line in done.stderr.splitlines() if "error" in line or "undefined" in line), done.stderr.strip()
        )
        raise KernelUnavailable(f"compiling lib/genalloc.c failed: {first}")
    return library


def load() -> tuple[ctypes.CDLL, str]:
    """The built library (built once per source and shim) and the kernel version it came from."""
    tree = source_tree()
    digest = hashlib.sha256()
    for path in [*(tree / name for name in WANTED), *sorted(SHIM.iterdir()), Path(__file__)]:
        digest.update(path.read_bytes())
    out = cache_dir() / f"build-{digest.hexdigest()[:16]}"
    library = out / "libgenalloc.so"
    if not library.is_file():
        cache_dir().mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir()) as work:
            built = build(tree, Path(work))
            out.mkdir(parents=True, exist_ok=True)
            os.replace(built, library)
    return ctypes.CDLL(str(library)), kernel_version(tree)
