"""`slo build`: ownership through the manifest, atomic writes, targets, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import buildfakes
import pytest
from click.testing import CliRunner

from slocompiler import emit
from slocompiler.cli import cli
from slocompiler.workflow import build, survey
from slocompiler.workflow import commands as build_commands
from slocompiler.workflow.outdir import OutDir

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def state(monkeypatch) -> dict:
    """The program the stubbed front end returns; tests swap it between builds."""
    current = {"program": buildfakes.program("checkout", "search")}
    buildfakes.install(monkeypatch.setitem, current)
    return current


def slo(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def tree(root: Path) -> dict[str, bytes]:
    """Every file below root, by relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def manifest(root: Path) -> dict:
    return json.loads((root / build.MANIFEST).read_text())["files"]


def test_build_writes_every_default_target_and_records_hashes(state, tmp_path):
    out = tmp_path / "gen"
    result = slo("build", "-o", str(out))
    assert result.exit_code == 0, result.output
    files = tree(out)
    assert sorted(files) == sorted([
        build.MANIFEST, "alertmanager/inhibit_rules.yml",
        "docs/README.md", "docs/checkout.md", "docs/search.md",
        "grafana/checkout.json", "grafana/search.json", "grafana/slo-overview.json",
        "policies/checkout.yaml", "policies/search.yaml",
        "prometheus/checkout.rules.yml", "prometheus/search.rules.yml",
    ])
    recorded = manifest(out)
    assert set(recorded) == set(files) - {build.MANIFEST}
    for path, entry in recorded.items():
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest()
    assert recorded["grafana/search.json"]["target"] == "grafana"
    assert f"{out.as_posix()}: 11 written, 0 removed, 0 unchanged" in result.stderr


def test_second_build_changes_nothing(state, tmp_path):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    before = {p: os.stat(out / p).st_mtime_ns for p in tree(out)}
    result = slo("build", "-o", str(out))
    assert result.exit_code == 0
    assert "0 written, 0 removed, 11 unchanged" in result.stderr
    assert {p: os.stat(out / p).st_mtime_ns for p in tree(out)} == before


def test_stale_outputs_are_removed_with_the_directories_they_emptied(state, tmp_path):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    state["program"] = buildfakes.program("checkout", policy=False)
    result = slo("build", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(tree(out)) == sorted([
        build.MANIFEST, "alertmanager/inhibit_rules.yml", "docs/README.md", "docs/checkout.md",
        "grafana/checkout.json", "grafana/slo-overview.json", "prometheus/checkout.rules.yml",
    ])
    assert not (out / "policies").exists()
    assert "policies/search.yaml" not in manifest(out)
    assert (out / "docs/README.md").read_text() == "- checkout\n"


def test_a_foreign_file_in_the_way_stops_the_build_before_any_write(state, tmp_path):
    out = tmp_path / "gen"
    foreign = out / "prometheus" / "search.rules.yml"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("# my own rules\n")
    result = slo("build", "-o", str(out))
    assert result.exit_code == 1
    assert (
        f"error: {foreign.as_posix()}: exists and was not written by slocompiler (not in the manifest); "
        "move it away or delete it"
    ) in result.stderr
    assert tree(out) == {"prometheus/search.rules.yml": b"# my own rules\n"}


def test_foreign_files_beside_outputs_are_never_touched(state, tmp_path):
    out = tmp_path / "gen"
    (out / "policies").mkdir(parents=True)
    (out / "README.md").write_text("ours, not the compiler's\n")
    (out / "policies" / "notes.txt").write_text("keep me\n")
    slo("build", "-o", str(out))
    state["program"] = buildfakes.program("checkout", policy=False)
    result = slo("build", "-o", str(out))
    assert result.exit_code == 0
    assert (out / "README.md").read_text() == "ours, not the compiler's\n"
    # the compiler's files went, the directory stays for the file it does not own
    assert sorted(p.name for p in (out / "policies").iterdir()) == ["notes.txt"]
    assert slo("build", "--check", "-o", str(out)).exit_code == 0


def test_a_file_where_a_directory_must_go_is_named(state, tmp_path):
    out = tmp_path / "gen"
    out.mkdir()
    (out / "grafana").write_text("a file, not a directory\n")
    result = slo("build", "-o", str(out))
    assert result.exit_code == 1
    assert f"{(out / 'grafana').as_posix()}: a file stands where the build needs a directory" in result.stderr
    assert tree(out) == {"grafana": b"a file, not a directory\n"}


def test_an_identical_file_missing_from_the_manifest_is_adopted(state, tmp_path):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    (out / build.MANIFEST).unlink()
    result = slo("build", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "0 written, 0 removed, 11 unchanged" in result.stderr
    assert len(manifest(out)) == 11


def test_an_owned_file_edited_by_hand_is_overwritten_with_a_warning(state, tmp_path):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    edited = out / "prometheus" / "checkout.rules.yml"
    original = edited.read_bytes()
    edited.write_text("hot fix\n")
    (out / "docs" / "search.md").write_text("notes\n")
    state["program"] = buildfakes.program("checkout")
    result = slo("build", "-o", str(out))
    assert result.exit_code == 0
    assert f"warning: {edited.as_posix()} was edited by hand since slocompiler wrote it; overwritten" in result.stderr
    assert f"warning: {(out / 'docs/search.md').as_posix()} was edited by hand since slocompiler wrote it; removed" in result.stderr
    assert edited.read_bytes() == original
    assert not (out / "docs" / "search.md").exists()


def test_a_backend_fault_leaves_the_previous_outputs_intact(state, tmp_path, monkeypatch):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    before = tree(out)

    def broken(program):
        raise RuntimeError("template exploded")

    monkeypatch.setitem(emit.TARGETS, "policy", broken)
    state["program"] = buildfakes.program("checkout", "search", "web")  # prometheus output would change
    result = slo("build", "-o", str(out))
    assert result.exit_code == 1
    assert "error: internal error in the policy backend: RuntimeError: template exploded; nothing was written" in result.stderr
    assert tree(out) == before  # no temporary files either
    assert [p.name for p in out.rglob(".*.tmp")] == []


def test_spec_errors_write_nothing(state, tmp_path):
    state["program"] = None  # load_or_report printed the diagnostics
    result = slo("build", "-o", str(tmp_path / "gen"))
    assert result.exit_code == 1
    assert not (tmp_path / "gen").exists()


def test_unknown_target_is_a_usage_error_listing_the_valid_ones(state, tmp_path):
    result = CliRunner().invoke(cli, ["build", "-o", str(tmp_path / "gen"), "--target", "prometheus,grafna"])
    assert result.exit_code == 2
    valid = ", ".join(sorted(emit.TARGETS))
    assert f"unknown target 'grafna'; valid targets: {valid}" in result.stderr
    assert not (tmp_path / "gen").exists()


def test_targets_repeat_or_comma_separate(state, tmp_path):
    out = tmp_path / "gen"
    assert slo("build", "-o", str(out), "--target", "docs, prometheus", "--target", "docs").exit_code == 0
    assert {p.split("/")[0] for p in tree(out)} == {"docs", "prometheus", build.MANIFEST}


def test_a_narrowed_build_leaves_the_other_targets_alone(state, tmp_path):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    state["program"] = buildfakes.program("checkout")
    assert slo("build", "-o", str(out), "--target", "prometheus").exit_code == 0
    files = tree(out)
    assert "prometheus/search.rules.yml" not in files
    assert "grafana/search.json" in files and "grafana/search.json" in manifest(out)
    # the full build then catches up
    assert slo("build", "-o", str(out)).exit_code == 0
    assert "grafana/search.json" not in tree(out)


def test_a_dir_built_before_alertmanager_was_a_default_gets_its_file_and_keeps_it(state, tmp_path):
    # What `slo build` wrote when the defaults were the four other targets.
    out = tmp_path / "gen"
    assert slo("build", "-o", str(out), "--target", "prometheus,grafana,policy,docs").exit_code == 0
    stale = CliRunner().invoke(cli, ["build", "--check", "-o", str(out)], catch_exceptions=False)
    assert stale.exit_code == 1
    assert stale.stdout == f"{out.as_posix()}/alertmanager/inhibit_rules.yml: missing: the specs produce it\n"
    result = slo("build", "-o", str(out))
    assert "1 written, 0 removed, 10 unchanged" in result.stderr
    assert manifest(out)["alertmanager/inhibit_rules.yml"]["target"] == "alertmanager"
    # A build narrowed to other targets neither removes it nor disowns it.
    state["program"] = buildfakes.program("checkout")
    assert slo("build", "-o", str(out), "--target", "prometheus").exit_code == 0
    assert (out / "alertmanager/inhibit_rules.yml").read_text() == "# checkout\n# search\n[]\n"
    assert "alertmanager/inhibit_rules.yml" in manifest(out)


def test_paths_outside_dir_are_refused(state, tmp_path, monkeypatch):
    monkeypatch.setitem(emit.TARGETS, "docs", lambda program: {"../escape.md": "x\n"})
    result = slo("build", "-o", str(tmp_path / "gen"))
    assert result.exit_code == 1
    assert "the docs backend names the path '../escape.md'" in result.stderr
    assert not (tmp_path / "escape.md").exists()


def test_a_tampered_manifest_cannot_delete_outside_dir(state, tmp_path):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    data = json.loads((out / build.MANIFEST).read_text())
    data["files"]["../victim.txt"] = {"sha256": "0" * 64, "target": "docs"}
    (out / build.MANIFEST).write_text(json.dumps(data))
    result = slo("build", "-o", str(out))
    assert result.exit_code == 1
    assert "names the path '../victim.txt'" in result.stderr
    assert victim.read_text() == "precious\n"


def test_a_corrupt_manifest_is_named(state, tmp_path):
    out = tmp_path / "gen"
    out.mkdir()
    (out / build.MANIFEST).write_text("{not json")
    result = slo("build", "-o", str(out))
    assert result.exit_code == 1
    assert f"{(out / build.MANIFEST)} is not a slocompiler manifest" in result.stderr


def test_files_are_ordinary_files_written_atomically(state, tmp_path, monkeypatch):
    out = tmp_path / "gen"
    replaced = []
    real_replace = OutDir.replace

    def replace(self, temporary, relative):
        replaced.append((Path(temporary), Path(relative)))
        real_replace(self, temporary, relative)

    monkeypatch.setattr(OutDir, "replace", replace)
    slo("build", "-o", str(out))
    written = {dest.as_posix() for _, dest in replaced}
    assert set(tree(out)) <= written
    for temporary, dest in replaced:
        assert temporary.parent == dest.parent and temporary.name.endswith(".tmp")
    mode = stat.S_IMODE(os.stat(out / "docs" / "README.md").st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_manifest_is_sorted_and_has_no_timestamps_or_absolute_paths(state, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    slo("build", "-o", str(first))
    slo("build", "-o", str(second))
    text = (first / build.MANIFEST).read_text()
    assert text == (second / build.MANIFEST).read_text()
    assert str(tmp_path) not in text
    assert list(json.loads(text)["files"]) == sorted(json.loads(text)["files"])


def test_parallel_rendering_gives_the_same_bytes(state, tmp_path, monkeypatch):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    slo("build", "-o", str(serial))
    monkeypatch.setattr(survey, "PARALLEL_MIN_SLOS", 0)
    calls = []
    real = survey._survey_parallel
    monkeypatch.setattr(survey, "_survey_parallel", lambda *a: (calls.append(1), real(*a))[1])
    assert slo("build", "-o", str(parallel)).exit_code == 0
    assert calls and tree(parallel) == tree(serial)


def test_a_fault_in_a_parallel_worker_writes_nothing(state, tmp_path, monkeypatch):
    monkeypatch.setattr(survey, "PARALLEL_MIN_SLOS", 0)

    def broken(program):
        raise ValueError("bad")

    monkeypatch.setitem(emit.TARGETS, "grafana", broken)
    result = slo("build", "-o", str(tmp_path / "gen"))
    assert result.exit_code == 1
    assert "internal error in the grafana backend: ValueError: bad" in result.stderr
    assert not (tmp_path / "gen").exists()


def test_progress_bar_only_on_a_terminal_for_big_builds(state, tmp_path, monkeypatch):
    quiet = slo("build", "-o", str(tmp_path / "quiet"))
    assert "Building" not in quiet.stderr
    monkeypatch.setattr(build_commands, "stderr_is_terminal", lambda: True)
    small = slo("build", "-o", str(tmp_path / "small"))
    assert "Building" not in small.stderr  # 4 SLOs: too small for a bar
    monkeypatch.setattr(survey, "PROGRESS_MIN_SLOS", 3)
    shown = slo("build", "-o", str(tmp_path / "shown"))
    assert "Building 4 SLOs" in shown.stderr
    assert tree(tmp_path / "shown") == tree(tmp_path / "quiet")


def _build_in_subprocess(out: Path, seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    command = [sys.executable, str(TESTS / "buildfakes.py"), "search", "checkout", "--", "build", "-o", str(out)]
    subprocess.run(command, check=True, env=env, cwd=TESTS, capture_output=True)


def test_builds_with_different_hash_seeds_are_byte_identical(tmp_path):
    _build_in_subprocess(tmp_path / "one", "1")
    _build_in_subprocess(tmp_path / "two", "4242")
    one = tree(tmp_path / "one")
    assert len(one) == 12 and one == tree(tmp_path / "two")


def test_a_full_disk_while_staging_leaves_the_previous_outputs_intact(state, tmp_path, monkeypatch):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    before = tree(out)
    state["program"] = buildfakes.program("checkout", "search", "web")
    real = OutDir.stage
    calls = []

    def fills_up(self, where, data, made=None, durable=False):
        calls.append(where)
        if len(calls) == 6:
            raise OSError(28, "No space left on device", str(where))
        return real(self, where, data, made, durable)

    monkeypatch.setattr(OutDir, "stage", fills_up)
    result = slo("build", "-o", str(out))
    assert result.exit_code == 1
    assert "No space left on device; nothing was written" in result.stderr
    assert tree(out) == before  # no temporary files, no half-made directories, old bytes
    assert sorted(p.name for p in out.iterdir()) == sorted([build.MANIFEST, "alertmanager", "docs", "grafana", "policies", "prometheus"])


def test_new_files_are_in_the_manifest_before_they_appear(state, tmp_path, monkeypatch):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    state["program"] = buildfakes.program("checkout", "search", "web")
    seen = {}
    real = OutDir.commit

    def crash_on_commit(self, staged):
        if staged[0][1] == build.MANIFEST:
            return real(self, staged)
        seen.update(manifest(out))
        raise OSError(5, "Input/output error", "x")

    monkeypatch.setattr(OutDir, "commit", crash_on_commit)
    assert slo("build", "-o", str(out)).exit_code == 1
    assert "prometheus/web.rules.yml" in seen and "prometheus/search.rules.yml" in seen
    assert [p.name for p in out.rglob(".*.tmp")] == []
    monkeypatch.setattr(OutDir, "commit", real)
    # the next build picks up where the crash left off, taking nothing for a foreign file
    assert slo("build", "-o", str(out)).exit_code == 0
    assert "prometheus/web.rules.yml" in tree(out)


def test_a_full_disk_in_a_parallel_build_of_a_new_dir_leaves_nothing(state, tmp_path, monkeypatch):
    monkeypatch.setattr(survey, "PARALLEL_MIN_SLOS", 0)
    real = OutDir.stage

    def fills_up(self, where, data, made=None, durable=False):
        if where.startswith("prometheus/"):
            raise OSError(28, "No space left on device", str(where))
        return real(self, where, data, made, durable)

    monkeypatch.setattr(OutDir, "stage", fills_up)
    result = slo("build", "-o", str(tmp_path / "gen"))
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert list(tmp_path.iterdir()) == []
