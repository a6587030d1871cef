"""Composite SLOs and maintenance windows through `--target openslo` and `slo import openslo`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from interop_helpers import compile_texts, convert_files

from slocompiler.core.ir import CompositeIndicator
from slocompiler.emit import TARGETS
from slocompiler.workflow.compile import load

RATIO = 'indicator ratio { errors = `sum(rate(http_requests_total{code=~"5.."}[$window]))` ' \
        'total = `sum(rate(http_requests_total[$window]))` }'
JOURNEY = f"""\
service checkout {{
  owner = "team-shop"
  maintenance db-upgrade {{ from = "2026-12-05T02:00:00Z" for = 3h }}
  maintenance weekly {{ every = sunday at = "02:00" for = 2h timezone = "Europe/Berlin" }}
  slo availability {{
    objective = 99.9%
    {RATIO}
  }}
  slo latency {{
    objective = 99%
    maintenance nightly {{ every = day at = "03:30" for = 30m }}
    {RATIO}
  }}
  slo journey {{
    objective = 99.5%
    composite {{
      checkout-availability {{ weight = 1 }}
      checkout-latency {{ weight = 0.25 when_no_data = bad }}
      payments-api {{ weight = 2 }}
      aggregate = worst
    }}
  }}
}}
"""
PAYMENTS = f"""\
service payments {{
  owner = "team-pay"
  slo api {{
    objective = 99.95%
    {RATIO}
  }}
}}
"""


def _program(tmp_path: Path, name: str = "specs"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "checkout.slo").write_text(JOURNEY)
    (folder / "payments.slo").write_text(PAYMENTS)
    loaded = load([str(folder)])
    assert loaded.program is not None, loaded.diagnostics
    return loaded.program


def _exported(tmp_path: Path) -> list[str]:
    out = tmp_path / "openslo"
    out.mkdir()
    for path, text in TARGETS["openslo"](_program(tmp_path)).items():
        (tmp_path / path).write_text(text)
    return sorted(str(p) for p in out.iterdir())


def _shape(program):
    """What a composite and its maintenance windows are, by SLO id."""
    found = {}
    for service in program.services:
        found[service.name] = tuple((m.name, m.start, m.every, m.at, m.duration, m.timezone) for m in service.maintenance)
        for slo in service.slos:
            composite = slo.indicator if isinstance(slo.indicator, CompositeIndicator) else None
            found[slo.id] = (slo.objective, slo.window, composite and composite.aggregate,
                             composite and tuple((m.slo_id, m.weight, m.when_no_data) for m in composite.members),
                             tuple((m.name, m.start, m.every, m.at, m.duration, m.timezone) for m in slo.maintenance))
    return found


def test_a_composite_exports_as_objectives_with_weights_and_indicator_refs(tmp_path):
    files = TARGETS["openslo"](_program(tmp_path))
    documents = list(yaml.safe_load_all(files["openslo/checkout.yaml"]))
    journey = next(d for d in documents if d["metadata"]["name"] == "checkout-journey")
    assert "indicator" not in journey["spec"]
    assert journey["spec"]["objectives"] == [
        {"displayName": "checkout-availability", "target": 0.999, "indicatorRef": "checkout-availability-sli",
         "compositeWeight": 1},
        {"displayName": "checkout-latency", "target": 0.99, "indicatorRef": "checkout-latency-sli",
         "compositeWeight": 0.25},
        {"displayName": "payments-api", "target": 0.9995, "indicatorRef": "payments-api-sli", "compositeWeight": 2},
    ]
    notes = journey["metadata"]["annotations"]
    assert notes["slocompiler.dev/composite-objective"] == "0.995"
    assert notes["slocompiler.dev/composite-aggregate"] == "worst"
    assert notes["slocompiler.dev/when-no-data"] == '{"checkout-latency": "bad"}'
    # OpenSLO v1 has no maintenance windows: they travel as annotations, the service's on the Service.
    service = documents[0]["metadata"]["annotations"]["slocompiler.dev/maintenance"]
    assert '"every": "sunday", "at": "02:00", "timezone": "Europe/Berlin", "for": "2h"' in service
    latency = next(d for d in documents if d["metadata"]["name"] == "checkout-latency")
    assert latency["metadata"]["annotations"]["slocompiler.dev/maintenance"] == (
        '[{"name": "nightly", "every": "day", "at": "03:30", "timezone": "UTC", "for": "30m"}]')


def test_export_then_import_gives_back_the_same_composites_and_maintenance_windows(tmp_path):
    texts, diagnostics = convert_files("openslo", _exported(tmp_path))
    assert diagnostics == []
    program = compile_texts(tmp_path / "imported", texts)
    assert _shape(program) == _shape(_program(tmp_path, "again"))
    assert "checkout-latency      { weight = 0.25 when_no_data = bad }" in texts["checkout"]


def test_composite_export_and_import_match_golden(tmp_path, golden):
    paths = _exported(tmp_path)
    golden("openslo/composite/checkout.yaml", Path(paths[0]).read_text().split("\n", 1)[1])  # less its header
    texts, _ = convert_files("openslo", paths)
    # .txt: every .slo under tests/ is built by test_fmt, and not every backend builds composites yet.
    golden("openslo/composite/imported-checkout.slo.txt", texts["checkout"].split("\n", 1)[1])


THEIRS = """\
apiVersion: openslo/v1
kind: SLI
metadata:
  name: search-requests
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: search_requests_total{code=~"5.."}
    total:
      metricSource:
        type: Prometheus
        spec:
          query: search_requests_total
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: journey
spec:
  service: shop
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: search
      target: 0.999
      compositeWeight: 2
      indicatorRef: search-requests
    - displayName: Cart
      targetPercent: 99.5
      whenDelayed: CountAsBad
      indicator:
        metadata:
          name: cart
        spec:
          ratioMetric:
            counter: true
            good:
              metricSource:
                type: Prometheus
                spec:
                  query: cart_requests_total{code!~"5.."}
            total:
              metricSource:
                type: Prometheus
                spec:
                  query: cart_requests_total
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: journey-burn
      spec:
        conditions:
          - kind: AlertCondition
            metadata:
              name: fast
            spec:
              severity: page
              condition:
                kind: burnrate
                threshold: 14.4
                lookbackWindow: 1h
"""


def _theirs(tmp_path: Path, text: str = THEIRS):
    path = tmp_path / "journey.yaml"
    path.write_text(text)
    texts, diagnostics = convert_files("openslo", [str(path)])
    lines = text.splitlines()

    def at(fragment: str) -> int:
        return next(n for n, line in enumerate(lines, 1) if fragment in line)

    found: dict[tuple[int, int], str] = {}
    for d in diagnostics:  # two at one place are joined
        found[(d.span.line, d.span.column)] = " | ".join(filter(None, (found.get((d.span.line, d.span.column)), d.message)))
    return texts, found, at


def test_an_openslo_composite_gets_member_slos_of_its_own_and_a_derived_objective(tmp_path, golden):
    texts, found, at = _theirs(tmp_path)
    golden("openslo/composite/imported-theirs.slo.txt", texts["shop"].split("\n", 1)[1])  # less its header
    program = compile_texts(tmp_path / "imported", texts)
    slos = {slo.id: slo for slo in program.services[0].slos}
    journey = slos["shop-journey"]
    assert [(m.slo_id, m.weight, m.when_no_data) for m in journey.indicator.members] == [
        ("shop-journey-search", Decimal(2), "skip"), ("shop-journey-cart", Decimal(1), "bad")]
    # 100% - (2 x 0.1% + 1 x 0.5%): what the members' targets support together, said where the objectives are.
    assert journey.objective == Decimal("0.993")
    assert "composite journey has no target of its own in OpenSLO: objective = 99.3%" in found[(at("- displayName: search"), 5)]
    # Another tool's weights may be shares of an average: .slo's add up, which the warning says.
    assert "the compositeWeight values of composite journey add up to 3: .slo adds" in found[(at("- displayName: search"), 5)]
    search, cart = slos["shop-journey-search"], slos["shop-journey-cart"]
    assert (search.objective, search.window, search.alerting.enabled) == (Decimal("0.999"), 28 * 86400, False)
    assert cart.indicator.good.text == 'cart_requests_total{code!~"5.."}' and cart.objective == Decimal("0.995")
    assert [c.burn for c in journey.alerting.conditions] == [Decimal("14.4")]


def test_what_a_composite_cannot_carry_is_a_located_warning(tmp_path):
    text = THEIRS.replace("      whenDelayed: CountAsBad\n", "      whenDelayed: Later\n      op: gte\n")
    texts, found, at = _theirs(tmp_path, text)
    assert found[(at("whenDelayed"), 20)] == 'whenDelayed "Later" is none of CountAsGood, CountAsBad, Ignore; dropped'
    assert found[(at("op: gte"), 7)] == "objectives[].op has no counterpart on a composite's member and is dropped"
    assert "shop-journey-cart   { weight = 1 }" in texts["shop"]


def test_a_composite_with_an_indicator_of_its_own_is_left_out_with_a_warning(tmp_path):
    text = THEIRS.replace("  service: shop\n", "  service: shop\n  indicatorRef: search-requests\n")
    texts, found, at = _theirs(tmp_path, text)
    assert found[(at("  indicatorRef: search-requests"), 3)].startswith(
        "slo journey has objectives with an indicator of their own (a composite) and an indicator for the whole SLO")
    assert "\n  slo " not in texts["shop"]


def test_a_bad_weight_leaves_the_composite_out(tmp_path):
    texts, found, at = _theirs(tmp_path, THEIRS.replace("compositeWeight: 2", "compositeWeight: -1"))
    assert found[(at("compositeWeight"), 24)] == \
        'compositeWeight "-1" is not a decimal number above 0; the composite is not imported'
    assert "\n  slo " not in texts["shop"]


DATADOG_MEMBER = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: search
spec:
  service: shop
  indicator:
    metadata:
      name: search-requests
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Datadog
            spec:
              query: sum:search.ok{*}
        total:
          metricSource:
            type: Datadog
            spec:
              query: sum:search.all{*}
  objectives:
    - target: 0.999
---
"""


def test_a_member_that_is_not_imported_takes_the_composite_with_it(tmp_path):
    # The member is the SLI of another SLO document, and that SLO is not imported (a Datadog query).
    text = DATADOG_MEMBER + THEIRS.split("---\n", 1)[1]
    texts, found, at = _theirs(tmp_path, text)
    assert found[(at("indicatorRef: search-requests"), 21)] == (
        "the member of composite journey named here is not imported (see its warnings); the composite is not imported")
    # Nor is the member SLO made for it (cart): nothing is left of the composite.
    assert "\n  slo " not in texts["shop"]


def test_a_nobl9_budget_adjustment_is_skipped_with_a_warning_saying_what_to_write(tmp_path):
    adjustment = "apiVersion: n9/v1alpha\nkind: BudgetAdjustment\nmetadata:\n  name: weekly\nspec:\n" \
                 "  firstEventStart: 2026-12-06T02:00:00Z\n  duration: 2h\n  rrule: FREQ=WEEKLY\n---\n"
    texts, found, at = _theirs(tmp_path, adjustment + THEIRS)
    assert found[(2, 1)].startswith("a BudgetAdjustment (Nobl9) is not read: write its window in the .slo file as "
                                    "maintenance NAME")
    assert "slo journey {" in texts["shop"]


def test_a_member_slo_check_refuses_takes_its_composites_with_it_named_in_the_warning(tmp_path):
    # Composites of composites round trip; when slo check refuses a member, what uses it goes too.
    paths = _exported(tmp_path)
    checkout = Path(paths[0])
    text = checkout.read_text()
    # The first query is checkout-availability's (a block scalar): one promql-parser refuses.
    broken = text.replace('sum(rate(http_requests_total{code=~"5.."}[30d]))', "sum(rate(x[30d]) by (", 1)
    assert broken != text
    checkout.write_text(broken)
    texts, diagnostics = convert_files("openslo", paths)
    messages = [d.message for d in diagnostics]
    assert any(m.startswith("slo journey is not imported: slo check would refuse its composite: unknown SLO")
               for m in messages), messages
    assert "slo journey {" not in texts["checkout"] and "slo latency {" in texts["checkout"]


def test_a_maintenance_annotation_slo_check_would_refuse_is_dropped_with_a_warning_not_the_service(tmp_path):
    paths = _exported(tmp_path)
    checkout = Path(paths[0])
    text = checkout.read_text()
    broken = text.replace('\\"at\\": \\"02:00\\"', '\\"at\\": \\"25:00\\"', 1)
    assert broken != text
    checkout.write_text(broken)
    texts, diagnostics = convert_files("openslo", paths)
    lines = broken.splitlines()
    line = next(n for n, found in enumerate(lines, 1) if "25:00" in found)
    assert [(d.span.line, d.message) for d in diagnostics] == [
        (line, "annotation slocompiler.dev/maintenance is not a list of windows with name and for (as slo build "
               "--target openslo writes it); dropped")]
    assert "maintenance weekly" not in texts["checkout"] and "slo journey {" in texts["checkout"]


SEARCH_SLO = """\
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: search-availability
spec:
  service: search
  indicatorRef: search-requests
  objectives:
    - target: {target}
"""


def test_an_sli_one_slo_of_that_target_names_makes_that_slo_the_member(tmp_path):
    # search-availability (service search) measures search-requests at 99.9%, the composite's target for it.
    texts, found, at = _theirs(tmp_path, THEIRS + SEARCH_SLO.format(target="0.999"))
    # Its id: service search, slo availability (the service's prefix comes off the name).
    assert "search-availability { weight = 2 }" in texts["shop"] and "slo availability {" in texts["search"]
    assert "slo journey-search" not in texts["shop"]
    # At another target, it is not that SLO: the composite gets a member of its own.
    other = tmp_path / "other"
    other.mkdir()
    texts, found, at = _theirs(other, THEIRS + SEARCH_SLO.format(target="0.99"))
    assert "shop-journey-search { weight = 2 }" in texts["shop"].replace("  ", " ")


def test_a_weight_keeps_every_digit_it_was_written_with(tmp_path):
    texts, _, _ = _theirs(tmp_path, THEIRS.replace("compositeWeight: 2", "compositeWeight: 2.0000000000001"))
    assert "shop-journey-search { weight = 2.0000000000001 }" in texts["shop"]


def test_a_members_indicatorref_that_is_not_a_name_is_refused_once_where_it_is_written(tmp_path):
    # Review: the composite read indicatorRef only as a plain string, the SLI lookup as whatever it was
    # (a map became 'no SLI named "{...}"'); now one reading, one located error.
    text = THEIRS.replace("      indicatorRef: search-requests\n", "      indicatorRef: {name: search-requests}\n")
    texts, found, at = _theirs(tmp_path, text)
    line = at("indicatorRef: {name")
    messages = [m for (ln, _), m in found.items() if ln == line]
    assert messages and "a reference to a SLI is its name, a plain string" in messages[0]
    assert not any("no SLI named" in m for m in found.values())
    assert "slo journey {" not in texts.get("shop", "")
