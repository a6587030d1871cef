"""`slo build` end to end: the real front end and backends, in subprocesses, and the benchmark smoke test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_build import tree

from slocompiler.cli import cli
from slocompiler.workflow import build, survey

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import bench  # noqa: E402


@pytest.fixture
def specs(tmp_path) -> Path:
    """Three generated services: every indicator kind, templates, a policy, group_by."""
    bench.generate(tmp_path / "specs", 3, 8)
    return tmp_path / "specs"


def slo_subprocess(*args: str, seed: str = "0", cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    # The installed console script: `python -m` from the checkout would import the source tree instead.
    slo = shutil.which("slo", path=os.path.dirname(sys.executable))
    assert slo, "the slo console script is not installed"
    return subprocess.run([slo, *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_real_builds_with_different_hash_seeds_are_byte_identical(specs, tmp_path):
    for seed, out in (("1", "one"), ("31337", "two")):
        done = slo_subprocess("build", "specs", "-o", out, seed=seed, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert {path.split("/")[0] for path in one} >= {"prometheus", "grafana", "policies", "docs", build.MANIFEST}
    assert one == two
    assert not any(str(tmp_path).encode() in data for data in one.values())  # no absolute paths


def test_check_after_a_real_build_is_clean_then_catches_a_spec_change(specs, tmp_path):
    assert slo_subprocess("build", "specs", "-o", "generated", cwd=tmp_path).returncode == 0
    clean = slo_subprocess("build", "specs", "-o", "generated", "--check", cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (specs / "svc-0002.slo").unlink()
    stale = slo_subprocess("build", "specs", "-o", "generated", "--check", cwd=tmp_path)
    assert stale.returncode == 1
    assert "generated/prometheus/svc-0002.rules.yml: extra: an earlier build wrote it, no spec produces it now" in stale.stdout
    assert "generated/docs/README.md: stale: differs from what the specs produce" in stale.stdout


def test_real_parallel_build_matches_the_serial_one(specs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["build", "specs", "-o", "serial"]).exit_code == 0
    monkeypatch.setattr(survey, "PARALLEL_MIN_SLOS", 0)
    assert CliRunner().invoke(cli, ["build", "specs", "-o", "parallel"]).exit_code == 0
    assert tree(tmp_path / "parallel") == tree(tmp_path / "serial")


def test_generated_bench_specs_are_valid(specs, tmp_path):
    done = slo_subprocess("check", "--strict", "specs", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_bench_smoke(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench.py"), "--small"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("machine: ")
    assert lines[1].split() == ["measurement", "SLOs", "wall", "s", "cpu", "s", "peak", "RSS", "MB", "ms", "per", "SLO", "x", "promtool"]
    names = [line.split("  ")[0] for line in lines[3:]]
    assert names[:5] == [
        "slo check, one file, no cache (median of 3)",
        "slo check, one file, cached (median of 3)",
        "floor: Python, click, Lark parsing that file (median of 3)",
        "slo build --target prometheus",
        "slo build (default targets)",
    ]
    assert "promtool check rules (its output)" in names


@pytest.mark.parametrize("target", sorted(survey.SPLIT_BY_SERVICE))
def test_targets_split_by_service_render_each_service_alone(specs, target):
    """The property the parallel build relies on: whole program = union of per-service halves."""
    import dataclasses

    from slocompiler.workflow.compile import load, render

    program = load([str(specs)]).program
    assert len(program.services) == 3
    whole = render(program, (target,))
    parts: dict[str, str] = {}
    for chunk in range(2):
        part = render(dataclasses.replace(program, services=program.services[chunk::2]), (target,))
        assert not set(part) & set(parts)
        parts.update(part)
    assert parts == whole


def test_the_example_specs_build_byte_identically_under_two_hash_seeds(tmp_path):
    if not list((ROOT / "specs").glob("*.slo")):
        pytest.skip("no example specs yet")
    for seed, out in (("2", "one"), ("98765", "two")):
        done = slo_subprocess("build", "specs", "-o", str(tmp_path / out), seed=seed, cwd=ROOT)
        assert done.returncode == 0, done.stderr
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
