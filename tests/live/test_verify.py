"""`slo verify` against the real server: located findings with suggestions, exit codes, --strict."""

from __future__ import annotations

import json
import time
import urllib.request

import history
import pytest
from helpers import SPECS, run

AT = str(history.AT)

BAD = """service shop {
  owner = "t"
  slo typo-metric {
    objective = 99.9%
    window    = 7d
    indicator ratio {
      errors = `http_requests_total{job="checkout", code="500"}`
      total  = `http_request_total{job="checkout"}`
    }
  }
  slo typo-job {
    objective = 99.9%
    window    = 7d
    group_by  = ["regoin"]
    indicator ratio {
      errors = `http_requests_total{job="checkout", code="500"}`
      total  = `http_requests_total{job="chekout"}`
    }
  }
  slo no-bucket {
    objective = 99%
    window    = 7d
    indicator latency {
      histogram = `http_request_duration_seconds_bucket{job="checkout"}`
      threshold = 300ms
    }
  }
  slo spelled {
    objective = 99%
    window    = 7d
    indicator latency {
      histogram = `http_request_duration_seconds_bucket{job="checkout"}`
      threshold = 1s
    }
  }
  slo grouped {
    objective = 99%
    window    = 7d
    group_by  = ["regoin"]
    indicator ratio {
      errors = `http_requests_total{job="checkout", code="500"}`
      total  = `http_requests_total{job="checkout"}`
    }
  }
}
"""


def verify(url: str, path: str, *extra: str):
    return run("verify", path, "--prometheus", url, "--at", AT, *extra)


@pytest.fixture
def bad_spec(tmp_path):
    path = tmp_path / "bad.slo"
    path.write_text(BAD, encoding="utf-8")
    return str(path)


def test_findings_are_located_with_suggestions(prometheus_url, bad_spec):
    result = verify(prometheus_url, bad_spec, "--format", "json")
    assert result.exit_code == 1
    found = {(d["line"], d["column"], d["severity"], d["message"]) for d in json.loads(result.stdout)}
    messages = "\n".join(f"{line}:{col}: {severity}: {message}" for line, col, severity, message in sorted(found))
    assert '8:16: error: total selector matches no series in the last 7d: no metric "http_request_total"; ' \
           'did you mean "http_requests_total"?' in messages
    assert '17:16: error: total selector `http_requests_total{job="chekout"}` matches no series in the last 7d; ' \
           'http_requests_total has no job="chekout"; did you mean "checkout"?' in messages
    assert "25:19: error: the histogram has no bucket at le=\"0.3\"; its buckets: 0.1, 0.25, 0.5, 1.0, +Inf" in messages
    assert '33:19: error: the histogram\'s bucket at 1 is spelled le="1.0", so le="1" selects nothing' in messages
    assert 'error: group_by label "regoin" is on no series of total; did you mean "region"?' in messages


def test_the_shop_specs_find_the_stale_rules_and_the_quiet_service(prometheus_url):
    result = verify(prometheus_url, SPECS)
    assert result.exit_code == 1
    err = result.stderr
    assert "shop.slo:32:17: error: the deployed slo:objective:ratio of payments-availability is 0.99, " \
           "the spec says 0.999: the rules running are stale" in err
    assert "hint: deploy prometheus/payments.rules.yml again" in err
    assert "slo:error_budget:ratio" not in err  # said once, through the objective
    true = history.window_ratio("payments", ("eu",), history.AT, 1800)
    assert (f"shop.slo:34:15: warning: the deployed slo:sli_error:ratio_rate30m of payments-availability is "
            f"{3 * true:.6g}, the spec's indicator gives {true:.6g}: the rules running compute something else") in err
    assert err.count("the rules running compute something else") == 1  # the other windows agree
    assert err.splitlines()[-1] == ("checked 5 SLO(s): 1 error(s), 2 warning(s); deployed error ratios (per SLO, group "
                                    "and window): 6 compared, 5 matched, 1 differed, 0 could not be compared")
    quiet = [line for line in err.splitlines() if "low traffic" in line]
    assert len(quiet) == 1 and quiet[0].startswith(SPECS + "/shop.slo:45:7: warning: low traffic")
    # Independently: the quietest hour of quiet's last 7d, events in the 5m window of the 1h page.
    rate = history.quietest_hour_rate("quiet", "eu", history.AT, 7 * 86400)
    assert f"({rate * 3600:.0f} events an hour)" in quiet[0] and f"about {rate * 300:.0f} events" in quiet[0]


def test_warnings_fail_only_with_strict(prometheus_url):
    clean = verify(prometheus_url, SPECS, "--service", "quiet")
    assert clean.exit_code == 0 and "warning: low traffic" in clean.stderr
    assert verify(prometheus_url, SPECS, "--service", "quiet", "--strict").exit_code == 1
    checkout = verify(prometheus_url, SPECS, "--service", "checkout")
    assert checkout.exit_code == 0
    assert checkout.stderr.splitlines()[-1] == "ok: 2 SLO(s) checked against the live series; no deployed error ratio to compare"


def test_github_format(prometheus_url, bad_spec):
    lines = verify(prometheus_url, bad_spec, "--format", "github").stdout.splitlines()
    assert any(line.startswith("::error file=") and ",line=8,col=16" in line for line in lines)


def _wait_for_metadata(url: str) -> None:
    # The server scrapes itself every 2s; metadata exists after the first scrape.
    for _ in range(300):
        with urllib.request.urlopen(url + "/api/v1/metadata?metric=prometheus_tsdb_head_series") as answer:
            metadata = json.load(answer)["data"]
        with urllib.request.urlopen(url + "/api/v1/query?query=prometheus_tsdb_head_chunks") as answer:
            samples = json.load(answer)["data"]["result"]
        if metadata and samples:
            return
        time.sleep(0.1)
    pytest.fail("prometheus never scraped itself")


def test_gauge_read_as_a_counter(prometheus_url, tmp_path):
    _wait_for_metadata(prometheus_url)
    spec = tmp_path / "gauge.slo"
    spec.write_text('service self {\n  owner = "t"\n  slo series {\n    objective = 99%\n    window = 7d\n'
                    '    indicator ratio {\n      errors = `prometheus_tsdb_head_chunks`\n'
                    '      total  = `prometheus_tsdb_head_series`\n    }\n  }\n}\n', encoding="utf-8")
    result = run("verify", str(spec), "--prometheus", prometheus_url)  # now: the server's own live series
    assert result.exit_code == 1
    assert 'gauge.slo:8:16: error: the metadata says "prometheus_tsdb_head_series" is a gauge, but the total ' \
           "selector is read with rate(), which needs a counter" in result.stderr


def test_markdown_list(prometheus_url, bad_spec):
    text = verify(prometheus_url, bad_spec, "--format", "markdown").stdout
    assert text.startswith("**slo verify**: 5 SLO(s), ")
    assert any(line.startswith("- `") and ":25:19` **error**: the histogram has no bucket" in line for line in text.splitlines())


def test_an_expression_that_yields_nothing(prometheus_url, tmp_path):
    spec = tmp_path / "expr.slo"
    spec.write_text('service e {\n  owner = "t"\n  slo ratio {\n    objective = 99%\n    window = 7d\n'
                    '    indicator expr {\n      error_ratio = `sum(rate(nothing_total[$window])) / sum(rate(x_total[$window]))`\n'
                    '    }\n  }\n  slo fine {\n    objective = 99%\n    window = 7d\n    indicator expr {\n'
                    '      error_ratio = `sum(rate(http_requests_total{code="500"}[$window])) / '
                    'sum(rate(http_requests_total[$window]))`\n    }\n  }\n}\n', encoding="utf-8")
    result = verify(prometheus_url, str(spec))
    assert result.exit_code == 1
    assert "expr.slo:7:21: error: the error_ratio expression yields no series over the last 7d" in result.stderr
    assert result.stderr.count("error:") == 1  # the working expression is fine
