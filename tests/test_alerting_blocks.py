"""What migrating teams' specs need: pages/tickets labels, NoData settings, named alerting blocks, Kubernetes metadata."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import yaml

from slocompiler.core import conventions as c
from slocompiler.emit import kubernetes, prometheus
from slocompiler.emit.rules import rules_yaml
from slocompiler.workflow.compile import load

RATIO = 'indicator ratio { errors = `e_total{job="x", code="5"}` total = `e_total{job="x"}` }'


def compile_files(tmp_path: Path, files: dict[str, str], inputs: tuple[str, ...] = ("x.slo",)):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    loaded = load([str(tmp_path / name) for name in inputs])
    errors = [d for d in loaded.diagnostics if d.severity == "error"]
    return loaded.program, errors


def program_of(tmp_path: Path, text: str, **more: str):
    program, errors = compile_files(tmp_path, {"x.slo": text, **more})
    assert not errors, errors
    return program


def error_texts(tmp_path: Path, text: str) -> list[str]:
    _, errors = compile_files(tmp_path, {"x.slo": text})
    return [f"{d.span.line}: {d.message}" for d in errors]


def alerts(service) -> list[dict]:
    groups = yaml.safe_load(rules_yaml(service))["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


SEVERITY_WIDE = f"""
service shop {{
  owner = "t"
  alerting {{
    pages {{ labels {{ severity = "critical" routing = "pager" }} annotations {{ playbook = "p" }} }}
    tickets {{ labels {{ routing = "queue" }} }}
  }}
  slo api {{
    objective = 99.9%
    {RATIO}
    alerting {{
      page   {{ burn = 14.4 long = 1h labels {{ routing = "own" }} }}
      ticket {{ burn = 1 long = 1d }}
    }}
  }}
}}
"""


def test_pages_and_tickets_labels_reach_every_alert_of_that_severity_condition_labels_winning(tmp_path):
    service = program_of(tmp_path, SEVERITY_WIDE).services[0]
    page, ticket, no_data = alerts(service)
    assert page["labels"]["routing"] == "own"  # the condition's own label wins
    assert page["labels"][c.LABEL_SEVERITY] == "critical"
    assert page["annotations"]["playbook"] == "p"
    assert ticket["labels"]["routing"] == "queue" and ticket["labels"][c.LABEL_SEVERITY] == "ticket"
    assert "playbook" not in ticket["annotations"]
    # The NoData ticket is a ticket too.
    assert no_data["labels"]["routing"] == "queue"


def test_a_page_with_an_overridden_severity_still_says_it_is_a_page(tmp_path):
    service = program_of(tmp_path, SEVERITY_WIDE).services[0]
    page, ticket, _ = alerts(service)
    assert page["labels"][c.LABEL_ALERT_CLASS] == "page"
    # Only where severity was overridden: other alerts keep the labels they always had.
    assert c.LABEL_ALERT_CLASS not in ticket["labels"]


def no_data_spec(block: str, indicator: str = RATIO) -> str:
    return f'service shop {{ owner = "t" slo api {{ objective = 99% {indicator} alerting {{ {block} }} }} }}'


def test_no_data_block_sets_name_severity_for_and_watches_the_raw_total(tmp_path):
    text = no_data_spec('no_data { for = 10m name = "ShopApiAbsent" severity = page watch = total }')
    service = program_of(tmp_path, text).services[0]
    alerting = service.slos[0].alerting
    assert (alerting.no_data, alerting.no_data_name, alerting.no_data_severity, alerting.no_data_watch) == (
        600, "ShopApiAbsent", "page", "total")
    rule = alerts(service)[-1]
    assert rule["alert"] == "ShopApiAbsent"
    assert rule["for"] == "10m"
    assert rule["labels"][c.LABEL_SEVERITY] == "page"
    assert rule["expr"] == 'absent(sum(e_total{job="x"}))'


def test_no_data_watching_a_latency_histogram_reads_its_inf_bucket(tmp_path):
    latency = 'indicator latency { histogram = `h_bucket{job="x"}` threshold = 300ms }'
    service = program_of(tmp_path, no_data_spec("no_data { watch = total severity = ticket }", latency)).services[0]
    rule = alerts(service)[-1]
    assert rule["expr"] == 'absent(sum(h_bucket{job="x", le="+Inf"}))'
    assert rule["alert"] == "ShopApiErrorBudgetBurnNoData" and rule["for"] == "15m"
    assert rule["labels"][c.LABEL_SEVERITY] == "ticket"


def test_no_data_defaults_are_unchanged(tmp_path):
    service = program_of(tmp_path, no_data_spec("")).services[0]
    rule = alerts(service)[-1]
    assert rule["expr"] == 'absent(slo:sli_error:ratio_rate5m{slo_id="shop-api"})'
    assert rule["labels"][c.LABEL_SEVERITY] == "ticket"


def test_no_data_errors(tmp_path):
    expr = "indicator expr { error_ratio = `r[$window]` }"
    assert error_texts(tmp_path, no_data_spec("no_data { watch = total }", expr)) == [
        "1: an expr indicator has no total series to watch; use watch = ratio, or a ratio or latency indicator"]
    assert error_texts(tmp_path, no_data_spec('no_data { severity = "critical" }')) == [
        '1: no_data severity is "page" or "ticket", not "critical"']
    assert error_texts(tmp_path, no_data_spec("no_data = 5m no_data { for = 10m }")) == [
        "1: set no_data either as a value or as a block, not both"]
    assert error_texts(tmp_path, no_data_spec("no_data { watch = raw }"))[0].startswith("1: no_data watch is ratio")


def test_generated_tests_pass_in_promtool_with_the_new_settings(tmp_path, promtool):
    text = SEVERITY_WIDE.replace("alerting {\n      page", 'alerting {\n      no_data { severity = "page" watch = total }\n      page')
    service = program_of(tmp_path, text).services[0]
    assert alerts(service)[-1]["labels"][c.LABEL_SEVERITY] == "critical"  # a page: the pages labels
    files = prometheus.emit(load([str(tmp_path / "x.slo")]).program)
    for path, body in files.items():
        (tmp_path / path.split("/")[1]).write_text(body)
    result = subprocess.run([promtool, "test", "rules", "shop.test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


COMMON = """
alerting four-window {
  name = "FourWindow"
  pages { labels { severity = "critical" } }
  page   { burn = 14.4 long = 1h short = 5m }
  page   { burn = 6    long = 6h short = 30m }
  ticket { burn = 3    long = 1d short = 2h }
  ticket { burn = 1    long = 3d short = 6h }
}
kubernetes { namespace = "monitoring" labels { prometheus = "k8s" role = "alert-rules" } }
"""


def test_a_named_alerting_block_is_imported_and_used_by_a_service_and_overridden_by_an_slo(tmp_path):
    text = f"""
import "common.slo"
service shop {{
  owner = "t"
  alerting {{ use = four-window labels {{ team = "shop" }} }}
  slo api {{ objective = 99.9% {RATIO} }}
  slo web {{ objective = 99% {RATIO} alerting {{ name = "WebBurn" }} }}
  slo own {{ objective = 99% {RATIO} alerting {{ page {{ burn = 10 long = 1h }} }} }}
}}
"""
    api, web, own = program_of(tmp_path, text, **{"common.slo": COMMON}).services[0].slos
    assert [(k.severity, k.burn, k.long) for k in api.alerting.conditions] == [
        ("page", Decimal("14.4"), 3600), ("page", Decimal("6"), 21600),
        ("ticket", Decimal("3"), 86400), ("ticket", Decimal("1"), 259200)]
    assert api.alerting.name == "FourWindow" and dict(api.alerting.labels) == {"team": "shop"}
    assert dict(api.alerting.conditions[0].labels) == {"severity": "critical"}
    assert web.alerting.name == "WebBurn" and len(web.alerting.conditions) == 4
    # Conditions at SLO level replace the used ones; the pages labels still apply.
    assert [(k.burn, dict(k.labels)) for k in own.alerting.conditions] == [(Decimal("10"), {"severity": "critical"})]


def test_an_slo_can_use_a_named_block_and_unknown_names_are_errors(tmp_path):
    text = f'import "common.slo"\nservice shop {{ owner = "t" slo api {{ objective = 99% {RATIO} alerting {{ use = four-window }} }} }}'
    slo = program_of(tmp_path, text, **{"common.slo": COMMON}).services[0].slos[0]
    assert len(slo.alerting.conditions) == 4
    text = f'service shop {{ owner = "t" slo api {{ objective = 99% {RATIO} alerting {{ use = fourwindow }} }} }}'
    (tmp_path / "common.slo").unlink()
    assert error_texts(tmp_path, text) == ['1: unknown alerting block "fourwindow"']


def test_kubernetes_metadata_from_the_file_default_and_the_service(tmp_path):
    text = f"""
import "common.slo"
service shop {{ owner = "t" slo api {{ objective = 99% {RATIO} }} }}
service web {{
  owner = "t"
  kubernetes {{ namespace = "web" labels {{ role = "web-rules" }} }}
  slo api {{ objective = 99% {RATIO} }}
}}
"""
    shop, web = program_of(tmp_path, text, **{"common.slo": COMMON}).services
    assert shop.kubernetes_namespace == "monitoring"
    assert dict(shop.kubernetes_labels) == {"prometheus": "k8s", "role": "alert-rules"}
    assert web.kubernetes_namespace == "web"
    assert dict(web.kubernetes_labels) == {"prometheus": "k8s", "role": "web-rules"}
    resource = yaml.safe_load(kubernetes.resource_yaml(web))
    assert resource["metadata"]["namespace"] == "web"
    assert resource["metadata"]["labels"] == {
        "prometheus": "k8s", "role": "web-rules", "app.kubernetes.io/managed-by": "slocompiler", "slo_service": "web"}


def test_without_kubernetes_settings_the_resource_has_no_namespace(tmp_path):
    service = program_of(tmp_path, no_data_spec("")).services[0]
    assert "namespace" not in yaml.safe_load(kubernetes.resource_yaml(service))["metadata"]


def test_kubernetes_errors(tmp_path):
    bad = f'service shop {{ owner = "t" kubernetes {{ namespace = "Not_Valid" }} slo api {{ objective = 99% {RATIO} }} }}'
    assert error_texts(tmp_path, bad) == ['1: "Not_Valid" is not a valid Kubernetes namespace: lower-case letters, digits and -, at most 63']
    assert error_texts(tmp_path, 'kubernete { namespace = "x" }\n' + no_data_spec("")) == [
        '1: unknown block "kubernete" at the top of a file; did you mean "kubernetes"?']


def test_named_blocks_and_defaults_are_checked_even_when_unused(tmp_path):
    text = 'alerting unused { page { burn = 1 } }\nkubernetes { namespace = "x" bogus = 1 }\n'
    assert error_texts(tmp_path, text) == ['1: page condition needs "long", the long window (like 1h)',
                                           '2: unknown attribute "bogus" in kubernetes']


def test_a_named_block_cannot_use_another(tmp_path):
    text = f'alerting a {{ use = b }}\nalerting b {{ page {{ burn = 1 long = 1h }} }}\n' + no_data_spec("use = a")
    assert error_texts(tmp_path, text) == ['1: a named alerting block cannot use another ("b"); '
                                           "write its conditions here, or use it directly"]


def test_fmt_keeps_the_new_blocks_and_is_stable(tmp_path):
    from slocompiler.fmt.format import format_text

    once = format_text(COMMON + SEVERITY_WIDE.replace("alerting {\n      page", "alerting {\n      no_data { watch = total }\n      page"), "x.slo")
    assert format_text(once, "x.slo") == once
    assert "alerting four-window {" in once and "kubernetes {" in once and "no_data { watch = total }" in once


def test_misplaced_settings_say_where_they_belong(tmp_path):
    text = no_data_spec('pages { severity = "x" } no_data { labels { a = "b" } }').replace(
        "objective = 99%", 'objective = 99% kubernetes { namespace = "x" }')
    assert error_texts(tmp_path, text) == [
        "1: kubernetes { } belongs to the service (or the top of a file), not to an SLO: all of a service's rules are one PrometheusRule",
        '1: pages holds only labels { } and annotations { }, not "severity"',
        '1: no_data has no "labels" block; its labels and annotations are those of pages { } or tickets { }, by its severity',
    ]


PROJECT_TABLE = """
[tool.slocompiler]
specs = "specs"
output = "out"

[tool.slocompiler.kubernetes]
namespace = "monitoring"
labels = { prometheus = "k8s", role = "alert-rules" }
"""


def _build_kubernetes(project: Path, monkeypatch) -> tuple[int, str]:
    from click.testing import CliRunner

    from slocompiler.cli import cli

    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["build", "--target", "kubernetes"])
    return result.exit_code, result.output


def test_the_project_table_is_the_kubernetes_default_under_the_file_and_the_service(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(PROJECT_TABLE)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "plain.slo").write_text(f'service plain {{ owner = "t" slo api {{ objective = 99% {RATIO} }} }}\n')
    (tmp_path / "specs" / "team.slo").write_text(f"""
kubernetes {{ labels {{ role = "team-rules" }} }}
service team {{ owner = "t" slo api {{ objective = 99% {RATIO} }} }}
service own {{
  owner = "t"
  kubernetes {{ namespace = "own" labels {{ tier = "gold" }} }}
  slo api {{ objective = 99% {RATIO} }}
}}
""")
    code, output = _build_kubernetes(tmp_path, monkeypatch)
    assert code == 0, output
    metadata = {name: yaml.safe_load((tmp_path / "out" / "kubernetes" / f"{name}.yaml").read_text())["metadata"]
                for name in ("plain", "team", "own")}
    ours = {"app.kubernetes.io/managed-by": "slocompiler"}
    assert metadata["plain"]["namespace"] == "monitoring"
    assert metadata["plain"]["labels"] == {"prometheus": "k8s", "role": "alert-rules", **ours, "slo_service": "plain"}
    # The file's top-level block wins over the project's, the service's own over both.
    assert metadata["team"]["namespace"] == "monitoring"
    assert metadata["team"]["labels"] == {"prometheus": "k8s", "role": "team-rules", **ours, "slo_service": "team"}
    assert metadata["own"]["namespace"] == "own"
    assert metadata["own"]["labels"] == {"prometheus": "k8s", "role": "team-rules", "tier": "gold", **ours, "slo_service": "own"}


def test_a_bad_project_kubernetes_table_is_a_usage_error(tmp_path, monkeypatch):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "plain.slo").write_text(f'service plain {{ owner = "t" slo api {{ objective = 99% {RATIO} }} }}\n')
    for table, message in (
        ('namespace = "Not_Valid"', "namespace 'Not_Valid' is not a valid Kubernetes namespace"),
        ('labels = { role = "-x" }', "labels: '-x' is not a valid Kubernetes label value"),
        ('namespaces = "x"', "[tool.slocompiler.kubernetes] has unknown key(s) namespaces; valid: namespace, labels"),
    ):
        (tmp_path / "pyproject.toml").write_text(f"[tool.slocompiler]\n[tool.slocompiler.kubernetes]\n{table}\n")
        code, output = _build_kubernetes(tmp_path, monkeypatch)
        assert code == 2 and message in output, output
