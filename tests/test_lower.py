"""What specs mean: defaults, inheritance, templates, imports, exact decimals."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from slocompiler.core.errors import Span
from slocompiler.core.ir import LatencyIndicator, RatioIndicator
from slocompiler.workflow.compile import load

SPECS = Path(__file__).resolve().parent.parent / "specs"


def compile_text(tmp_path: Path, text: str, name: str = "x.slo"):
    (tmp_path / name).write_text(text)
    loaded = load([str(tmp_path / name)])
    assert loaded.program is not None, loaded.diagnostics
    return loaded.program


@pytest.fixture(scope="module")
def example():
    loaded = load([str(SPECS)])
    assert loaded.program is not None, loaded.diagnostics
    return {slo.id: (service, slo) for service in loaded.program.services for slo in service.slos}


def test_defaults_window_conditions_and_short(example) -> None:
    _, slo = example["checkout-availability"]
    assert slo.window == 30 * 86400
    assert [(c.severity, c.burn, c.long, c.short, c.min_failures) for c in slo.alerting.conditions] == [
        ("page", Decimal("14.4"), 3600, 300, 10),
        ("page", Decimal("6"), 21600, 1800, 10),
        ("ticket", Decimal("1"), 259200, 21600, 0),
    ]
    assert slo.alerting.name == "CheckoutAvailabilityErrorBudgetBurn"
    # checkout is `tier = critical`: no data is a page after 5m, watching the raw total too.
    assert (slo.alerting.no_data, slo.alerting.no_data_severity, slo.alerting.no_data_watch) == (300, "page", "both")


def test_budget_conditions_scale_to_a_28_day_window(example) -> None:
    _, slo = example["checkout-latency"]
    assert [c.burn for c in slo.alerting.conditions] == [Decimal("13.44"), Decimal("1")]
    assert slo.alerting.name == "CheckoutSlow"


def test_exact_decimals(example) -> None:
    _, slo = example["checkout-availability"]
    assert slo.objective == Decimal("0.999")
    assert slo.error_budget == Decimal("0.001")
    assert str(slo.error_budget) == "0.001"


def test_template_expansion_substitutes_parameters_and_defaults(example) -> None:
    service, slo = example["checkout-cart-api"]
    assert slo.template == "http_availability"
    assert slo.objective == Decimal("0.995")
    assert slo.description == "HTTP requests to cart that do not fail with a 5xx"
    assert isinstance(slo.indicator, RatioIndicator)
    assert slo.indicator.errors.text == 'http_requests_total{job="cart", code=~"5.."}'
    assert slo.indicator.errors.is_selector
    assert slo.span == Span(str(SPECS / "checkout.slo"), 42, 7)
    _, search = example["search-availability"]
    assert search.objective == Decimal("0.999")  # the parameter's default


def test_latency_threshold_becomes_shortest_le(example) -> None:
    _, slo = example["search-latency"]
    assert isinstance(slo.indicator, LatencyIndicator)
    assert slo.indicator.le == "0.25"
    assert example["admin-console-latency"][1].indicator.le == "1"


def test_service_labels_and_alerting_are_inherited(example) -> None:
    service, slo = example["billing-worker-processing"]
    assert dict(slo.labels) == {"team": "billing", "component": "worker"}
    assert [(c.severity, c.for_) for c in slo.alerting.conditions] == [("page", 120), ("ticket", None)]
    assert dict(slo.alerting.annotations) == {"playbook": "Check the dead-letter queue first"}


def test_slo_conditions_replace_inherited_ones_and_labels_merge(example) -> None:
    _, slo = example["billing-worker-freshness"]
    assert [(c.severity, c.burn, c.long, c.short) for c in slo.alerting.conditions] == [
        ("page", Decimal("10"), 1800, 300),
        ("ticket", Decimal("2"), 21600, 1800),
    ]
    assert dict(slo.alerting.labels) == {"team": "billing-oncall"}
    assert dict(slo.alerting.conditions[1].labels) == {"severity": "low"}
    assert dict(slo.alerting.annotations) == {"playbook": "Check the dead-letter queue first"}
    assert slo.alerting.no_data == 1800


def test_expression_keeps_window_placeholder(example) -> None:
    _, slo = example["billing-worker-processing"]
    assert "$window" in slo.indicator.good.text
    assert not slo.indicator.good.is_selector


def test_policy_is_resolved_through_import(example) -> None:
    service, _ = example["checkout-availability"]
    assert service.policy.name == "standard"
    assert [(r.metric, r.op, r.value, r.over) for r in service.policy.rules] == [
        ("budget_remaining", "<", Decimal("0.5"), None),
        ("budget_remaining", "<=", Decimal("0"), None),
        ("burn_rate", ">", Decimal("2"), 7 * 86400),
    ]


def test_services_of_an_imported_file_compile_only_when_it_is_an_input(tmp_path) -> None:
    (tmp_path / "lib.slo").write_text(
        'service lib {\n  owner = "t"\n  slo a {\n    objective = 99%\n'
        "    indicator ratio {\n      errors = `e`\n      total = `t`\n    }\n  }\n}\n"
        'policy p {\n  when budget_remaining < 10% { action = "x" }\n}\n'
    )
    program = compile_text(tmp_path, 'import "lib.slo"\nservice app {\n  owner = "t"\n  policy = p\n}\n', "app.slo")
    assert [s.name for s in program.services] == ["app"]
    both = load([str(tmp_path)])
    assert [s.name for s in both.program.services] == ["app", "lib"]


def test_dollar_dollar_is_a_literal_dollar(tmp_path) -> None:
    program = compile_text(tmp_path, 'service s {\n  owner = "t"\n  description = "costs $$5, see $${x}"\n}\n')
    assert program.services[0].description == "costs $5, see ${x}"


def test_service_alerting_disabled_is_inherited(tmp_path) -> None:
    program = compile_text(
        tmp_path,
        'service s {\n  owner = "t"\n  alerting { enabled = false }\n  slo a {\n    objective = 99%\n'
        "    indicator expr { error_ratio = `rate(e[$window])` }\n  }\n}\n",
    )
    assert program.services[0].slos[0].alerting.enabled is False


@pytest.mark.parametrize("window", ["1d", "2d", "7d", "14d", "28d", "90d", "365d"])
def test_default_conditions_need_no_warning_at_any_window(tmp_path, window) -> None:
    """The defaults' 0.9333x ticket (below 28d) is no warning; only a ticket written below 1x is."""
    (tmp_path / "x.slo").write_text(f"""
service shop {{
  owner = "team"
  slo api {{
    objective = 99.9%
    window    = {window}
    indicator ratio {{
      errors = `e_total`
      total  = `t_total`
    }}
  }}
}}
""")
    loaded = load([str(tmp_path / "x.slo")])
    assert loaded.program is not None and loaded.diagnostics == [], [str(d) for d in loaded.diagnostics]
    slo = loaded.program.services[0].slos[0]
    assert all(c.long <= slo.window for c in slo.alerting.conditions)


def test_keywords_are_label_names_anywhere_in_a_block(tmp_path) -> None:
    """`page`, `ticket`, `when`... after another pair used to be read as keywords: a syntax error."""
    program = compile_text(tmp_path, (
        'service s {\n  owner = "o"\n  labels { team = "x" page = "y" ticket = "z" when = "w" true = "t" }\n'
        '  slo a {\n    objective = 99%\n    indicator ratio {\n      errors = `e_total`\n      total = `t_total`\n    }\n'
        '    alerting { page { burn = 14.4 long = 1h labels { a = "b" page = "q" } } }\n  }\n}\n'))
    service = program.services[0]
    assert dict(service.labels) == {"team": "x", "page": "y", "ticket": "z", "when": "w", "true": "t"}
    assert dict(service.slos[0].alerting.conditions[0].labels) == {"a": "b", "page": "q"}
