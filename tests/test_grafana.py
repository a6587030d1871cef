"""Grafana backend: dashboards load in the foundation SDK, query only recorded series, stay text-safe."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
from decimal import Decimal

import calendar_spec
import composite_spec
import pytest
import sample_ir
from grafana_helpers import load, matcher_values, panels, queries, recorded, selectors, spec_program

from slocompiler.core import conventions as c
from slocompiler.core import timebase
from slocompiler.core.ir import ExprIndicator, ThresholdIndicator
from slocompiler.core.slices import current_window
from slocompiler.core.units import decimal_text
from slocompiler.emit import grafana
from slocompiler.emit import grafana_panels as gp
from slocompiler.emit.rules import rules_files

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


@pytest.fixture(params=["sample", "specs", "calendar", "composite"])
def program(request):
    if request.param == "composite":  # composites and maintenance windows (issue 25)
        return composite_spec.program()
    if request.param == "calendar":  # calendar SLOs of every kind: their "so far" panels, a week's weekStart
        return calendar_spec.program()
    return sample_ir.program() if request.param == "sample" else spec_program()


def boards(program) -> dict[str, dict]:
    return {path: load(text) for path, text in grafana.emit(program).items()}


def test_paths_one_per_service_and_the_overview(program):
    expected = {f"grafana/{s.name}.json" for s in program.services} | {"grafana/slo-overview.json"}
    assert set(grafana.emit(program)) == expected


def test_every_dashboard_loads_in_the_foundation_sdk(program):
    try:
        import grafana_foundation_sdk  # noqa: F401  (a test dependency: pip install grafana-foundation-sdk)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("grafana-foundation-sdk is required in CI")
        pytest.skip("grafana-foundation-sdk not installed")
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.cog.plugins import register_default_plugins
    from grafana_foundation_sdk.models import prometheus, stat, statetimeline, table, text, timeseries
    from grafana_foundation_sdk.models.dashboard import Dashboard, RowPanel

    register_default_plugins()
    options = {"stat": stat.Options, "timeseries": timeseries.Options, "state-timeline": statetimeline.Options,
               "text": text.Options, "table": table.Options}
    for path, text_ in grafana.emit(program).items():
        raw = json.loads(text_)
        model = Dashboard.from_json(raw)
        assert model.uid == raw["uid"] and model.schema_version == grafana.SCHEMA_VERSION
        for panel in model.panels:
            if isinstance(panel, RowPanel):
                continue
            assert isinstance(panel.options, options[panel.type_val]), (path, panel.title)
            for target in panel.targets or []:
                assert isinstance(target, prometheus.Dataquery), (path, panel.title)
        # Everything we wrote survives the SDK's model: no key it does not know, no value it changes.
        back = json.loads(json.dumps(model, cls=JSONEncoder))
        assert [lost for lost in _lost(raw, back) if not _grafana_annotation_key(lost)] == [], path


# The SDK models annotation targets as the built-in tag query only, and a Prometheus annotation
# by its `expr` alone; Grafana reads these too (its own migration writes time regions so).
_ANNOTATION_KEYS = re.compile(
    r"^\.annotations\.list\[\d+\]\.(target\.(queryType|refId|timeRegion)|step|titleFormat|textFormat|useValueForTime)$")


def _grafana_annotation_key(path: str) -> bool:
    return bool(_ANNOTATION_KEYS.match(path))


def _lost(ours: object, sdk: object, path: str = "") -> list[str]:
    if isinstance(ours, dict):
        if not isinstance(sdk, dict):
            return [path]
        return [p for key in ours for p in (_lost(ours[key], sdk[key], f"{path}.{key}") if key in sdk else [f"{path}.{key}"])]
    if isinstance(ours, list):
        if not isinstance(sdk, list) or len(ours) != len(sdk):
            return [path]
        return [p for i, (a, b) in enumerate(zip(ours, sdk)) for p in _lost(a, b, f"{path}[{i}]")]
    return [] if ours == sdk else [f"{path}: {ours!r} != {sdk!r}"]


def test_every_query_parses_with_promql_parser(program):
    count = 0
    for path, board in boards(program).items():
        for where, expr in queries(board):
            assert selectors(expr), f"{path} {where}: no series in {expr}"
            count += 1
    assert count >= 7 * sum(len(s.slos) for s in program.services)


def _check_recorded(program, records: set[tuple[str, str]], alerting: set[str]) -> int:
    checked = 0
    for service in program.services:
        ids = {slo.id for slo in service.slos}
        # A composite's Members panel reads its members' ratios, whichever service they belong to.
        ids |= {m.slo_id for slo in service.slos if slo.is_composite for m in slo.indicator.members}
        board = load(grafana.emit(program)[f"grafana/{service.name}.json"])
        for where, expr in queries(board):
            for selector in selectors(expr):
                op, slo_id = matcher_values(selector)[c.LABEL_SLO_ID]
                if op == "MatchOp.Re":
                    in_query = set(slo_id.split("|"))
                else:
                    in_query = {slo_id}
                assert in_query <= ids, f"{service.name} {where}: queries another service's SLO {slo_id}"
                for one in in_query:
                    if selector.name == c.ALERTS_SERIES:
                        assert one in alerting, f"{where}: {one} has no alerting rules"
                    else:
                        assert (selector.name, one) in records, f"{where}: {selector.name} is not recorded for {one}"
                    checked += 1
    overview = load(grafana.emit(program)[c.GRAFANA_OVERVIEW_PATH])
    by_service = {s.name: {slo.id for slo in s.slos} for s in program.services}
    for where, expr in queries(overview):
        for selector in selectors(expr):
            service = matcher_values(selector)[c.LABEL_SERVICE][1]
            for slo_id in by_service[service]:
                if selector.name == c.ALERTS_SERIES:
                    continue  # an SLO without alerts just counts zero
                assert (selector.name, slo_id) in records, f"overview {where}: {selector.name} not recorded for {slo_id}"
                checked += 1
    return checked


def test_every_queried_series_is_recorded_by_the_prometheus_backend(program):
    texts = list(rules_files(program).values())
    assert len(texts) == len(program.services)
    records, alerting = recorded(texts)
    assert _check_recorded(program, records, alerting) > 0


def test_every_queried_series_is_named_in_conventions(program):
    # The names OUTPUTS.md promises, whatever the Prometheus backend does today.
    records = set()
    for service in program.services:
        for slo in service.slos:
            names = [c.OBJECTIVE, c.ERROR_BUDGET, c.CURRENT_BURN_RATE, c.PERIOD_BURN_RATE, c.BUDGET_REMAINING,
                     c.error_ratio_rule(c.CURRENT_BURN_WINDOW), c.window_ratio_rule(slo),
                     # a slice SLO's current window: one slice when longer than 5m (core.slices)
                     c.error_ratio_rule(current_window(slo))]
            # A calendar SLO's window ratio is `slo:sli_error:ratio_period` (LANGUAGE.md, "Calendar windows").
            # "for each W the alerts use"
            names += [c.error_ratio_rule(cond.long) for cond in slo.alerting.conditions]
            # Our helper series, which Traffic and Data read: the event rates, or an `expr` SLO's known ratio.
            if slo.slices is not None:  # and a slice SLO's last slice and hourly counts, which Slices and Data read
                names += [c.SLICE_ERROR, c.SLICES_BAD_HOUR, c.SLICES_COUNTED_HOUR]
            if isinstance(slo.indicator, ExprIndicator) or slo.is_composite:  # a composite counts no events either
                names.append(c.known_ratio_rule(c.CURRENT_BURN_WINDOW))
            elif not slo.is_composite:  # a composite counts no events of its own
                names += [c.EVENTS_TOTAL_PREFIX + "5m", c.EVENTS_BAD_PREFIX + "5m"]
            records |= {(name, slo.id) for name in names}
    alerting = {slo.id for s in program.services for slo in s.slos if slo.alerting.enabled}
    assert _check_recorded(program, records, alerting) > 0


def test_datasource_is_a_variable_never_a_hard_coded_uid(program):
    for path, board in boards(program).items():
        variables = board["templating"]["list"]
        assert variables[0] == {**variables[0], "name": "datasource", "type": "datasource", "query": "prometheus"}
        uids: list[object] = []

        def walk(node: object) -> None:
            if isinstance(node, dict):
                if "datasource" in node:
                    assert node["datasource"] == DATASOURCE, path
                uids.extend(v for k, v in node.items() if k == "uid")
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(board["panels"])
        walk(variables)
        assert set(uids) <= {"${datasource}"}, path
        for panel in panels(board):
            if panel["type"] not in ("row", "text"):
                assert panel["datasource"] == DATASOURCE and panel["targets"], (path, panel["title"])


def test_identity_tags_time_range_and_schema_version(program):
    for service in program.services:
        board = load(grafana.emit(program)[f"grafana/{service.name}.json"])
        assert board["uid"] == grafana.dashboard_uid(service.name)
        assert board["title"] == f"{service.name} SLOs"
        assert board["tags"] == sorted({"slo", service.name, service.tier})
        longest = max(slo.window for slo in service.slos)
        assert board["time"] == {"from": f"now-{longest // 86400}d", "to": "now"}
        assert board["schemaVersion"] == grafana.SCHEMA_VERSION >= 39
        assert f"from {service.source}, do not edit" in board["description"]


def test_uid_is_the_service_name_until_40_characters_then_hashed():
    assert grafana.dashboard_uid("checkout") == "slo-checkout"
    name36 = "a" * 36
    assert grafana.dashboard_uid(name36) == "slo-" + name36
    long_a, long_b = "b" * 37, "b" * 36 + "c"
    uid_a, uid_b = grafana.dashboard_uid(long_a), grafana.dashboard_uid(long_b)
    assert len(uid_a) == len(uid_b) == 40 and uid_a != uid_b
    assert uid_a == grafana.dashboard_uid(long_a)  # deterministic
    assert re.fullmatch(r"slo-b{25}-[0-9a-f]{10}", uid_a)
    assert grafana.dashboard_uid("overview") != c.GRAFANA_OVERVIEW_UID


def test_default_time_range_is_the_longest_window():
    program = sample_ir.program()
    service = program.services[0]
    short = dataclasses.replace(service, slos=tuple(dataclasses.replace(s, window=7 * 86400) for s in service.slos))
    board = grafana.service_dashboard(short)
    assert board["time"]["from"] == "now-7d"


def _slo_panels(board: dict, slo_name: str) -> list[dict]:
    """The panels of one SLO's row: from its row header to the next."""
    found, inside = [], False
    for panel in board["panels"]:
        if panel["type"] == "row":
            inside = panel["title"].startswith(slo_name + ":")
        elif inside:
            found.append(panel)
    return found


def test_each_slo_row_has_its_views(program):
    for service in program.services:
        board = load(grafana.emit(program)[f"grafana/{service.name}.json"])
        rows = [p["title"].split(":")[0] for p in board["panels"] if p["type"] == "row"]
        assert rows == [slo.name for slo in service.slos]
        for slo in service.slos:
            kinds = sorted((p["title"], p["type"]) for p in _slo_panels(board, slo.name))
            expected = [(f"About {slo.name}", "text"), ("Error budget remaining", "stat"),
                        ("SLI against the objective", "timeseries"), ("Error budget remaining over time", "timeseries"),
                        ("Burn rate", "timeseries"), ("Data", "state-timeline"),
                        # An `expr` indicator counts no events: its Traffic panel says so instead.
                        ("Traffic", "text" if isinstance(slo.indicator, ExprIndicator) else "timeseries")]
            if slo.is_composite:  # no events of its own: its members' contributions instead, slices or not
                expected = [k for k in expected if k[0] != "Traffic"] + [("Members", "timeseries")]
            elif slo.slices is not None:  # good and bad slices; an expr slice SLO's Slices takes Traffic's place
                expected = [k for k in expected if k[0] != "Traffic" or k[1] == "timeseries"] + [("Slices", "timeseries")]
            if slo.calendar is not None:  # this period so far: budget and SLI since the start, the budget's course
                so_far = f"this calendar {slo.calendar} so far ({slo.timezone})"
                expected = [k for k in expected if not k[0].startswith("Error budget remaining")] + [
                    (f"Error budget remaining {timebase.THIS_PERIOD[slo.calendar]}", "stat"),
                    (f"SLI {so_far}", "stat"), (f"Error budget remaining over time, {so_far}", "timeseries")]
            assert kinds == sorted(expected + ([("Alerts", "state-timeline")] if slo.alerting.enabled else []))
        ids = [p["id"] for p in board["panels"]]
        assert ids == list(range(1, len(ids) + 1))
        # No two panels overlap on the grid.
        cells = set()
        for p in board["panels"]:
            g = p["gridPos"]
            mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
            assert not cells & mine and g["x"] + g["w"] <= 24
            cells |= mine


def test_sli_panel_plots_one_minus_error_ratio_against_the_objective():
    board = load(grafana.emit(sample_ir.program())["grafana/checkout.json"])
    sli = next(p for p in _slo_panels(board, "availability") if p["title"] == "SLI against the objective")
    exprs = [t["expr"] for t in sli["targets"]]
    assert exprs == [
        # The worst 5m ratio within each step: at a 30d range a step is about an hour.
        '1 - max_over_time(slo:sli_error:ratio_rate5m{slo_id="checkout-availability"}[$__rate_interval])',
        '1 - slo:sli_error:ratio_rate30d{slo_id="checkout-availability"}',
        'slo:objective:ratio{slo_id="checkout-availability"}',
    ]
    assert sli["fieldConfig"]["defaults"]["unit"] == "percentunit"


def test_burn_rate_thresholds_are_each_conditions_burn(program):
    for service in program.services:
        board = load(grafana.emit(program)[f"grafana/{service.name}.json"])
        for slo in service.slos:
            burn = next(p for p in _slo_panels(board, slo.name) if p["title"] == "Burn rate")
            steps = burn["fieldConfig"]["defaults"]["thresholds"]["steps"]
            assert steps[0]["value"] is None
            shown = [str(step["value"]) for step in steps[1:]]
            wanted = sorted({Decimal(decimal_text(cond.burn)) for cond in slo.alerting.conditions}) if slo.alerting.enabled else []
            assert shown == [decimal_text(b) for b in wanted]
            colours = {str(s["value"]): s["color"] for s in steps[1:]}
            for cond in slo.alerting.conditions if slo.alerting.enabled else ():
                if cond.severity == "page":
                    assert colours[decimal_text(cond.burn)] == "red"


def test_28d_burn_rates_are_exact_text():
    text = grafana.emit(sample_ir.program())["grafana/checkout.json"]
    assert '"value": 0.933333333333' in text and '"value": 13.44' in text and '"value": 5.6' in text


def test_numbers_never_use_exponents_or_float_noise():
    program = sample_ir.program()
    service = program.services[0]
    tight = dataclasses.replace(service.slos[0], objective=Decimal("0.99999"))
    program = dataclasses.replace(program, services=(dataclasses.replace(service, slos=(tight,)),))
    literals: list[str] = []
    for text in grafana.emit(program).values():
        json.loads(text, parse_float=lambda s: literals.append(s) or Decimal(s))
        assert not re.search(r"\d\.\d*0000000", text)
    assert literals and not [s for s in literals if "e" in s.lower()]


def test_printer_matches_json_dumps_layout():
    value = {"b": [1, {"z": None, "a": True}], "a": "x\"<>\n{{ }}", "c": {}, "d": [], "e": "é"}
    assert grafana.dump(value) == json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert grafana.dump({"n": Decimal("0.00001")}) == '{\n  "n": 0.00001\n}\n'


NASTY = 'Say "hi"\nthen <script>alert(1)</script> {{ x }} ${datasource} $__user # | : `code`'


def test_spec_text_stays_text():
    program = sample_ir.program()
    service = program.services[0]
    slo = dataclasses.replace(service.slos[0], description=NASTY)
    service = dataclasses.replace(service, description=NASTY, owner=NASTY, oncall="javascript:alert(1)", slos=(slo,))
    program = dataclasses.replace(program, services=(service,))
    text = grafana.emit(program)["grafana/checkout.json"]
    board = load(text)
    assert board["description"].startswith(NASTY + "\n\n")
    about = next(p for p in board["panels"] if p["type"] == "text")
    content = about["options"]["content"]
    assert about["options"]["mode"] == "html"
    assert "<script" not in content and "$" not in content and "javascript:alert(1)</a>" not in content
    assert 'href="javascript' not in content
    unsafe = grafana.service_dashboard(dataclasses.replace(service, runbook="javascript:alert(1)"))
    assert [link["title"] for link in unsafe["links"]] == ["SLO dashboards", "SLO overview"]
    shown = html.unescape(re.sub(r"<br>\n", "\n", content))
    assert NASTY in shown
    # Nothing from the spec reached a query, a title or a variable.
    for panel in panels(board):
        assert "<script" not in json.dumps(panel.get("targets", []), default=str) and "script" not in panel["title"]


def test_group_by_gets_a_variable_and_every_grouped_query_uses_it():
    program = sample_ir.program()
    board = load(grafana.emit(program)["grafana/checkout.json"])
    variables = {v["name"]: v for v in board["templating"]["list"]}
    route = variables["route"]
    assert route["type"] == "query" and route["multi"] and route["includeAll"] and route["datasource"] == DATASOURCE
    assert route["query"] == 'label_values(slo:sli_error:ratio_rate5m{slo_id="checkout-latency"}, route)'
    for panel in _slo_panels(board, "latency"):
        for target in panel.get("targets", []):
            if c.OBJECTIVE in target["expr"] and "1 -" not in target["expr"]:
                continue  # the objective is one line for every group
            assert 'route=~"${route}"' in target["expr"], (panel["title"], target["expr"])
            if panel["title"] != "Data":  # one line for the SLO: whether any selected group has data
                assert "{{route}}" in target["legendFormat"]
    for panel in _slo_panels(board, "availability"):
        assert "${route}" not in json.dumps(panel, default=str)


def test_group_variable_never_shadows_the_datasource():
    assert gp.group_variable("datasource") == "group_datasource" and gp.group_variable("route") == "route"


def test_alerts_panel_reads_alerts_firing_and_pending():
    board = load(grafana.emit(sample_ir.program())["grafana/checkout.json"])
    alerts = next(p for p in _slo_panels(board, "availability") if p["type"] == "state-timeline")
    expr = alerts["targets"][0]["expr"]
    # The worst state within each step, one line per alert name and severity,
    # whatever other labels (a window, a condition) the rules put on alerts.
    assert expr == (
        'max by (alertname, severity) ('
        '2 * max_over_time(ALERTS{slo_id="checkout-availability", alertstate="firing"}[$__rate_interval])'
        ' or max_over_time(ALERTS{slo_id="checkout-availability", alertstate="pending"}[$__rate_interval]))'
    )
    assert alerts["targets"][0]["legendFormat"] == "{{alertname}} {{severity}}"
    states = {matcher_values(s)[c.LABEL_ALERT_STATE][1] for s in selectors(expr)}
    assert states == {"firing", "pending"}
    mapped = alerts["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert mapped["2"]["text"] == "firing" and mapped["1"]["text"] == "pending"


def test_disabled_alerting_drops_the_alerts_panel():
    program = sample_ir.program()
    service = program.services[0]
    slo = service.slos[0]
    quiet = dataclasses.replace(slo, alerting=dataclasses.replace(slo.alerting, enabled=False))
    board = grafana.service_dashboard(dataclasses.replace(service, slos=(quiet,)))
    titles = [p["title"] for p in board["panels"]]
    assert "Alerts" not in titles and c.ALERTS_SERIES not in grafana.dump(board)
    burn = next(p for p in board["panels"] if p["title"] == "Burn rate")
    assert burn["fieldConfig"]["defaults"]["thresholds"]["steps"] == [{"color": "green", "value": None}]


def test_budget_colours_follow_the_policy_levels():
    board = load(grafana.emit(sample_ir.program())["grafana/checkout.json"])
    stat = next(p for p in board["panels"] if p["type"] == "stat")
    steps = stat["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [(s["color"], s["value"]) for s in steps] == [("red", None), ("orange", 0), ("green", Decimal("0.5"))]


def test_overview_lists_every_slo_sorted_by_budget_with_links(program):
    board = load(grafana.emit(program)[c.GRAFANA_OVERVIEW_PATH])
    assert board["uid"] == c.GRAFANA_OVERVIEW_UID
    (table,) = board["panels"]
    assert table["type"] == "table"
    names = {o["matcher"]["options"]: o["properties"][0]["value"] for o in table["fieldConfig"]["overrides"]
             if o["properties"][0]["id"] == "displayName"}
    assert set(names.values()) == {"Service", "SLO", "Objective", "Budget remaining", "Burn rate (5m)", "Firing alerts"}
    assert table["options"]["sortBy"] == [{"desc": False, "displayName": "Budget remaining"}]
    assert names["Value #B"] == "Budget remaining"
    budget = next(t for t in table["targets"] if t["refId"] == "B")
    assert c.BUDGET_REMAINING in budget["expr"]
    for target in table["targets"]:
        assert target["instant"] and target["format"] == "table"
        for service in program.services:
            assert f'"{grafana.UID_LABEL}", "{grafana.dashboard_uid(service.name)}"' in target["expr"]
            assert f'{c.LABEL_SERVICE}="{service.name}"' in target["expr"]
    link = table["fieldConfig"]["defaults"]["links"][0]["url"]
    assert link.startswith("/d/${__data.fields." + grafana.UID_LABEL + "}")


def test_service_dashboards_link_to_the_overview():
    board = load(grafana.emit(sample_ir.program())["grafana/checkout.json"])
    urls = [link.get("url") for link in board["links"]]
    assert f"/d/{c.GRAFANA_OVERVIEW_UID}" in urls and "https://runbooks.example.com/checkout" in urls


def test_no_services_no_dashboards():
    from slocompiler.core.ir import Program

    assert grafana.emit(Program(())) == {}


def test_burn_panel_draws_each_long_window_next_to_its_line(program):
    """One series per alert long window (burn = its recorded ratio / the budget), in its line's colour."""
    for service in program.services:
        board = load(grafana.emit(program)[f"grafana/{service.name}.json"])
        for slo in service.slos:
            burn = next(p for p in _slo_panels(board, slo.name) if p["title"] == "Burn rate")
            longs = {t["refId"]: t for t in burn["targets"] if t["refId"].startswith("L")}
            wanted = sorted({cond.long for cond in slo.alerting.conditions if cond.long != slo.window}) \
                if slo.alerting.enabled else []
            assert len(longs) == len(wanted)
            colours = {o["matcher"]["options"]: o["properties"][0]["value"]["fixedColor"]
                       for o in burn["fieldConfig"]["overrides"]}
            for (ref, t), long in zip(sorted(longs.items()), wanted):
                rule = c.error_ratio_rule(long)
                assert t["expr"].startswith(f"max_over_time({rule}{{slo_id=\"{slo.id}\"")
                assert t["expr"].endswith(f"[$__rate_interval]) / {decimal_text(slo.error_budget)}")
                severities = {cond.severity for cond in slo.alerting.conditions if cond.long == long}
                assert colours[ref] == ("red" if "page" in severities else "orange")
                for cond in slo.alerting.conditions:
                    if cond.long == long:
                        assert f"{cond.severity} above {decimal_text(cond.burn)}x" in t["legendFormat"]
            current = next(t for t in burn["targets"] if t["refId"] == "A")
            assert current["expr"].startswith(f"max_over_time({c.CURRENT_BURN_RATE}{{")


def test_series_read_over_a_step_are_recorded_at_least_once_a_minute(program):
    """`[$__rate_interval]` is 1m when zoomed in (four 15s scrapes): a series read so must be recorded that often.

    The period group runs every 2m; a series of it read over a step range
    would be empty every other step (a dashed line, "No data" in a stat).
    """
    import yaml


    slow = set()
    for text in rules_files(program).values():
        for group in yaml.safe_load(text)["groups"]:
            if "interval" in group:
                slow.update(rule["record"] for rule in group["rules"] if "record" in rule)
    assert c.BUDGET_REMAINING in slow
    checked = 0
    for path, text in grafana.emit(program).items():
        for panel in panels(load(text)):
            for target in panel.get("targets", []):
                for match in re.finditer(r"([\w:]+)\{(?:[^{}]|\$\{\w+\})*\}\[\$__rate_interval\]", target["expr"]):
                    assert match.group(1) not in slow, (path, panel["title"], target["expr"])
                    checked += 1
    assert checked


def test_no_short_lived_series_is_read_as_an_instant_value(program):
    """Over time, the 5m ratio and burn, the long windows and ALERTS are each read as the worst of the step."""
    fast = [c.error_ratio_rule(c.CURRENT_BURN_WINDOW), c.CURRENT_BURN_RATE, c.ALERTS_SERIES]
    fast += [c.error_ratio_rule(cond.long) for s in program.services for slo in s.slos for cond in slo.alerting.conditions
             if cond.long != slo.window]
    checked = 0
    for path, text in grafana.emit(program).items():
        for panel in panels(load(text)):
            for target in panel.get("targets", []):
                if target["instant"]:
                    continue  # a table of the state now, not a line over time
                expr = target["expr"]
                subquery = re.fullmatch(r"min_over_time\((\(.*\))\[\$__rate_interval:\]\)", expr)
                if subquery:
                    # Data: every instant of the step, at the evaluation interval, not the one at it.
                    checked += 1
                    continue
                for name in set(fast):
                    pattern = re.escape(name) + r"\{(?:[^{}]|\$\{\w+\})*\}(\[[^\]]*\])?"
                    for match in re.finditer(pattern, expr):
                        assert match.group(1) == "[$__rate_interval]", (path, panel["title"], target["expr"])
                        checked += 1
    assert checked


def test_traffic_and_data_panels_read_the_event_rates_or_the_ratio(program):
    for service in program.services:
        board = load(grafana.emit(program)[f"grafana/{service.name}.json"])
        for slo in service.slos:
            found = {p["title"]: p for p in _slo_panels(board, slo.name)}
            data = found["Data"]
            mapped = data["fieldConfig"]["defaults"]["mappings"][0]["options"]
            assert (mapped["0"]["text"], mapped["0"]["color"]) == ("missing", "red")
            assert mapped["2"]["text"] == "data" and mapped["1"]["text"].startswith("no events")
            expr = data["targets"][0]["expr"]
            assert expr.startswith("min_over_time((2 * group(") and expr.endswith(" or vector(0))[$__rate_interval:])")
            read = {s.name for s in selectors(expr)}
            if slo.is_composite:  # its own ratio, computed from its members': it records no events
                assert read == {c.error_ratio_rule(current_window(slo))} and "Traffic" not in found
                continue
            if slo.slices is not None:  # the last slice's ratio: NaN without events, absent without series
                assert read == {c.SLICE_ERROR}
                read = {c.EVENTS_TOTAL_PREFIX + "5m"}  # Traffic as for any SLO that counts events
            if isinstance(slo.indicator, ExprIndicator) or slo.is_composite:
                assert read == {c.known_ratio_rule(300), c.error_ratio_rule(300)}
                assert found["Traffic"]["type"] == "text" and "counts no events" in found["Traffic"]["options"]["content"]
            else:
                assert read == {c.EVENTS_TOTAL_PREFIX + "5m"}
                traffic = found["Traffic"]
                # A threshold SLO's events are its samples.
                unit = "count:samples/s" if isinstance(slo.indicator, ThresholdIndicator) else "count:events/s"
                assert traffic["fieldConfig"]["defaults"]["unit"] == unit
                names = [s.name for t in traffic["targets"] for s in selectors(t["expr"])]
                assert names == [c.EVENTS_TOTAL_PREFIX + "5m", c.EVENTS_BAD_PREFIX + "5m"]
                for target in traffic["targets"]:
                    for label in slo.group_by:  # one line per group, named by it
                        assert "{{" + label + "}}" in target["legendFormat"]
