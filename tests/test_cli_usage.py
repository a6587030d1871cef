"""Usage errors, of the group and of every command: one line on stderr, `error: ...`, exit 2, no synopsis."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from slocompiler.cli import cli


@pytest.mark.parametrize(("args", "line"), [
    (["reprot"], "error: No such command 'reprot'."),
    (["--bogus"], "error: No such option '--bogus'."),
    (["check", "--format", "yaml"], "error: Invalid value for '--format': 'yaml' is not one of 'text', 'json', 'github'."),
    (["check", "missing.slo"], "error: no such file or directory: missing.slo"),
    (["import"], "error: Missing argument '{sloth|pyrra|openslo}'. Choose from: sloth, pyrra, openslo"),
    (["report", "--prometheus", "http://127.0.0.1:9", "--period", "2026-13"],
     "error: '2026-13' is not a month: write 2026-11 (a month), 2026-W47 (an ISO week) or 2026-Q4 (a quarter)"),
    (["report", "--prometheus", "http://127.0.0.1:9", "--history", "99"],
     "error: Invalid value for '--history': 99 is not in the range 0<=x<=24."),
    (["backtest", "--prometheus", "http://127.0.0.1:9", "--from", "1", "--to", "61", "--step", "1x"],
     "error: Invalid value for --step: '1x' is not a duration of whole seconds such as 1m or 30s"),
    (["status", "--bogus"], "error: No such option '--bogus'."),
])
def test_a_usage_error_is_one_line(args, line, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr == line + "\n"
    assert result.stdout == ""
