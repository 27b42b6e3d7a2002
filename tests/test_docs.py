"""Every code block in the documentation runs on its own, as a reader would run it.

Each page's Python blocks run in a fresh interpreter, with warnings as
errors, in a folder that holds only what the page itself provides: the
files it shows (a block whose first line is ``# name.py``) and the plugin
packages it declares (its ``pyproject.toml`` blocks, installed as a
distribution's metadata so their entry points load).  The test plugins
of genpool's own suite are disabled there, so no example leans on them.
A file block is imported rather than run as ``__main__``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(path for path in DOCS.rglob("*.md") if "_build" not in path.parts)
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", flags=re.S | re.M)
FILE_NAME = re.compile(r"# ([\w-]+)\.py\n")


def blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(page.read_text()) if lang == language]


def file_name(block: str) -> str | None:
    """The module a block is the file of, from its ``# name.py`` first line."""
    match = FILE_NAME.match(block)
    return match.group(1) if match else None


def provide(page: Path, folder: Path) -> None:
    """Put the page's files and plugin distributions in ``folder``."""
    for block in blocks(page, "python"):
        name = file_name(block)
        if name is not None:
            (folder / f"{name}.py").write_text(block)
    for block in blocks(page, "toml"):
        project = tomllib.loads(block).get("project")
        if project is None:
            continue
        info = folder / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
        )
        lines = [f"{name} = {target}" for name, target in project["entry-points"]["genpool.plugins"].items()]
        (info / "entry_points.txt").write_text("[genpool.plugins]\n" + "\n".join(lines) + "\n")


def run_alone(code: str, folder: Path) -> subprocess.CompletedProcess[str]:
    installed = sorted(entry.name for entry in entry_points(group="genpool.plugins"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("GENPOOL_")}
    env.update(PYTHONPATH=str(folder), GENPOOL_DISABLE_PLUGINS=",".join(installed))
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", code], cwd=folder, env=env, capture_output=True, text=True, timeout=60
    )


CASES = [
    pytest.param(page, index, id=f"{page.relative_to(DOCS)}:{index + 1}")
    for page in PAGES
    for index in range(len(blocks(page, "python")))
]


@pytest.mark.parametrize(("page", "index"), CASES)
def test_code_block_runs_on_its_own(page: Path, index: int, tmp_path: Path) -> None:
    provide(page, tmp_path)
    block = blocks(page, "python")[index]
    name = file_name(block)
    result = run_alone(f"import {name}" if name else block, tmp_path)
    assert result.returncode == 0, f"{page.name} block {index + 1}:\n{block}\n{result.stderr}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_toml_blocks_parse(page: Path) -> None:
    for block in blocks(page, "toml"):
        tomllib.loads(block)


def test_the_harness_sees_the_guides_examples() -> None:
    guide = DOCS / "plugins.md"
    assert [file_name(block) for block in blocks(guide, "python") if file_name(block)] == ["worst_fit", "lifetime"]
    assert len(blocks(guide, "python")) >= 6 and len(blocks(guide, "toml")) == 2
    assert {page.relative_to(DOCS).as_posix() for page in PAGES} >= {
        "index.md",
        "plugins.md",
        "tutorials/library.md",
        "tutorials/kernel.md",
        "tutorials/debugger.md",
    }


def test_an_example_that_needs_a_test_plugin_fails_alone(tmp_path: Path) -> None:
    """The isolation is real: genpool-extras' worst_fit is out of reach."""
    result = run_alone('import genpool\ngenpool.Pool(3, algo="worst_fit")', tmp_path)
    assert result.returncode == 1 and "worst_fit" in result.stderr


def test_the_guides_plugin_is_loaded_from_its_entry_point(tmp_path: Path) -> None:
    provide(DOCS / "plugins.md", tmp_path)
    code = (
        "from genpool.host import get_host\n"
        "info = {p.name: p for p in get_host().plugins()}['worst_fit']\n"
        "assert (info.distribution, info.version, info.error) == ('genpool-worst-fit', '1.0.0', None), info\n"
        "summaries = {r.name: r.summary for r in get_host().registrations('algorithm')}\n"
        "assert summaries['worst_fit'] == 'largest free run first'\n"
    )
    result = run_alone(code, tmp_path)
    assert result.returncode == 0, result.stderr
