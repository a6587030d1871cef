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
        quiet("73m"),
        # Missing for 5 minutes (70m): those 5 count at once, and the 1h window reaches the page threshold (0.144).
        fires("74m"),
        fires("175m"),
        # 30d: the budget spent is the silent share of the window (65m to 181m: 116 minutes of 30 days), not the
        # member's last hour of good requests.
        {"expr": 'count(slo:sli_error:ratio_rate30d{slo_id="m-journey"} >= 0.00268 <= 0.00269)', "eval_time": "181m",
         "exp_samples": [{"labels": "{}", "value": 1}]},
        silent_seconds("200m", "3h", 116 * 60, 116 * 60),
        # The 1h window at 200m holds the evaluations after 140m: 141m to 181m were silent, 41 of its 60 minutes
        # (Prometheus 2.x ranges hold both ends: a `[1h]` would read 140m's as well).
        {"expr": f'count(slo:sli_error:ratio_rate1h{{slo_id="m-journey"}} >= {41 / 60 - 1e-9} <= {41 / 60 + 1e-9})',
         "eval_time": "200m", "exp_samples": [{"labels": "{}", "value": 1}]},
        fires("200m"),  # back for 20 minutes: its silence still fills a third of the 30m window (6h/30m)
        quiet("215m"),  # none of it by 215m (it was back at 182m)
    ])


def test_the_page_names_the_member_that_has_gone_silent(tmp_path, promtool) -> None:
    """Review of issue 25: the journey paged with every member's burn rate low and nothing saying which member had
    gone. promtool prints the alert it got when told to expect none: its description names the member."""
    import subprocess

    import yaml
    from test_composite_rules import write

    from slocompiler.emit import rules
    from slocompiler.workflow.compile import load

    (tmp_path / "m.slo").write_text(SPEC, encoding="utf-8")
    program = load([str(tmp_path / "m.slo")]).program
    folder = write(tmp_path, program)
    (folder / "case.test.yml").write_text(yaml.safe_dump({
        "rule_files": ["m.rules.yml"], "evaluation_interval": "1m",
        "group_eval_order": [g["name"] for g in rules.rule_groups(program.services[0], rules.composites_of(program))],
        "tests": [{"interval": "1m", "input_series": requests("60", "119", "60"), "alert_rule_test": [
            {"eval_time": "80m", "alertname": "MJourneyErrorBudgetBurn", "exp_alerts": []}]}]}), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", "case.test.yml"], cwd=folder, capture_output=True, text=True,
                            timeout=300)
    printed = result.stdout + result.stderr
    assert 'severity="page"' in printed, printed
    # Missing since 65m: 15 minutes at 80m.
    assert "\\nMember m-api has had no 5m error ratio for 15m 0s; its silence counts as bad once it lasts 5m." \
        in printed


def test_a_relabelled_rules_old_series_leave_the_journey_its_ratios(tmp_path, promtool) -> None:
    """Review of issue 25: after the composite's rules changed labels, the old `seconds` series still in a window's
    range made a second series on the right of `* on () group_left ()`: the journey's long-window ratios failed to
    evaluate for as long as the window."""
    old = 'slo:member_no_data:seconds{slo_id="m-journey", slo_member="m-api", slo_service="m", team="old"}'
    _member_case(promtool, tmp_path, SPEC, [*requests("100", "0", "0"), {"series": old, "values": "0x60"}], [
        {"expr": 'slo:sli_error:ratio_rate1h{slo_id="m-journey"}', "eval_time": "50m",
         "exp_samples": [{"labels": 'slo:sli_error:ratio_rate1h{slo_id="m-journey", slo_name="journey", '
                                   'slo_service="m"}', "value": 0}]},
        quiet("50m"),
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


def test_maintenance_under_a_nested_member_pages_nobody(tmp_path, promtool) -> None:
    """Review of issue 25: the journey's fallback for a member without series rested only with the member's own
    maintenance. m-api's (01:00-02:00) left m-inner without ratios, so the journey paged as its 1h window emptied
    (about 1h58m) and its NoData fired with `skip`."""
    journey = 'count(ALERTS{slo_id="m-journey", alertstate="firing"})'
    checks = [{"expr": journey, "eval_time": f"{minute}m", "exp_samples": []} for minute in range(50, 250, 3)]
    inputs = [{"series": 'api_requests_total{code="500"}', "values": "0x260"},
              {"series": "api_requests_total", "values": "0+60x260"}]
    _member_case(promtool, tmp_path, NESTED, inputs, checks)
    (tmp_path / "skip").mkdir()
    _member_case(promtool, tmp_path / "skip", NESTED.replace("weight = 1  when_no_data = bad", "weight = 1"),
                 inputs, checks)


def test_a_member_idle_before_it_went_silent_pages_within_minutes(tmp_path, promtool) -> None:
    """Review of issue 25: a member without traffic (its ratios NaN) that then stopped reporting had no term in the
    journey's long windows, silent seconds or not, until they held no sample of it: the page came an hour late."""
    _member_case(promtool, tmp_path, SPEC, [
        {"series": 'api_requests_total{code="500"}', "values": "0x120 stale"},
        {"series": "api_requests_total", "values": "0x120 stale"},
    ], [quiet("120m"), fires("140m"),
        # Its 1h ratio: the silent share (from about 125m), 0 over the idle rest.
        {"expr": 'count(slo:sli_error:ratio_rate1h{slo_id="m-journey"} > 0.2 < 0.3)', "eval_time": "140m",
         "exp_samples": [{"labels": "{}", "value": 1}]}])


def test_the_replay_counts_what_the_rules_count() -> None:
    minute = [60.0 * i for i in range(30)]
    gone = [False] * 5 + [True] * 20 + [False] * 5
    # Missing from 5m: at 10m (5 minutes on) the 5 minutes so far at once, then a minute per evaluation, until it is
    # back at 25m: 20 minutes in all.
    assert silence.replay(gone, minute) == [0.0] * 10 + [300.0] + [60.0] * 14 + [0.0] * 5


def test_the_replay_starts_a_new_run_after_a_restart() -> None:
    """Prometheus down for 10 minutes: after it the member's ratio needs a minute or two to come back, which is
    not silence; the grace starts again."""
    times = [0.0, 60.0, 120.0, 780.0, 840.0, 900.0, 960.0, 1020.0, 1080.0, 1140.0]
    gone = [True, True, True, True, True, True, True, True, True, True]
    assert silence.replay(gone, times) == [0.0] * 8 + [300.0, 60.0]  # 1080 is 300 after the new run began at 780


def test_the_replay_counts_a_short_gap_in_the_evaluations_of_a_member_still_gone() -> None:
    times = [0.0, 60.0, 120.0, 180.0, 240.0, 300.0, 360.0, 540.0, 600.0]
    assert silence.replay([True] * 9, times) == [0.0] * 5 + [300.0, 60.0, 180.0, 60.0]


def test_the_replay_counts_each_outage_longer_than_the_grace_whole() -> None:
    """Review of issue 25: each outage was counted from the grace's end, 5 minutes short, and a member that
    flapped (gone 7 minutes, back 2) counted 2 minutes of every 9; now 7."""
    minute = [60.0 * i for i in range(27)]
    flapping = ([True] * 7 + [False] * 2) * 3
    counted = silence.replay(flapping, minute)
    assert sum(counted) == 3 * 7 * 60 - 3 * 60  # each run counts from its first missing evaluation's minute on
    assert sum(silence.replay([True] * 4 + [False] + [True] * 4, minute[:9])) == 0  # runs under the grace: nothing
