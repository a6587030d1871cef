"""`slo check` reuses a clean result only while every file it read is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from slocompiler.cli import cli
from slocompiler.workflow import checkcache

LIB = 'policy p {\n  when budget_remaining < 10% { action = "x" }\n}\n'
APP = (
    'import "lib.slo"\n\nservice app {\n  policy = p\n\n  slo api {\n    objective = 99%\n'
    "    indicator ratio {\n      errors = `e_total`\n      total  = `t_total`\n    }\n  }\n}\n"
)


@pytest.fixture
def specs(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLO_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "lib.slo").write_text(LIB)
    (tmp_path / "specs" / "app.slo").write_text(APP)
    return tmp_path / "specs"


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.output


def test_second_run_is_answered_from_the_cache_with_the_same_output(specs, monkeypatch) -> None:
    first = check("specs")
    assert first[0] == 0 and "warning: service \"app\" has no owner" in first[1]
    monkeypatch.setattr("slocompiler.workflow.compile.load", lambda paths: pytest.fail("the cache was not used"))
    assert check("specs") == first
    assert check("--strict", "specs")[0] == 1


def test_a_changed_import_invalidates_the_entry(specs) -> None:
    assert check("specs/app.slo")[0] == 0
    (specs / "lib.slo").write_text(LIB.replace("policy p", "policy q"))
    code, output = check("specs/app.slo")
    assert code == 1 and 'unknown policy "p"' in output


def test_a_new_file_invalidates_the_entry(specs) -> None:
    assert check("specs")[0] == 0
    (specs / "dup.slo").write_text(APP.replace('import "lib.slo"\n', ""))
    code, output = check("specs")
    assert code == 1 and 'service "app" is already defined' in output


def test_errors_are_never_cached(specs) -> None:
    (specs / "app.slo").write_text(APP.replace("99%", "100%"))
    assert check("specs")[0] == 1
    assert not list((specs.parent / "cache").rglob("*.json"))


def test_no_cache_switch(specs, monkeypatch) -> None:
    monkeypatch.setenv("SLO_NO_CACHE", "1")
    assert check("specs")[0] == 0
    assert not (specs.parent / "cache").exists()
    assert checkcache.lookup(["specs"], ["specs/app.slo"]) is None
