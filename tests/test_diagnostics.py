"""Every rule of LANGUAGE.md, broken by one small spec, with the exact diagnostic it must give.

Single-file cases carry their expected diagnostics as trailing `# expect:`
comments; directory cases hold an `expected.txt`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from slocompiler.cli import cli
from slocompiler.lang import schema_worker

CASES = Path(__file__).parent / "cases" / "errors"
FILE_CASES = sorted(CASES.glob("*.slo"))
DIR_CASES = sorted(p.parent for p in CASES.rglob("expected.txt"))


def diagnostic_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": error: " in line or ": warning: " in line]


@pytest.fixture(params=["in-process", "forked"])
def validation(request, monkeypatch) -> None:
    """Each case runs twice: the schema validated in this process, and in the child a cold CLI run forks."""
    monkeypatch.setattr(schema_worker, "_should_fork", lambda: request.param == "forked")


def run_check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda p: p.stem)
def test_file_case(case: Path, monkeypatch, validation) -> None:
    monkeypatch.chdir(case.parent)
    expected = [
        f"{case.name}:{line.removeprefix('# expect: ')}"
        for line in case.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]
    assert expected, f"{case.name} has no # expect: line"
    code, output = run_check(case.name)
    assert diagnostic_lines(output) == expected
    assert code == (1 if any(": error: " in e for e in expected) else 0)


@pytest.mark.parametrize("case", DIR_CASES, ids=lambda p: str(p.relative_to(CASES)))
def test_directory_case(case: Path, monkeypatch, validation) -> None:
    monkeypatch.chdir(case)
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    code, output = run_check(".")
    assert diagnostic_lines(output) == expected
    assert code == 1


def test_every_diagnostic_shows_the_line_and_a_caret(monkeypatch) -> None:
    monkeypatch.chdir(CASES)
    code, output = run_check("slo-objective-100.slo")
    assert code == 1
    assert output.splitlines()[:3] == [
        "slo-objective-100.slo:4:17: error: objective must be strictly between 0% and 100%, not 100%",
        "      objective = 100%",
        "                  ^",
    ]


def test_all_files_reported_in_one_run_sorted(monkeypatch) -> None:
    monkeypatch.chdir(CASES)
    code, output = run_check("slo-objective-0.slo", "alert-bad-name.slo", "service-bad-tier.slo")
    files = [line.split(":")[0] for line in diagnostic_lines(output)]
    assert code == 1
    assert files == sorted(files)
    assert list(dict.fromkeys(files)) == ["alert-bad-name.slo", "service-bad-tier.slo", "slo-objective-0.slo"]


def test_warnings_pass_unless_strict(monkeypatch) -> None:
    monkeypatch.chdir(CASES)
    assert run_check("service-missing-owner.slo")[0] == 0
    assert run_check("--strict", "service-missing-owner.slo")[0] == 1


TWO_PROBLEMS = (
    'service shop {\n  slo api {\n    objective = 100%\n'
    "    indicator ratio {\n      errors = `e_total`\n      total  = `t_total`\n    }\n  }\n}\n"
)


def test_json_format_is_a_list_of_located_objects(tmp_path, monkeypatch) -> None:
    import json

    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop.slo").write_text(TWO_PROBLEMS)
    code, output = run_check("--format", "json", "shop.slo")
    assert code == 1
    assert json.loads(output) == [
        {"file": "shop.slo", "line": 1, "column": 9, "severity": "warning",
         "message": 'service "shop" has no owner; set owner = "team-..." so alerts reach someone'},
        {"file": "shop.slo", "line": 3, "column": 17, "severity": "error",
         "message": "objective must be strictly between 0% and 100%, not 100%"},
    ]


def test_github_format_prints_workflow_annotations(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop.slo").write_text(TWO_PROBLEMS)
    code, output = run_check("--format", "github", "shop.slo")
    assert code == 1
    assert output.splitlines() == [
        '::warning file=shop.slo,line=1,col=9::service "shop" has no owner; set owner = "team-..." so alerts reach someone',
        "::error file=shop.slo,line=3,col=17::objective must be strictly between 0%25 and 100%25, not 100%25",
    ]
