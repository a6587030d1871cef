"""The package's layers (docs/ARCHITECTURE.md) hold: import-linter's contracts in pyproject.toml, run on the package under test."""

from __future__ import annotations

import re
from pathlib import Path

from importlinter.cli import lint_imports

import slocompiler

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(slocompiler.__file__).resolve().parent


def test_no_import_breaks_a_layer_or_closes_a_cycle(capsys):
    # Exit 0 only when every contract is kept; the report names each import that breaks one.
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code == 0, capsys.readouterr().out


def test_the_top_level_stays_small():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 10, modules


def test_every_layer_is_documented():
    """Each package the contracts name has its row in docs/ARCHITECTURE.md's table of layers."""
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    layers = re.search(r"layers = \[(.*?)\]", config, re.DOTALL).group(1)
    packages = re.findall(r"slocompiler\.(\w+)", layers)
    architecture = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert packages, layers
    for package in packages:
        assert f"`{package}" in architecture, f"{package} is not in docs/ARCHITECTURE.md"


def test_every_subpackage_is_installed():
    """pyproject.toml names each package; one left out would install without its modules."""
    source = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "slocompiler").rglob("__init__.py")}
    installed = {".".join(p.parent.relative_to(PACKAGE.parent).parts) for p in PACKAGE.rglob("__init__.py")}
    assert source <= installed, sorted(source - installed)
