"""`slo backtest` holds SLOs x groups x windows x evaluations values: capped, with a clear error naming what to narrow.

The server decides how many groups there are; before the cap, 5000 of them
over a month at 1m held gigabytes. Checked on the real `slo` in a child
under an address-space limit.
"""

from __future__ import annotations

import json

import pytest

from attack.fake_server import AT, SPECS, Reply, Request, fake_server, ok, run_in_process, run_slo, vector  # noqa: F401
from slocompiler.live.backtest.budget import Budget
from slocompiler.live.client import LiveError
from slocompiler.live.limits import MAX_VALUES

MONTH = 30 * 86400
GROUPS = 5000


def _many_groups(request: Request) -> Reply:
    """Every range query answered with GROUPS series, each a group of its own (no points: a group is made all the same)."""
    if request.path.endswith("query_range"):
        result = [{"metric": {"region": f"r{i}"}, "values": []} for i in range(GROUPS)]
        return Reply(ok({"resultType": "matrix", "result": result}))
    return Reply(vector())


def test_more_groups_than_the_replay_can_hold_is_one_clear_line(fake_server):
    fake_server.reply = _many_groups
    result = run_slo("backtest", SPECS, "--prometheus", fake_server.url, "--from", str(1700000000 - MONTH),
                     "--to", AT, memory_mib=600, seconds=60)
    assert result.returncode == 3, (result.returncode, result.stderr[-500:])
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"the replay would hold more than {MAX_VALUES:,} values" in result.stderr
    assert "--step" in result.stderr and "--from, --to" in result.stderr and "--slo" in result.stderr


def test_a_replay_too_large_for_one_group_is_refused_before_any_query(fake_server):
    # Twenty years at 1h is 175,320 evaluations, but the long windows sum 5m rates at 1m: 21 million of them.
    fake_server.reply = _many_groups
    result = run_slo("backtest", SPECS, "--prometheus", fake_server.url, "--from", "1068998400",
                     "--to", "1700000000", "--step", "1h", memory_mib=600, seconds=60)
    assert result.returncode == 3 and "the replay would hold more than" in result.stderr, result.stderr[-500:]
    assert fake_server.requests == []


def test_the_budget_counts_across_threads_and_says_what_to_narrow():
    budget = Budget(limit=10)
    budget.take(6)
    budget.check(4)
    with pytest.raises(LiveError, match="a larger --step, a shorter range"):
        budget.take(5)
    assert budget.used == 6


TWO = """
service shop {
  owner = "team"
  slo checkout {
    objective = 99.9%
    window = 7d
    indicator ratio {
      errors = `http_requests_total{job="shop", code=~"5.."}`
      total  = `http_requests_total{job="shop"}`
    }
  }
  slo search {
    objective = 99%
    window = 7d
    indicator ratio {
      errors = `http_requests_total{job="search", code=~"5.."}`
      total  = `http_requests_total{job="search"}`
    }
  }
}
"""


def _flat(request: Request) -> Reply:
    if request.path.endswith("query_range"):
        start, end, step = (float(request.form[k][0]) for k in ("start", "end", "step"))
        points = [[start + i * step, "0"] for i in range(int((end - start) // step) + 1)]
        return Reply(ok({"resultType": "matrix", "result": [{"metric": {}, "values": points}]}))
    return Reply(vector(({}, "0")))


def test_slo_narrows_the_replay(fake_server, tmp_path):
    spec = tmp_path / "two.slo"
    spec.write_text(TWO, encoding="utf-8")
    fake_server.reply = _flat
    result = run_in_process("backtest", str(spec), "--prometheus", fake_server.url, "--from", "1699996400",
                            "--to", AT, "--format", "json", "--slo", "shop-search")
    assert result.exit_code == 0, result.output
    assert [item["slo_id"] for item in json.loads(result.stdout)] == ["shop-search"]
    # The deployed series read to tell clusters apart are the selected SLO's too.
    assert all('job="search"' in r.query or 'slo_id=~"shop-search"' in r.query for r in fake_server.requests if r.query)
    unknown = run_in_process("backtest", str(spec), "--prometheus", fake_server.url, "--from", "1699996400",
                             "--to", AT, "--slo", "shop-serch")
    assert unknown.exit_code == 2 and 'did you mean "shop-search"' in unknown.stderr, unknown.output
