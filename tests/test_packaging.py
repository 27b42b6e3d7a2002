"""Dependencies by use: the core runs without the terminal UI stack."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from genpool.cli import TUI_EXTRA_MODULES

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# Runs the genpool command in a process where the tui extra's modules
# cannot be imported, as after `pip install genpool` without `[tui]`.
WITHOUT_TUI = """
import sys
from importlib.abc import MetaPathFinder

class Uninstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {modules!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Uninstalled())
from genpool.cli import main
sys.exit(main(sys.argv[1:]))
"""


def without_tui(*args: str) -> subprocess.CompletedProcess[str]:
    code = WITHOUT_TUI.format(modules=sorted(TUI_EXTRA_MODULES))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)


def requirement_names(requirements: list[str]) -> set[str]:
    return {requirement.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip() for requirement in requirements}


def test_the_core_needs_pluggy_and_nothing_of_the_ui_stack() -> None:
    core = requirement_names(PROJECT["dependencies"])
    assert "pluggy" in core
    assert not core & requirement_names(PROJECT["optional-dependencies"]["tui"])


def test_the_tui_extra_holds_every_module_the_debugger_imports() -> None:
    names = requirement_names(PROJECT["optional-dependencies"]["tui"])
    assert {name.replace("-", "_") for name in names} == TUI_EXTRA_MODULES


def test_the_test_extra_pulls_in_the_tui_extra() -> None:
    assert "genpool[tui]" in PROJECT["optional-dependencies"]["test"]


def test_no_exact_pins() -> None:
    for requirements in (PROJECT["dependencies"], *PROJECT["optional-dependencies"].values()):
        assert not [requirement for requirement in requirements if "==" in requirement]


@pytest.mark.parametrize("args", [[], ["tui"], ["tui", "--empty"], ["web", "--port", "1"]])
def test_a_tui_command_without_the_extra_names_it_in_one_line(args: list[str]) -> None:
    result = without_tui(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "pip install 'genpool[tui]'" in lines[0], result.stderr
    assert lines[0].startswith(" ".join(["genpool", *args[:1]]) + ":")


@pytest.mark.parametrize(
    "args", [["plugins"], ["plugins", "--json"], ["bench", "--steps", "500", "--pool-size", "16K", "--no-baseline"]]
)
def test_the_core_commands_run_without_the_extra(args: list[str]) -> None:
    result = without_tui(*args)
    assert result.returncode == 0, result.stderr
    assert "first_fit" in result.stdout


def test_the_simulation_really_hides_textual() -> None:
    """The guard in WITHOUT_TUI works, so the tests above test something."""
    code = WITHOUT_TUI.replace("from genpool.cli import main\nsys.exit(main(sys.argv[1:]))", "import textual")
    code = code.format(modules=sorted(TUI_EXTRA_MODULES))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "ModuleNotFoundError: No module named 'textual'" in result.stderr


README = (ROOT / "README.md").read_text()
DOCS_URL = PROJECT["urls"]["Documentation"]


def test_readme_links_are_absolute_for_the_package_index() -> None:
    """The README is the package's page on the index, where relative links break."""
    targets = re.findall(r"\]\(([^)]+)\)", README)
    assert targets, "the README links to the documentation"
    assert [target for target in targets if not target.startswith("https://")] == []
    assert any(target.startswith(DOCS_URL) for target in targets)


@pytest.mark.parametrize("repo_only", ["product contract", "SPEC", "core/", "tests/test_", "genpool/hookspecs.py"])
def test_readme_names_nothing_a_user_of_the_package_cannot_see(repo_only: str) -> None:
    assert repo_only not in README


def test_the_changelog_has_an_entry_for_the_version() -> None:
    import genpool

    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog or f"## [{genpool.__version__}]" in changelog
