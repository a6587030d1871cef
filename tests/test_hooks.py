"""The pre-commit hooks (.pre-commit-hooks.yaml), run by the real pre-commit in throwaway git repos.

The hook repository is a commit of the current working tree (uncommitted
edits included) in a temporary git repo, so the test checks what is on disk,
not what was last committed. pre-commit builds the hooks' environment with
pip, which needs the package index: about 30 s per environment. `try-repo`
builds a fresh one each call, so it runs once; the other cases share one
PRE_COMMIT_HOME and so one environment for the session.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HOOK_IDS = ("slo-check", "slo-fmt", "slo-build-check")
NAMES = {"slo-check": "slo check", "slo-fmt": "slo fmt", "slo-build-check": "slo build --check"}

GOOD_SPEC = """\
service shop {
  owner = "team-shop"

  slo availability {
    objective = 99.9%
    indicator ratio {
      errors = `http_requests_total{job="shop", code=~"5.."}`
      total  = `http_requests_total{job="shop"}`
    }
  }
}
"""
BROKEN_SPEC = GOOD_SPEC.replace("objective = 99.9%", "objective = = 99.9%")
INVALID_SPEC = GOOD_SPEC.replace("objective = 99.9%", "objective = 120%")
UNFORMATTED_SPEC = GOOD_SPEC.replace('  owner = "team-shop"', 'owner="team-shop"').replace("99.9%", "99.90%")
OFFLINE_SIGNS = ("NewConnectionError", "Temporary failure in name resolution", "No matching distribution found")


def _git_env() -> dict[str, str]:
    # Drop GIT_* from outside (a test run from a git hook has GIT_DIR set).
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.com",
               GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.com", GIT_CONFIG_NOSYSTEM="1")
    return env


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=_git_env(), check=True, capture_output=True)


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """The project as it is on disk, committed in a temporary repo: (path, commit)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("hook-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, repo / name)
    for name in ("slocompiler", "grammar"):
        shutil.copytree(ROOT / name, repo / name, ignore=ignore)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "hooks under test")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, env=_git_env(), check=True,
                            capture_output=True, text=True).stdout.strip()
    return repo, commit


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    """One pre-commit store for the session: the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _spec_repo(path: Path, specs: dict[str, str], build: bool = True) -> Path:
    """A git repo holding specs/ (and generated/, built from them), everything staged."""
    path.mkdir()
    (path / "specs").mkdir()
    for name, text in specs.items():
        (path / "specs" / name).write_text(text, encoding="utf-8")
    if build:
        subprocess.run([sys.executable, "-m", "slocompiler", "build"], cwd=path, check=True, capture_output=True)
    _git(path, "init", "-q")
    _git(path, "add", "-A")
    return path


def _pre_commit(args: list[str], cwd: Path, home: Path | None) -> subprocess.CompletedProcess:
    env = _git_env()
    if home is not None:
        env["PRE_COMMIT_HOME"] = str(home)
    env.pop("PRE_COMMIT_COLOR", None)
    result = subprocess.run([sys.executable, "-m", "pre_commit", *args, "--color", "never"], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    if result.returncode != 0 and any(sign in output for sign in OFFLINE_SIGNS) and not os.environ.get("CI"):
        pytest.skip("pre-commit could not reach the package index to build the hook environment")
    return result


def _run_hooks(repo: Path, hook_repo: tuple[Path, str], home: Path, hooks=HOOK_IDS) -> subprocess.CompletedProcess:
    """`pre-commit run --all-files` with a config naming the hook repo (what try-repo writes)."""
    path, commit = hook_repo
    config = repo.parent / f"{repo.name}-config.yaml"
    config.write_text(yaml.safe_dump({"repos": [{"repo": str(path), "rev": commit,
                                                 "hooks": [{"id": hook} for hook in hooks]}]}))
    return _pre_commit(["run", "--config", str(config), "--all-files"], repo, home)


def _status(output: str, hook: str) -> str:
    """`Passed`, `Failed` or `Skipped` for one hook in pre-commit's report."""
    for line in output.splitlines():
        if line.startswith(NAMES[hook] + "."):
            match = re.search(r"(Passed|Failed|Skipped)$", line)
            return match.group(1) if match else line
    raise AssertionError(f"hook {hook} not in the output:\n{output}")


def test_manifest_declares_the_three_hooks():
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hooks = {hook["id"]: hook for hook in manifest}
    assert sorted(hooks) == sorted(HOOK_IDS)
    assert {hook["language"] for hook in manifest} == {"python"}
    assert hooks["slo-fmt"].get("pass_filenames", True) is True
    assert hooks["slo-check"]["pass_filenames"] is False  # all specs: imports cross files
    assert hooks["slo-build-check"]["pass_filenames"] is False
    assert hooks["slo-build-check"]["always_run"] is True


def test_try_repo_passes_on_good_specs(tmp_path, hook_repo):
    repo = _spec_repo(tmp_path / "good", {"shop.slo": GOOD_SPEC})
    result = _pre_commit(["try-repo", str(hook_repo[0]), "--all-files"], repo, None)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for hook in HOOK_IDS:
        assert _status(output, hook) == "Passed", output


def test_broken_spec_fails_every_hook(tmp_path, hook_repo, pre_commit_home):
    repo = _spec_repo(tmp_path / "broken", {"shop.slo": GOOD_SPEC})
    (repo / "specs" / "shop.slo").write_text(BROKEN_SPEC)  # generated/ stays from the good spec
    _git(repo, "add", "-A")
    result = _run_hooks(repo, hook_repo, pre_commit_home)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert [_status(output, hook) for hook in HOOK_IDS] == ["Failed"] * 3, output
    assert "specs/shop.slo:5:17: error:" in output  # the located syntax error
    assert (repo / "specs" / "shop.slo").read_text() == BROKEN_SPEC  # fmt left it alone


def test_invalid_spec_fails_check_but_formats(tmp_path, hook_repo, pre_commit_home):
    repo = _spec_repo(tmp_path / "invalid", {"shop.slo": INVALID_SPEC}, build=False)
    result = _run_hooks(repo, hook_repo, pre_commit_home, hooks=("slo-check", "slo-fmt"))
    output = result.stdout + result.stderr
    assert _status(output, "slo-check") == "Failed", output
    assert _status(output, "slo-fmt") == "Passed", output
    assert "objective" in output


def test_unformatted_spec_fails_fmt_then_passes(tmp_path, hook_repo, pre_commit_home):
    repo = _spec_repo(tmp_path / "unformatted", {"shop.slo": UNFORMATTED_SPEC})
    first = _run_hooks(repo, hook_repo, pre_commit_home, hooks=("slo-check", "slo-fmt"))
    output = first.stdout + first.stderr
    assert _status(output, "slo-check") == "Passed", output
    assert _status(output, "slo-fmt") == "Failed", output
    assert "files were modified by this hook" in output
    assert (repo / "specs" / "shop.slo").read_text() == GOOD_SPEC
    _git(repo, "add", "-A")
    second = _run_hooks(repo, hook_repo, pre_commit_home, hooks=("slo-fmt",))
    assert second.returncode == 0, second.stdout + second.stderr


def test_stale_outputs_fail_build_check(tmp_path, hook_repo, pre_commit_home):
    repo = _spec_repo(tmp_path / "stale", {"shop.slo": GOOD_SPEC})
    (repo / "specs" / "shop.slo").write_text(GOOD_SPEC.replace("99.9%", "99.5%"))
    _git(repo, "add", "-A")
    result = _run_hooks(repo, hook_repo, pre_commit_home)
    output = result.stdout + result.stderr
    assert [_status(output, hook) for hook in HOOK_IDS] == ["Passed", "Passed", "Failed"], output
