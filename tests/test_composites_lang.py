"""Composite SLOs and maintenance windows in the front end: what they mean, and every located error."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from slocompiler.core.ir import CompositeIndicator
from slocompiler.workflow.compile import load

RATIO = 'indicator ratio { errors = `e{job="%s"}` total = `t{job="%s"}` }'


def ratio(job: str) -> str:
    return RATIO % (job, job)


def write(tmp_path: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return [str(tmp_path / name) for name in files]


def diagnostics(tmp_path: Path, files: dict[str, str]) -> list[str]:
    loaded = load(write(tmp_path, files))
    return [f"{Path(d.span.file).name}:{d.span.line}:{d.span.column}: {d.severity}: {d.message}" for d in loaded.diagnostics]


def program(tmp_path: Path, files: dict[str, str]):
    loaded = load(write(tmp_path, files))
    assert loaded.program is not None, loaded.diagnostics
    return loaded.program


SEARCH = f"""service search {{
  owner = "s"
  slo availability {{
    objective = 99.9%
    {ratio("search")}
  }}
}}
"""


def test_members_come_from_any_input_file(tmp_path) -> None:
    journey = f"""service shop {{
  owner = "o"
  slo journey {{
    objective = 99.5%
    composite {{
      search-availability {{ weight = 2  when_no_data = bad }}
      shop-api {{}}
      aggregate = worst
    }}
  }}
  slo api {{
    objective = 99.9%
    {ratio("shop")}
  }}
}}
"""
    slo = program(tmp_path, {"shop.slo": journey, "search.slo": SEARCH}).slo("shop-journey")
    assert isinstance(slo.indicator, CompositeIndicator)
    assert slo.indicator.aggregate == "worst"
    assert [(m.slo_id, m.weight, m.when_no_data) for m in slo.indicator.members] == [
        ("search-availability", Decimal(2), "bad"), ("shop-api", Decimal(1), "skip")]
    assert slo.slices is None


def test_unknown_member_suggests_an_id_from_every_file(tmp_path) -> None:
    journey = 'service shop {\n  owner = "o"\n  slo journey {\n    objective = 99%\n' \
              '    composite { search-availabilty {} }\n  }\n}\n'
    assert diagnostics(tmp_path, {"shop.slo": journey, "search.slo": SEARCH}) == [
        'shop.slo:5:17: error: unknown SLO "search-availabilty" in composite shop-journey; '
        'did you mean "search-availability"?']


def test_a_member_that_failed_to_lower_is_not_called_unknown(tmp_path) -> None:
    text = 'service s {\n  owner = "o"\n  slo j { objective = 99%  composite { s-broken {} } }\n' \
           '  slo broken { objective = 99% }\n}\n'
    assert diagnostics(tmp_path, {"s.slo": text}) == [
        's.slo:4:7: error: slo broken has no indicator; add indicator ratio {...}, latency {...}, expr {...} '
        'or threshold {...}, or make it a composite {...} of other SLOs']


def test_a_cycle_is_named(tmp_path) -> None:
    text = 'service j {\n  owner = "o"\n' \
           '  slo a { objective = 99%  composite { j-b {} } }\n' \
           '  slo b { objective = 99%  composite { j-c {} } }\n' \
           '  slo c { objective = 99%  composite { j-a {} } }\n}\n'
    assert diagnostics(tmp_path, {"j.slo": text}) == [
        "j.slo:3:40: error: composite SLOs form a cycle: j-a -> j-b -> j-c -> j-a"]


def test_a_composite_of_itself_is_a_cycle(tmp_path) -> None:
    text = 'service j {\n  owner = "o"\n  slo a { objective = 99%  composite { j-a {} } }\n}\n'
    assert diagnostics(tmp_path, {"j.slo": text}) == ["j.slo:3:40: error: composite SLOs form a cycle: j-a -> j-a"]


def test_shape_errors_are_located(tmp_path) -> None:
    text = f"""service j {{
  owner = "o"
  slo x {{
    objective = 99%
    {ratio("x")}
  }}
  slo a {{
    objective = 99%
    group_by = ["route"]
    composite {{ j-x {{ weight = 0 }} j-x {{}} aggregate = best }}
    {ratio("a")}
  }}
  slo b {{
    objective = 99%
    composite {{ j-x {{ when_no_data = maybe  wieght = 1 }} }}
  }}
}}
"""
    assert diagnostics(tmp_path, {"j.slo": text}) == [
        "j.slo:9:16: error: slo a is a composite: it has one error ratio, so no group_by (a grouped member counts "
        "over all its groups)",
        "j.slo:10:32: error: weight must be above 0, not 0: a member that weighs nothing is not part of the "
        "journey; remove it instead",
        'j.slo:10:36: error: member "j-x" is listed twice in the composite (first at line 10)',
        'j.slo:10:55: error: aggregate must be sum or worst, not "best"',
        "j.slo:11:15: error: slo a has an indicator and a composite; a composite's error ratio comes from its "
        "members, so it has no indicator of its own",
        'j.slo:15:38: error: when_no_data must be good, bad or skip, not "maybe"',
        'j.slo:15:45: error: unknown attribute "wieght" in member j-x; did you mean "weight"?',
    ]


def test_a_journey_that_promises_more_than_its_parts_is_warned(tmp_path) -> None:
    text = f"""service j {{
  owner = "o"
  slo x {{
    objective = 99.9%
    {ratio("x")}
  }}
  slo journey {{
    objective = 99.9%
    composite {{ j-x {{ weight = 2 }} }}
  }}
}}
"""
    assert diagnostics(tmp_path, {"j.slo": text}) == [
        "j.slo:7:7: warning: composite j-journey promises more than its members do: they may fail 2 × 0.001 = "
        "0.002 of journeys within their objectives, above its error budget 0.001 (objective 99.9%)"]


def test_members_with_slices_of_one_length_make_a_slice_composite(tmp_path) -> None:
    sliced = f"""
  slo up {{
    objective = 99%
    slices {{ length = 5m target = 95% }}
    {ratio("up")}
  }}
  slo up2 {{
    objective = 99%
    slices {{ length = 5m target = 90% }}
    {ratio("up2")}
  }}
  slo journey {{ objective = 99%  composite {{ j-up {{}} j-up2 {{}} }} }}
  slo mixed {{ objective = 99%  composite {{ j-up {{}} j-plain {{}} }} }}
  slo plain {{
    objective = 99%
    {ratio("plain")}
  }}
"""
    found = program(tmp_path, {"j.slo": 'service j {\n  owner = "o"' + sliced + "}\n"})
    journey = found.slo("j-journey")
    assert journey.slices is not None
    assert (journey.slices.length, journey.slices.ratio, journey.slices.target) == (300, True, None)
    # Default windows widened to hold two slices, as any 5m-slice SLO's are.
    assert [(c.long, c.short) for c in journey.alerting.conditions][0] == (3600, 600)
    assert found.slo("j-mixed").slices is None


def test_maintenance_windows_once_and_recurring(tmp_path) -> None:
    text = f"""service checkout {{
  owner = "o"
  timezone = "Europe/Berlin"
  maintenance db-upgrade {{ from = "2026-12-05T02:00:00Z"  for = 3h }}
  maintenance local {{ from = "2026-12-06T02:00"  for = 30m }}
  slo api {{
    objective = 99%
    maintenance weekly {{ every = sunday  at = "02:00"  for = 2h  timezone = "America/New_York" }}
    {ratio("api")}
  }}
}}
"""
    found = program(tmp_path, {"c.slo": text})
    service = found.services[0]
    once, local = service.maintenance
    assert (once.name, once.start, once.duration) == (
        "db-upgrade", int(datetime(2026, 12, 5, 2, tzinfo=UTC).timestamp()), 3 * 3600)
    # Without an offset, `from` is local time in the zone: 02:00 in Berlin in December is 01:00 UTC.
    assert local.start == int(datetime(2026, 12, 6, 1, tzinfo=UTC).timestamp())
    slo = service.slos[0]
    assert [w.name for w in slo.maintenance] == ["db-upgrade", "local", "weekly"]
    weekly = slo.maintenance[2]
    assert (weekly.every, weekly.at, weekly.duration, weekly.timezone, weekly.start) == (
        "sunday", 7200, 7200, "America/New_York", None)


def test_maintenance_errors_are_located(tmp_path) -> None:
    text = f"""service s {{
  owner = "o"
  maintenance a {{ every = sundy  at = "25:00"  for = 0s }}
  maintenance b {{ from = "tomorrow"  for = 1h }}
  maintenance c {{ every = day  at = "02:00"  for = 1d }}
  maintenance d {{ for = 1h }}
  maintenance a {{ from = "2026-12-05T02:00:00Z"  for = 1h }}
  maintenence e {{ for = 1h }}
  slo api {{
    objective = 99%
    {ratio("api")}
  }}
}}
"""
    assert diagnostics(tmp_path, {"s.slo": text}) == [
        's.slo:3:27: error: every must be day or a weekday, not "sundy"; did you mean "sunday"?',
        's.slo:3:39: error: at must be a local time "HH:MM" from "00:00" to "23:59", not "25:00"',
        "s.slo:3:54: error: for must be a positive whole number of seconds, not 0s",
        's.slo:4:26: error: from must be an RFC 3339 time like "2026-12-05T02:00:00Z", not "tomorrow"',
        "s.slo:5:52: error: maintenance c lasts as long as its recurrence or longer (every day): it would never "
        "end; use a shorter for",
        's.slo:6:15: error: maintenance d needs either from = "2026-12-05T02:00:00Z" (once) or every = sunday '
        'with at = "02:00" (recurring)',
        's.slo:7:15: error: maintenance "a" is defined twice in service s (first at line 3)',
        's.slo:8:3: error: unknown block "maintenence" in service s; did you mean "maintenance"?',
    ]


def test_an_slo_timezone_that_places_its_maintenance_is_not_idle(tmp_path) -> None:
    text = f"""service s {{
  owner = "o"
  slo api {{
    objective = 99%
    timezone = "Europe/Berlin"
    maintenance nightly {{ every = day  at = "03:00"  for = 30m }}
    {ratio("api")}
  }}
}}
"""
    assert diagnostics(tmp_path, {"s.slo": text}) == []
    assert program(tmp_path, {"s.slo": text}).slo("s-api").maintenance[0].timezone == "Europe/Berlin"


def test_weights_of_a_slice_composite_are_warned_idle(tmp_path) -> None:
    text = f"""service j {{
  owner = "o"
  slo up {{
    objective = 99%
    slices {{ length = 5m target = 95% }}
    {ratio("up")}
  }}
  slo journey {{ objective = 99%  composite {{ j-up {{ weight = 3 }} aggregate = worst }} }}
}}
"""
    assert diagnostics(tmp_path, {"j.slo": text}) == [
        "j.slo:8:34: warning: aggregate = worst has no effect in composite j-journey: its members all count slices, "
        "so a slice of the journey is bad when any member's is",
        "j.slo:8:46: warning: weight has no effect in composite j-journey: its members all count slices, "
        "so a slice of the journey is bad when any member's is"]


def test_a_recurring_start_the_clocks_skip_is_warned_with_the_day_and_the_start_then(tmp_path) -> None:
    """Review of issue 25: 02:30 in Berlin does not exist on the day summer time starts; the window then starts at
    03:30 (zoneinfo's fold=0), which the spec's author should hear about, once, at the `at`."""
    text = f"""service s {{
  owner = "o"
  timezone = "Europe/Berlin"
  maintenance nightly {{ every = day  at = "02:30"  for = 1h }}
  maintenance early {{ every = sunday  at = "04:00"  for = 1h }}
  maintenance winter {{ every = day  at = "02:30"  for = 1h  timezone = "Asia/Tokyo" }}
  slo api {{
    objective = 99%
    {ratio("api")}
  }}
}}
"""
    assert diagnostics(tmp_path, {"s.slo": text}) == [
        's.slo:4:43: warning: maintenance nightly: at = "02:30" does not exist on 2027-03-28 in Europe/Berlin (the'
        " clocks jump over it): that day the window starts at 03:30 local time, and lasts 1h as on other days"]


def test_a_member_in_error_still_has_its_id_and_cycle_checked_in_the_same_run(tmp_path) -> None:
    """Review of issue 25: a bad `when_no_data` or weight dropped the whole composite, so unknown members and cycles
    showed only after the fix."""
    text = f"""service j {{
  owner = "o"
  slo x {{
    objective = 99%
    {ratio("x")}
  }}
  slo a {{
    objective = 99%
    composite {{ j-xx {{ }} j-b {{ weight = 0  when_no_data = bda }} }}
  }}
  slo b {{
    objective = 99%
    composite {{ j-a {{ }} }}
  }}
}}
"""
    assert diagnostics(tmp_path, {"j.slo": text}) == [
        'j.slo:9:17: error: unknown SLO "j-xx" in composite j-a; did you mean "j-x"?',
        "j.slo:9:26: error: composite SLOs form a cycle: j-a -> j-b -> j-a",
        "j.slo:9:41: error: weight must be above 0, not 0: a member that weighs nothing is not part of the "
        "journey; remove it instead",
        'j.slo:9:59: error: when_no_data must be good, bad or skip, not "bda"; did you mean "bad"?',
    ]
