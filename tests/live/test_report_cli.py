"""`slo report` on bad input: one clear line each, the documented exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run

SPECS = str(Path(__file__).resolve().parent / "report_specs")


def failed(*args: str, url: str = "http://127.0.0.1:9") -> tuple[int, str]:
    result = run("report", SPECS, "--prometheus", url, *args)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return result.exit_code, result.stderr


@pytest.mark.parametrize(("args", "words"), [
    (("--period", "2024-13"), "'2024-13' is not a month: write 2026-11 (a month), 2026-W47 (an ISO week) or 2026-Q4"),
    (("--period", "november"), "'november' is not a period: write 2026-11 (a month)"),
    (("--period", "2024-W53"), "'2024-W53' is not an ISO week: 2024 has weeks 01 to 52"),
    (("--period", "2024-Q5"), "'2024-Q5' is not a period"),
    (("--period", "2099-01"), "2099-01 has not started yet (it ends 2099-02-01 00:00 UTC); a report covers a period "
                              "that has ended, such as "),
    (("--from", "2024-09-10T00:00:00Z", "--to", "2024-09-01T00:00:00Z"),
     "--from 2024-09-10 00:00:00 UTC is not before --to 2024-09-01 00:00:00 UTC"),
    (("--from", "2024-09-10T00:00:00Z"), "--from and --to go together: give both, or --period"),
    (("--period", "2024-09", "--from", "2024-09-10T00:00:00Z", "--to", "2024-09-11T00:00:00Z"),
     "give either --period or --from and --to, not both"),
    (("--period", "2024-09", "--timezone", "Mars/Olympus"), "'Mars/Olympus' is not an IANA time zone"),
    (("--from", "yesterday", "--to", "2024-09-11T00:00:00Z"), "'yesterday' is neither RFC 3339"),
    (("--period", "2024-09", "--slo", "api-availabilty"), 'no SLO "api-availabilty" in the specs; did you mean'),
])
def test_usage_errors_exit_2_before_any_query(args, words):
    code, stderr = failed(*args)
    assert code == 2
    assert words in stderr
    assert stderr.startswith("error: ") and len(stderr.splitlines()) == 1  # no usage synopsis before it


def test_the_period_in_progress_is_refused():
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    code, stderr = failed("--period", f"{now:%Y-%m}")
    assert code == 2
    assert f"{now:%Y-%m} is not over yet" in stderr


def test_unreachable_server_exits_3():
    code, stderr = failed("--period", "2024-09")
    assert code == 3
    assert stderr.startswith("error: cannot reach Prometheus at http://127.0.0.1:9")
    assert len(stderr.splitlines()) == 1


def test_no_data_for_the_period_exits_3(prometheus_url):
    code, stderr = failed("--period", "2020-01", "--history", "0", url=prometheus_url)
    assert code == 3
    assert stderr == ("error: no data for 2020-01 from the server for any selected SLO "
                      "(no series in the period)\n")


def test_unwritable_output_is_a_usage_error(tmp_path):
    code, stderr = failed("--period", "2024-09", "-o", str(tmp_path / "missing" / "r.html"))
    assert code == 2
    assert "the folder" in stderr and "does not exist" in stderr
