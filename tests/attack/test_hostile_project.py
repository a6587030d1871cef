"""A hostile `[tool.slocompiler]` table (issue 23, item 14): `output` and `specs` must stay inside the project root.

The table comes with the repository, so a pull request can change it: CI's
`slo build` must not write, nor `slo check` read and print, files elsewhere.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SPEC = """\
service shop {
  owner = "t"
  slo api {
    objective = 99%
    indicator ratio {
      errors = `e_total{code="5"}`
      total  = `e_total`
    }
  }
}
"""


def slo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slocompiler", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={"SLO_NO_CACHE": "1", "PATH": "/usr/bin:/bin"})


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "shop.slo").write_text(SPEC)
    (tmp_path / "elsewhere").mkdir()
    return root


def _table(root: Path, **settings: str) -> None:
    lines = "".join(f"{key} = {value!r}\n".replace("'", '"') for key, value in settings.items())
    (root / "pyproject.toml").write_text(f"[tool.slocompiler]\n{lines}")


@pytest.mark.parametrize("output", ["../elsewhere", "out/../../elsewhere", "{elsewhere}", "link", "link/deeper"])
def test_an_output_outside_the_project_is_a_usage_error_naming_the_key(project, output):
    elsewhere = project.parent / "elsewhere"
    (project / "link").symlink_to(elsewhere)
    _table(project, specs="specs", output=output.format(elsewhere=elsewhere))
    for args in (("build",), ("build", "specs"), ("build", "--check"), ("check",)):
        result = slo(*args, cwd=project)
        assert result.returncode == 2, (args, result.stderr)
        assert "[tool.slocompiler] output" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("specs", ["../elsewhere", "/etc/passwd", ["specs", "../elsewhere/x.slo"], "link"])
def test_specs_outside_the_project_are_a_usage_error_and_nothing_is_read(project, specs):
    elsewhere = project.parent / "elsewhere"
    (elsewhere / "x.slo").write_text("secret = hunter2\n")
    (project / "link").symlink_to(elsewhere)
    table = "[tool.slocompiler]\nspecs = " + (repr(specs) if isinstance(specs, str) else str(specs)).replace("'", '"')
    (project / "pyproject.toml").write_text(table + "\n")
    for args in (("check",), ("build",)):
        result = slo(*args, cwd=project)
        assert result.returncode == 2, (args, result.stderr)
        assert "[tool.slocompiler] specs" in result.stderr
        assert "hunter2" not in result.stderr + result.stdout and "root:" not in result.stderr
    assert not (project / "generated").exists()


def test_paths_inside_the_project_still_work(project):
    (project / "specs" / "more").mkdir()
    (project / "inner").symlink_to(project / "specs")  # a link that stays inside is fine
    _table(project, specs="inner", output="build/out/../generated")
    result = slo("build", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "build" / "generated" / "prometheus" / "shop.rules.yml").is_file()
    assert slo("check", cwd=project).returncode == 0
