"""`slo budget` and the shared numbers of SRE-MATH.md's worked examples."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner

from slocompiler.cli import cli
from slocompiler.core import sremath
from slocompiler.emit.docs_model import ConditionSpec, alert_row, alert_rows, budget_rows, default_conditions
from slocompiler.workflow.budget import BudgetInputError, parse_objective, parse_window

DAY = 86400
W30, W28 = 30 * DAY, 28 * DAY
O999 = Decimal("0.999")


def test_budget_as_time_30d():
    rows = budget_rows(O999, W30)
    assert [(r.label, r.text) for r in rows] == [("window", "43m12s"), ("week", "10m4.8s"), ("day", "1m26.4s")]
    assert rows[0].seconds == Decimal(2592)


@pytest.mark.parametrize("window, burns", [
    (W30, ["14.4", "6", "1"]),
    (W28, ["13.44", "5.6", "0.933333333333"]),
])
def test_default_burn_rates(window, burns):
    assert [str(c.burn) for c in default_conditions(window)] == burns


def test_full_outage_detection_and_budget_spent():
    page, slow_page, ticket = alert_rows(O999, W30, default_conditions(W30))
    assert page.threshold == "1.44%"
    assert page.full_outage == "51.84s"
    assert page.budget_spent == "2%"
    assert slow_page.full_outage == "2m9.6s"
    assert ticket.full_outage == "4m19.2s"
    # W / r: 30d at 14.4 lasts 50 h.
    assert page.budget_lasts == "2d2h"
    assert sremath.exhaustion_seconds(Decimal("14.4"), W30) == 50 * 3600


def test_budget_spent_from_burn_when_no_budget_given():
    row = alert_row(O999, W30, ConditionSpec("page", Decimal("14.4"), 3600, 300))
    assert row.budget_spent == "2%"


def test_ten_x_burn_and_for_delay():
    row = alert_row(O999, W30, ConditionSpec("page", Decimal("6"), 6 * 3600, 1800, 120))
    # 6h * 6 / 10 = 3h36m, plus the 2m `for`.
    assert row.example_burn == "3h38m"
    assert row.full_outage == "4m9.6s"
    faster = alert_row(O999, W30, ConditionSpec("page", Decimal("14.4"), 3600, 300))
    assert faster.example_burn == "never"  # 10x is below a 14.4x threshold


def test_condition_above_100_percent_never_fires():
    row = alert_row(Decimal("0.9"), W30, ConditionSpec("page", Decimal("14.4"), 3600, 300))
    assert row.threshold == "144%"
    assert not row.can_fire
    assert row.full_outage == "never"


@pytest.mark.parametrize("text, expected", [("99.9%", "0.999"), ("99.9", "0.999"), (" 99.95% ", "0.9995"), ("50", "0.5")])
def test_parse_objective(text, expected):
    assert parse_objective(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["100%", "0%", "0", "abc", "99.9%%", "-1%", "1e2", "nan", ""])
def test_parse_objective_rejects(text):
    with pytest.raises(BudgetInputError):
        parse_objective(text)


@pytest.mark.parametrize("text, seconds", [("30d", W30), ("4w", W28), ("1d12h", 36 * 3600), ("365d", 365 * DAY)])
def test_parse_window(text, seconds):
    assert parse_window(text) == seconds


@pytest.mark.parametrize("text", ["30x", "30", "12h", "366d", "1h1d", "1d30s", "", "d"])
def test_parse_window_rejects(text):
    with pytest.raises(BudgetInputError):
        parse_window(text)


EXPECTED_30D = """\
objective 99.9% over 30d: error budget 0.1% of events

error budget as time
  per           budget
  window (30d)  43m12s
  week (7d)     10m4.8s
  day (1d)      1m26.4s

default alerts (fire when the error ratio over both long and short exceeds 'fires above')
  severity  burn rate  long  short  fires above  budget spent  full outage  10x burn  budget lasts
  page      14.4       1h    5m     1.44%        2%            51.84s       never     2d2h
  page      6          6h    30m    0.6%         5%            2m9.6s       3h36m     5d
  ticket    1          3d    6h     0.1%         10%           4m19.2s      7h12m     30d

defaults by tier (`tier =` in a service or SLO; written conditions, min_failures and no_data win)
  tier                    pages                   tickets                           min_failures         no-data alert
  critical                1h/5m 14.4x, 6h/30m 6x  3d/6h 1x                          pages 10, tickets 0  page after 5m, 5m ratio or raw total absent
  high, medium (default)  1h/5m 14.4x, 6h/30m 6x  3d/6h 1x                          pages 10, tickets 0  ticket after 15m, 5m ratio absent
  low                     none                    1h/5m 14.4x, 6h/30m 6x, 3d/6h 1x  tickets 0            ticket after 15m, 5m ratio absent
  min_failures N: a condition fires only with N bad events within its long window; expr SLOs count none (docs/LANGUAGE.md)
"""


def test_cli_budget_30d():
    result = CliRunner().invoke(cli, ["budget", "99.9%", "--window", "30d"])
    assert result.exit_code == 0, result.output
    assert result.stdout == EXPECTED_30D


def test_cli_budget_default_window_is_30d():
    result = CliRunner().invoke(cli, ["budget", "99.9"])
    assert result.exit_code == 0
    assert result.stdout == EXPECTED_30D


def test_cli_budget_28d_matches_sre_math():
    result = CliRunner().invoke(cli, ["budget", "99.9%", "--window", "28d"])
    assert result.exit_code == 0
    assert "window (28d)  40m19.2s" in result.stdout
    assert "13.44" in result.stdout and "0.933333333333" in result.stdout


def test_cli_budget_short_window_shrinks_the_ticket_to_the_window():
    result = CliRunner().invoke(cli, ["budget", "99%", "--window", "1d"])
    assert result.exit_code == 0
    assert "\n  ticket    0.933333333333  1d    2h " in result.stdout
    assert "left out" not in result.stdout


DAYS = (1, 2, 3, 7, 14, 27, 28, 29, 30, 31, 90, 180, 365)


@pytest.mark.parametrize("days", DAYS)
def test_default_conditions_stay_actionable_at_every_window(days):
    """No default page below 2x, no default ticket below 28d's 0.9333x; every long window fits."""
    window = days * DAY
    for condition in default_conditions(window):
        floor = Decimal(2) if condition.severity == "page" else Decimal("0.933333333333")
        assert condition.burn >= floor, (days, condition)
        assert condition.short < condition.long <= window
        assert condition.short % 60 == 0


@pytest.mark.parametrize("days, burns, longs", [
    (1, ["13.44", "5.6", "0.933333333333"], [3600, 21600, DAY]),
    (7, ["13.44", "5.6", "0.933333333333"], [3600, 21600, 3 * DAY]),
    (14, ["13.44", "5.6", "0.933333333333"], [3600, 21600, 3 * DAY]),
    (29, ["13.92", "5.8", "0.966666666667"], [3600, 21600, 3 * DAY]),
    (90, ["14.4", "6", "1"], [3600, 21600, 3 * DAY]),
    (365, ["14.4", "6", "1"], [3600, 21600, 3 * DAY]),
])
def test_default_conditions_table(days, burns, longs):
    conditions = default_conditions(days * DAY)
    assert [str(c.burn) for c in conditions] == burns
    assert [c.long for c in conditions] == longs


@pytest.mark.parametrize("args, message", [
    (["budget", "100%"], "objective must be strictly between 0% and 100%, got '100%'"),
    (["budget", "abc"], "objective must be a percentage such as 99.9%, got 'abc'"),
    (["budget", "99.9%", "--window", "30x"], "window must be a duration such as 30d or 4w, got '30x'"),
    (["budget", "99.9%", "--window", "2h"], "window must be from 1d to 365d, got '2h'"),
])
def test_cli_budget_bad_input_is_one_line_usage_error(args, message):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"slo budget: error: {message}\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_budget_and_docs_show_the_same_numbers():
    import sample_ir

    from slocompiler.emit import docs
    from slocompiler.workflow.budget import alert_cells, report

    page = docs.emit(sample_ir.program())["docs/checkout.md"]
    text = report(O999, W30)
    for row in alert_rows(O999, W30, default_conditions(W30)):
        cells = alert_cells(row)
        assert "| " + " | ".join(cells) + " |" in page
        assert any(line.split() == list(cells) for line in text.splitlines())
    for row in budget_rows(O999, W30):
        assert f"| {row.label} ({row.span}) | {row.text} |" in page
