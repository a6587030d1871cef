"""The installed package carries its grammar, schemas and templates, and runs from anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

SPECS = Path(__file__).resolve().parent.parent / "specs"


def test_package_data_is_installed() -> None:
    assert "start:" in resources.files("slocompiler.grammar").joinpath("slo.lark").read_text()
    assert resources.files("slocompiler").joinpath("schemas/ir.schema.json").is_file()
    assert any(p.name.endswith(".j2") for p in resources.files("slocompiler").joinpath("templates").iterdir())


def test_console_script_and_module_run_from_another_directory(tmp_path) -> None:
    slo = shutil.which("slo", path=os.path.dirname(sys.executable)) or shutil.which("slo")
    assert slo, "the slo console script is not installed"
    for command in ([slo], [sys.executable, "-m", "slocompiler"]):
        result = subprocess.run([*command, "check", str(SPECS)], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert result.stderr.strip() == "ok: 6 service(s), 13 SLO(s)"
