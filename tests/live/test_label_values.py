"""Label values the server holds with newlines or terminal escapes: one series is one row in every text output."""

from __future__ import annotations

import history
import pytest
from helpers import run

AT = str(history.AT)
# label_replace gives checkout's eu series a region value with a newline and an ANSI escape (PromQL's "\n", "\x1b").
ODD = r"eu\nwest\x1b[31m"
SPEC = """
service odd {
  owner  = "team-shop"
  policy = freeze

  slo checkout {
    objective = 99.9%
    window    = 7d
    group_by  = ["region"]
    indicator ratio {
      errors = `sum by (region) (label_replace(rate(http_requests_total{job="checkout", code=~"5.."}[$window]), "region", "ODD", "region", "eu"))`
      total  = `sum by (region) (label_replace(rate(http_requests_total{job="checkout"}[$window]), "region", "ODD", "region", "eu"))`
    }
  }

  slo quiet {
    objective = 99.9%
    window    = 7d
    indicator ratio {
      errors = `label_replace(sum(rate(http_requests_total{job="quiet", code=~"5.."}[$window])), "zone", "a\\tb", "", "")`
      total  = `label_replace(sum(rate(http_requests_total{job="quiet"}[$window])), "zone", "a\\tb", "", "")`
    }
  }
}

policy freeze {
  when budget_remaining <= 0% {
    action = "Freeze releases"
    blocks = ["release"]
  }
}
""".replace("ODD", ODD)


@pytest.fixture
def specs(tmp_path):
    (tmp_path / "odd.slo").write_text(SPEC, encoding="utf-8")
    return str(tmp_path)


def lines_about(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def test_status_table_has_one_row_per_series(prometheus_url, specs):
    result = run("status", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "odd-checkout")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    rows = result.stdout.splitlines()[2:]
    assert len(rows) == 2 and rows[0].startswith("odd-checkout  region=eu\\nwest\\x1b[31m  99.9% / 7d"), rows
    assert rows[1].startswith("odd-checkout  region=us ")


def test_markdown_and_json_keep_the_value(prometheus_url, specs):
    markdown = run("status", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "odd-checkout",
                   "--format", "markdown").stdout
    assert len(lines_about(markdown, "| odd-checkout |")) == 2 and "\x1b" not in markdown
    objects = run("status", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "odd-checkout",
                  "--format", "json", "--source", "raw")
    import json

    assert {o["group"]["region"] for o in json.loads(objects.stdout)} == {"eu\nwest\x1b[31m", "us"}


def test_gate_names_the_group_on_one_line(prometheus_url, specs):
    result = run("gate", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "odd-checkout")
    assert result.exit_code == 1, result.output
    # eu's outage the day before spent its budget.
    (line,) = lines_about(result.stdout, "release blocked by")
    assert "odd-checkout{region=eu\\nwest\\x1b[31m}: when budget_remaining <= 0%" in line
    assert "\x1b" not in result.stdout


def test_verify_message_holds_the_group_on_one_line(prometheus_url, specs):
    # quiet's traffic is low: the warning names the series' labels, here a tab in a value.
    result = run("verify", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "odd-quiet")
    (line,) = lines_about(result.stderr, "low traffic")
    assert "low traffic for zone=a\\tb: in the quietest hour" in line and "\t" not in line
