"""`slo build --check`: compares DIR with what the specs produce and writes nothing."""

from __future__ import annotations

import buildfakes
import pytest
from click.testing import CliRunner
from test_build import tree

from slocompiler.cli import cli
from slocompiler.workflow import build


@pytest.fixture
def state(monkeypatch) -> dict:
    current = {"program": buildfakes.program("checkout", "search")}
    buildfakes.install(monkeypatch.setitem, current)
    return current


@pytest.fixture
def out(state, tmp_path):
    """An up-to-date DIR."""
    out = tmp_path / "gen"
    assert CliRunner().invoke(cli, ["build", "-o", str(out)]).exit_code == 0
    return out


def check(out, *extra: str):
    return CliRunner().invoke(cli, ["build", "--check", "-o", str(out), *extra], catch_exceptions=False)


def test_up_to_date_is_zero(out):
    result = check(out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"{out.as_posix()}: up to date (11 files)\n"


def test_stale_missing_and_extra_files_each_get_a_reason(out, state):
    (out / "docs" / "checkout.md").write_text("edited\n")
    (out / "grafana" / "checkout.json").unlink()
    state["program"] = buildfakes.program("checkout", "web")
    before = tree(out)
    result = check(out)
    assert result.exit_code == 1
    g = out.as_posix()
    assert result.stdout.splitlines() == [
        f"{g}/alertmanager/inhibit_rules.yml: stale: differs from what the specs produce",
        f"{g}/docs/README.md: stale: differs from what the specs produce",
        f"{g}/docs/checkout.md: stale: edited by hand since slocompiler wrote it",
        f"{g}/docs/search.md: extra: an earlier build wrote it, no spec produces it now",
        f"{g}/docs/web.md: missing: the specs produce it",
        f"{g}/grafana/checkout.json: missing: the specs produce it",
        f"{g}/grafana/search.json: extra: an earlier build wrote it, no spec produces it now",
        f"{g}/grafana/web.json: missing: the specs produce it",
        f"{g}/policies/search.yaml: extra: an earlier build wrote it, no spec produces it now",
        f"{g}/policies/web.yaml: missing: the specs produce it",
        f"{g}/prometheus/search.rules.yml: extra: an earlier build wrote it, no spec produces it now",
        f"{g}/prometheus/web.rules.yml: missing: the specs produce it",
    ]
    assert result.stderr.endswith(f"12 file(s) out of date in {g}; run `slo build` to update\n")
    assert tree(out) == before  # --check wrote nothing
    # a build brings DIR up to date, and --check agrees
    assert CliRunner().invoke(cli, ["build", "-o", str(out)]).exit_code == 0
    assert check(out).exit_code == 0


def test_a_foreign_file_in_the_way_is_a_conflict(state, tmp_path):
    out = tmp_path / "gen"
    (out / "docs").mkdir(parents=True)
    (out / "docs" / "README.md").write_text("mine\n")
    result = check(out, "--target", "docs")
    assert result.exit_code == 1
    assert (
        f"{out.as_posix()}/docs/README.md: conflict: exists and was not written by slocompiler (not in the manifest)"
        in result.stdout
    )


def test_a_missing_dir_is_all_missing_and_is_not_created(state, tmp_path):
    result = check(tmp_path / "gen")
    assert result.exit_code == 1
    assert result.stdout.count(": missing: the specs produce it\n") == 11
    assert not (tmp_path / "gen").exists()


def test_a_lost_manifest_is_reported(out):
    (out / build.MANIFEST).unlink()
    result = check(out)
    assert result.exit_code == 1
    assert result.stdout == f"{out.as_posix()}/{build.MANIFEST}: stale: the manifest does not list exactly the generated files\n"


def test_check_narrowed_to_a_target(out, state):
    state["program"] = buildfakes.program("checkout")
    result = check(out, "--target", "policy")
    assert result.exit_code == 1
    assert result.stdout == f"{out.as_posix()}/policies/search.yaml: extra: an earlier build wrote it, no spec produces it now\n"


def test_github_format_prints_annotations(out):
    (out / "docs" / "checkout.md").unlink()
    result = check(out, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout == f"::error file={out.as_posix()}/docs/checkout.md::missing: the specs produce it\n"


def test_spec_errors_fail_the_check(state, out):
    state["program"] = None
    assert check(out).exit_code == 1
