"""Composite SLOs and maintenance windows in the static outputs: Grafana, docs, policy (issue 25)."""

from __future__ import annotations

from decimal import Decimal

import composite_spec
import promql_parser
from grafana_helpers import load, panels, queries, selectors

from slocompiler.emit import docs, grafana, policy


def _boards() -> dict[str, dict]:
    return {path: load(text) for path, text in grafana.emit(composite_spec.program()).items()}


def _row(board: dict, title_start: str) -> list[dict]:
    """The panels of the row whose title starts with `title_start`."""
    found, inside = [], False
    for panel in board["panels"]:
        if panel["type"] == "row":
            inside = panel["title"].startswith(title_start)
        elif inside:
            found.append(panel)
    return found


def test_grafana_goldens(golden):
    for path, text in sorted(grafana.emit(composite_spec.program()).items()):
        golden(path.replace("grafana/", "grafana/composite/"), text)


def test_composite_rows_read_no_event_rates_they_do_not_have():
    board = _boards()["grafana/journeys.json"]
    for where, expr in queries(board):
        for selector in selectors(expr):
            assert not selector.name.startswith(("slo:sli_events_", "slo:slices_")), (where, expr)
    # The shop's own rows still read theirs.
    shop = _boards()["grafana/shop.json"]
    assert any(s.name.startswith("slo:sli_events_") for _, e in queries(shop) for s in selectors(e))


def test_members_panel_stacks_each_members_weighted_error_ratio_and_links_its_dashboard():
    row = _row(_boards()["grafana/journeys.json"], "checkout:")
    (members,) = [panel for panel in row if panel["title"] == "Members"]
    exprs = [target["expr"] for target in members["targets"]]
    assert exprs == [
        'max_over_time(slo:sli_error:ratio_rate5m{slo_id="shop-availability"}[$__rate_interval])',
        '1.5 * max_over_time(slo:sli_error:ratio_rate5m{slo_id="shop-latency"}[$__rate_interval])',
    ]
    for expr in exprs:
        promql_parser.parse(expr.replace("$__rate_interval", "5m"))
    assert members["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "normal"
    assert members["fieldConfig"]["defaults"]["unit"] == "percentunit"
    assert [link["url"] for link in members["links"]] == ["/d/slo-shop?${datasource:queryparam}"] * 2


def test_worst_members_panel_plots_weighted_burn_rates_unstacked():
    row = _row(_boards()["grafana/journeys.json"], "browse:")
    (members,) = [panel for panel in row if panel["title"] == "Members"]
    assert [target["expr"] for target in members["targets"]][:2] == [
        '2 * max_over_time(slo:sli_error:ratio_rate5m{slo_id="shop-availability"}[$__rate_interval]) / 0.001',
        'max_over_time(slo:sli_error:ratio_rate5m{slo_id="journeys-checkout"}[$__rate_interval]) / 0.02',
    ]
    # A slice member records no 5m ratio: its line reads one slice (10m), and its legend says so.
    assert members["targets"][2]["expr"] == (
        'max_over_time(slo:sli_error:ratio_rate10m{slo_id="shop-uptime"}[$__rate_interval]) / 0.005')
    assert members["targets"][2]["legendFormat"] == "shop-uptime × 1 (over 10m)"
    assert "stacking" not in members["fieldConfig"]["defaults"]["custom"]
    # A member of the same service links to this very dashboard.
    assert members["links"][1]["url"].startswith("/d/slo-journeys?")


def test_composite_data_panel_reads_its_own_error_ratio():
    row = _row(_boards()["grafana/journeys.json"], "checkout:")
    (data,) = [panel for panel in row if panel["title"] == "Data"]
    (expr,) = [target["expr"] for target in data["targets"]]
    assert {s.name for s in selectors(expr)} == {"slo:sli_error:ratio_rate5m"}
    assert 'slo_id="journeys-checkout"' in expr
    # A composite of 10m slice members records one slice as its shortest ratio; no Slices panel (no slice counts).
    sliced = _row(_boards()["grafana/journeys.json"], "always-up:")
    (data,) = [panel for panel in sliced if panel["title"] == "Data"]
    assert {s.name for s in selectors(data["targets"][0]["expr"])} == {"slo:sli_error:ratio_rate10m"}
    assert "Slices" not in {panel["title"] for panel in sliced}


def test_maintenance_windows_shade_only_their_slos_time_panels():
    board = _boards()["grafana/journeys.json"]
    by_id = {panel["id"]: panel for panel in panels(board)}
    notes = {note["name"]: note for note in board["annotations"]["list"]}
    # The service's two windows apply to both SLOs; browse has its own nightly one.
    assert sorted(notes) == ["always-up: maintenance db-upgrade", "always-up: maintenance weekly",
                             "browse: maintenance db-upgrade", "browse: maintenance freeze", "browse: maintenance nightly",
                             "browse: maintenance weekly", "checkout: maintenance db-upgrade", "checkout: maintenance weekly"]
    browse = {panel["id"] for panel in _row(board, "browse:") if panel["type"] in ("timeseries", "state-timeline")}
    assert set(notes["browse: maintenance nightly"]["filter"]["ids"]) == browse
    for note in notes.values():
        assert note["filter"]["exclude"] is False
        assert all(by_id[i]["type"] in ("timeseries", "state-timeline") for i in note["filter"]["ids"])
    assert _boards()["grafana/shop.json"]["annotations"]["list"] == []


def test_recurring_windows_are_cron_time_regions_in_their_own_zone():
    notes = {note["name"]: note for note in _boards()["grafana/journeys.json"]["annotations"]["list"]}
    weekly = notes["checkout: maintenance weekly"]
    assert weekly["datasource"] == {"type": "datasource", "uid": "grafana"}
    assert weekly["target"] == {"queryType": "timeRegions", "refId": "Anno", "timeRegion": {
        "cronExpr": "0 2 * * 0", "duration": "2h", "mode": "cron", "timezone": "Europe/Berlin"}}
    nightly = notes["browse: maintenance nightly"]["target"]["timeRegion"]
    assert (nightly["cronExpr"], nightly["duration"], nightly["timezone"]) == ("30 23 * * *", "90m", "America/New_York")


def test_one_off_window_is_a_prometheus_query_true_exactly_inside_it():
    note = {n["name"]: n for n in _boards()["grafana/journeys.json"]["annotations"]["list"]}["checkout: maintenance db-upgrade"]
    start = 1796436000  # 2026-12-05T02:00:00Z
    assert note["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert note["expr"] == f"vector(time()) >= {start} < {start + 3 * 3600}"
    promql_parser.parse(note["expr"])
    assert "2026-12-05T02:00:00Z" in note["textFormat"]


def test_about_panel_lists_members_and_maintenance_as_escaped_text():
    row = _row(_boards()["grafana/journeys.json"], "checkout:")
    (about,) = [panel for panel in row if panel["type"] == "text" and panel["title"].startswith("About")]
    html = about["options"]["content"]
    assert "shop-latency × 1.5 (no data: bad)" in html
    assert "weekly: every sunday at 02:00 Europe/Berlin time for 2h" in html
    assert "<b>" not in html and "&lt;b&gt;" in html


# -- docs ---------------------------------------------------------------------------------------------------


def _page(service: str) -> str:
    return docs.emit(composite_spec.program())[f"docs/{service}.md"]


def _section(page: str, slo: str, heading: str) -> str:
    """The text of `### heading` within `## SLO slo`."""
    body = page.split(f"## SLO {slo}\n", 1)[1].split("\n## ", 1)[0]
    return body.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]


def test_docs_goldens(golden):
    for path, text in sorted(docs.emit(composite_spec.program()).items()):
        golden(path.replace("docs/", "docs/composite/", 1), text)


def test_docs_list_members_with_links_weights_and_what_their_objectives_allow():
    members = _section(_page("journeys"), "checkout", "Members")
    assert "| [shop-availability](shop.md#slo-availability) | 1 | left out | 99.9% | 1 × 0.1% = 0.1% |" in members
    assert "| [shop-latency](shop.md#slo-latency) | 1.5 | counts as bad (1) for the time it has no series (once gone 5 minutes, from when it went); left out while idle | 99% | 1.5 × 1% = 1.5% |" in members
    # 0.1% + 1.5% = 1.6%, exactly, within the 2% budget.
    assert "may fail 1.6% of journeys together, against the composite's error budget of 2%, so" in members


def test_docs_say_when_members_promise_less_than_the_composite():
    import dataclasses

    program = composite_spec.program()
    journeys = program.services[0] if program.services[0].name == "journeys" else program.services[1]
    checkout = next(slo for slo in journeys.slos if slo.name == "checkout")
    strict = dataclasses.replace(checkout, objective=checkout.objective + checkout.error_budget / 2)  # 99% budget 1%
    view = docs.docs_composite.members_view(strict, program)
    assert "may fail 1.6% of journeys together, against the composite's error budget of 1%, more than" in view["summary"]


def test_docs_explain_worst_in_burn_rates():
    members = _section(_page("journeys"), "browse", "Members")
    assert "the composite sees it at its objective as" in members
    assert "| 2 | left out | 99.9% | burn rate 2 |" in members
    assert "aggregate = worst" in members


def test_docs_composite_page_shows_its_recorded_ratio_not_a_raw_query():
    queries_ = _section(_page("journeys"), "checkout", "Queries")
    assert 'slo:sli_error:ratio_rate5m{slo_id="journeys-checkout"}' in queries_
    assert "None" not in queries_
    assert 'slo:sli_error:ratio_rate10m{slo_id="journeys-always-up"}' in _section(_page("journeys"), "always-up", "Queries")


def test_docs_composite_of_slices_says_a_slice_is_bad_when_any_members_is():
    page = _page("journeys")
    section = page.split("## SLO always-up\n", 1)[1].split("\n## ", 1)[0]
    assert "a slice is bad when any member's slice is bad" in section
    assert "mean of the slices' SLIs" not in section
    assert "99% of 10m slices are good" in section


def test_docs_escape_a_composites_description():
    section = _page("journeys").split("## SLO checkout\n", 1)[1]
    assert '\\<b\\>{{ $labels }}\\</b\\>' in section.split("\n\n", 2)[0]


def test_docs_maintenance_windows_in_words_with_utc_and_local_times_and_no_next_occurrence():
    windows = _section(_page("journeys"), "browse", "Maintenance windows")
    assert "| weekly | every sunday at 02:00 Europe/Berlin (local clock time, across daylight saving changes) | 2h |" in windows
    assert "| nightly | every day at 23:30 America/New\\_York" in windows and "| 1h30m |" in windows
    assert ("| freeze | once, from 2026-12-24T08:00:00Z to 2026-12-25T08:00:00Z; local time 2026-12-24 09:00 CET"
            " (Europe/Berlin) to 2026-12-25 09:00 CET (Europe/Berlin) | 1d |") in windows
    assert "| db-upgrade | once, from 2026-12-05T02:00:00Z to 2026-12-05T05:00:00Z | 3h |" in windows
    assert "next occurrence is not written here" in windows
    assert "### Maintenance windows" not in _page("shop")


# -- policy -------------------------------------------------------------------------------------------------


def _policies() -> dict[str, dict]:
    from test_policy import validate  # the schema check: every file must pass it

    return {path: validate(text) for path, text in policy.emit(composite_spec.program()).items()}


def _slo(data: dict, name: str) -> dict:
    return next(slo for slo in data["slos"] if slo["name"] == name)


def test_policy_goldens(golden):
    for path, text in sorted(policy.emit(composite_spec.program()).items()):
        golden(path.replace("policies/", "policy/composite/", 1), text)


def test_policy_lists_members_on_the_composite_and_composites_on_each_member():
    files = _policies()
    journeys, shop = files["policies/journeys.yaml"], files["policies/shop.yaml"]
    checkout = _slo(journeys, "checkout")
    assert checkout["composite"] == {"aggregate": "sum", "members": [
        {"id": "shop-availability", "service": "shop", "weight": 1, "when_no_data": "skip"},
        {"id": "shop-latency", "service": "shop", "weight": Decimal("1.5"), "when_no_data": "bad"}]}
    assert _slo(journeys, "browse")["composite"]["aggregate"] == "worst"
    # Another service's file names the composites a member belongs to: a gate on shop-availability finds both.
    assert _slo(shop, "availability")["member_of"] == ["journeys-browse", "journeys-checkout"]
    assert _slo(shop, "latency")["member_of"] == ["journeys-checkout"]
    assert checkout["member_of"] == ["journeys-browse"] and _slo(shop, "availability")["composite"] is None


def test_policy_maintenance_windows_are_data():
    browse = _slo(_policies()["policies/journeys.yaml"], "browse")
    windows = {window["name"]: window for window in browse["maintenance"]}
    assert [w["name"] for w in browse["maintenance"]] == ["db-upgrade", "weekly", "nightly", "freeze"]
    assert windows["db-upgrade"]["scope"] == "service" and windows["nightly"]["scope"] == "slo"
    assert windows["db-upgrade"]["start"] == {"unix": 1796436000, "utc": "2026-12-05T02:00:00Z"}
    assert windows["db-upgrade"]["end"] == {"unix": 1796446800, "utc": "2026-12-05T05:00:00Z"}
    assert windows["db-upgrade"]["every"] is None and windows["db-upgrade"]["cron"] is None
    weekly = windows["weekly"]
    assert (weekly["kind"], weekly["every"], weekly["at"], weekly["timezone"], weekly["cron"], weekly["start"]) == (
        "recurring", "sunday", "02:00", "Europe/Berlin", "0 2 * * 0", None)
    assert weekly["duration"] == {"seconds": 7200, "text": "2h"}
    assert _slo(_policies()["policies/shop.yaml"], "availability")["maintenance"] == []


GROUPED = """service shop {
  owner = "o"
  slo payments {
    objective = 99%
    group_by  = [region]
    indicator ratio { errors = `pay_total{ok="no"}`  total = `pay_total` }
  }
}
service journeys {
  owner = "o"
  slo pay { objective = 99%  composite { shop-payments { weight = 2 } } }
}
"""


def test_a_grouped_members_line_adds_its_groups_up_as_the_rules_do(tmp_path):
    """One line per member, whose stack top is the composite: not one per region, nor the worst region."""
    from slocompiler.workflow.compile import load as load_specs

    (tmp_path / "g.slo").write_text(GROUPED, encoding="utf-8")
    board = load(grafana.emit(load_specs([str(tmp_path / "g.slo")]).program)["grafana/journeys.json"])
    (members,) = [panel for panel in _row(board, "pay:") if panel["title"] == "Members"]
    [target] = members["targets"]
    assert target["expr"] == (
        '2 * (sum without (region) (slo:sli_events_bad:rate5m{slo_id="shop-payments"}) / '
        'sum without (region) (slo:sli_events_total:rate5m{slo_id="shop-payments"}))')
    promql_parser.parse(target["expr"])
