"""A `when_no_data` member's silence counts in every window of its composite (core/silence.py), through the real promtool.

Review of issue 25: a `bad` member gone for two hours counted only in the windows with no sample of it left, so the
journey paged about an hour late and its budget never spent the outage.
"""

from __future__ import annotations

from test_composite_rules import MEMBER_WINDOW, _member_case

from slocompiler.core import silence

# test_composite_rules.py's member and journey, without the member's maintenance window.
SPEC = MEMBER_WINDOW.replace('    maintenance nightly { every = day  at = "00:30"  for = 1h }\n', "")
assert SPEC != MEMBER_WINDOW

NESTED = """service m {
  owner = "o"
  tier  = critical
  slo api {
    objective = 99%
    # promtool's clock starts on 1970-01-01 00:00 UTC: the window runs 01:00-02:00 (and its 5m pad).
    maintenance nightly { every = day  at = "01:00"  for = 1h }
    indicator ratio { errors = `api_requests_total{code="500"}`  total = `api_requests_total` }
  }
  slo inner {
    objective = 99%
    composite { m-api { weight = 1 } }
  }
  slo journey {
    objective = 99%
    composite { m-inner { weight = 1  when_no_data = bad } }
  }
}
"""

SECONDS = 'slo:member_no_data:seconds{slo_id="m-journey"}'
PAGES = 'count(ALERTS{slo_id="m-journey", alertstate="firing", severity="page"})'


def fires(at: str) -> dict:
    return {"expr": PAGES, "eval_time": at, "exp_samples": [{"labels": "{}", "value": 1}]}


def quiet(at: str) -> dict:
    return {"expr": PAGES, "eval_time": at, "exp_samples": []}


def silent_seconds(at: str, window: str, low: float, high: float) -> dict:
    """The member's silent seconds over `window` at `at` are within [low, high]."""
    within = f"sum_over_time({SECONDS}[{window}]) >= {low} <= {high}"
    return {"expr": f"count({within})", "eval_time": at, "exp_samples": [{"labels": "{}", "value": 1}]}


def requests(healthy: str, gone: str, back: str) -> list[dict]:
    """api's requests: none fails; scraped, then not at all (stale), then again."""
    return [{"series": 'api_requests_total{code="500"}', "values": f"0x{healthy} stale _x{gone} 0x{back}"},
            {"series": "api_requests_total", "values": f"0+60x{healthy} stale _x{gone} 0+60x{back}"}]


def test_a_bad_member_gone_for_two_hours_pages_the_journey_within_minutes_and_spends_its_budget(tmp_path, promtool):
    # Scraped for the first hour, gone from 61m to 180m, back from 181m.
    _member_case(promtool, tmp_path, SPEC, requests("60", "119", "60"), [
        quiet("60m"),
        silent_seconds("66m", "1h", 0, 0),  # its 5m ratio is missing from about 65m: the grace runs
        quiet("68m"),
        # Missing for 5 minutes: its silence counts, and the 1h window reaches the page threshold (0.144) in 9 more.
        fires("85m"),
        fires("175m"),
        # 30d: the budget spent is the silent share of the window, not the member's last hour of good requests.
        {"expr": 'count(slo:sli_error:ratio_rate30d{slo_id="m-journey"} >= 0.0024 <= 0.0026)', "eval_time": "181m",
         "exp_samples": [{"labels": "{}", "value": 1}]},
        silent_seconds("200m", "3h", 105 * 60, 115 * 60),
        fires("200m"),  # back for 20 minutes: its silence still fills a third of the 30m window (6h/30m)
        quiet("215m"),  # none of it by 215m (it was back at 182m)
    ])


def test_a_few_missed_scrapes_count_no_silence(tmp_path, promtool) -> None:
    """Seven missed scrapes leave the member's 5m ratio missing for four minutes: under the grace."""
    _member_case(promtool, tmp_path, SPEC, [
        {"series": 'api_requests_total{code="500"}', "values": "0x49 _x7 0x20"},
        {"series": "api_requests_total", "values": "0+60x49 _x7 3420+60x20"},
    ], [silent_seconds("70m", "1h", 0, 0), quiet("57m"), quiet("70m")])


def test_a_member_that_rests_under_a_nested_composite_counts_no_silence(tmp_path, promtool) -> None:
    """The journey's member is a composite whose only member is in maintenance: it has no ratio, and that is no
    outage."""
    _member_case(promtool, tmp_path, NESTED, [
        {"series": 'api_requests_total{code="500"}', "values": "0x200"},
        {"series": "api_requests_total", "values": "0+60x200"},
    ], [
        {"expr": 'count(slo:sli_error:ratio_rate5m{slo_id="m-inner"})', "eval_time": "90m", "exp_samples": []},
        silent_seconds("130m", "3h", 0, 0),
        quiet("90m"),
        quiet("130m"),
    ])


def test_the_replay_counts_what_the_rules_count() -> None:
    minute = [60.0 * i for i in range(30)]
    gone = [False] * 5 + [True] * 20 + [False] * 5
    # Missing from 5m: counted from 10m (5 minutes on), a minute per evaluation, until it is back at 25m.
    assert silence.replay(gone, minute) == [0.0] * 10 + [60.0] * 15 + [0.0] * 5


def test_the_replay_starts_a_new_run_after_a_restart() -> None:
    """Prometheus down for 10 minutes: after it the member's ratio needs a minute or two to come back, which is
    not silence; the grace starts again."""
    times = [0.0, 60.0, 120.0, 780.0, 840.0, 900.0, 960.0, 1020.0, 1080.0, 1140.0]
    gone = [True, True, True, True, True, True, True, True, True, True]
    assert silence.replay(gone, times) == [0.0] * 8 + [60.0, 60.0]  # 1080 is 300 after the new run began at 780


def test_the_replay_counts_a_short_gap_in_the_evaluations_of_a_member_still_gone() -> None:
    times = [0.0, 60.0, 120.0, 180.0, 240.0, 300.0, 360.0, 540.0, 600.0]
    assert silence.replay([True] * 9, times) == [0.0] * 5 + [60.0, 60.0, 180.0, 60.0]
