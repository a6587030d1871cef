"""`slo import` keeps label names that are `.slo` keywords, and Kubernetes label names with a prefix."""

from __future__ import annotations

from pathlib import Path

from interop_helpers import compile_texts, convert_files

from slocompiler.emit import TARGETS
from slocompiler.lang.parse import parse
from slocompiler.lang.syntax import KEYWORDS
from slocompiler.workflow.compile import load

WORDS = sorted(KEYWORDS)
K8S = {"app.kubernetes.io/name": "shop", "app.kubernetes.io/part-of": "store", "example.com/team": "web",
       "prometheus": "k8s", "slo": "yes"}


def yaml_map(pairs: dict[str, str], indent: str) -> str:
    return "".join(f'{indent}"{k}": "{v}"\n' for k, v in pairs.items())


def keyword_labels(prefix: str) -> dict[str, str]:
    """A label named by each keyword (after a plain one, so every keyword follows another pair)."""
    return {"team": prefix, **{word: f"{prefix}-{word}" for word in WORDS}}


def imported(tmp_path: Path, tool: str, text: str):
    """(program, diagnostics, texts): the input imported, each `.slo` text parsed, checked and lowered."""
    (tmp_path / "input.yaml").write_text(text)
    texts, diagnostics = convert_files(tool, [str(tmp_path / "input.yaml")])
    for name, slo_text in texts.items():
        tree, problems = parse(slo_text, f"{name}.slo")
        assert tree is not None and problems == [], problems
    return compile_texts(tmp_path / "specs", texts), diagnostics, texts


SLOTH = f"""\
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: shop
  namespace: monitoring
  labels:
{yaml_map({**K8S, "not a label!": "x"}, "    ")}\
spec:
  service: shop
  labels:
{yaml_map({**keyword_labels("svc"), "app.kubernetes.io/name": "shop"}, "    ")}\
  slos:
    - name: api
      objective: 99.9
      labels:
{yaml_map(keyword_labels("slo"), "        ")}\
      sli:
        events:
          errorQuery: sum(rate(e_total[{{{{.window}}}}]))
          totalQuery: sum(rate(t_total[{{{{.window}}}}]))
      alerting:
        name: ShopApi
        labels:
{yaml_map(keyword_labels("alert"), "          ")}\
        annotations:
{yaml_map(keyword_labels("note"), "          ")}\
        pageAlert:
          labels:
{yaml_map(keyword_labels("page"), "            ")}\
"""


def test_sloth_keeps_keyword_label_names_everywhere_and_prefixed_kubernetes_labels(tmp_path):
    program, diagnostics, _ = imported(tmp_path, "sloth", SLOTH)
    service = program.services[0]
    slo = service.slos[0]
    assert dict(service.labels) == keyword_labels("svc")
    assert dict(slo.labels) == {**keyword_labels("svc"), **keyword_labels("slo")}
    assert dict(slo.alerting.labels) == keyword_labels("alert")
    assert dict(slo.alerting.annotations) == keyword_labels("note")
    assert {k: v for k, v in slo.alerting.conditions[0].labels if k != "team"} == \
        {k: v for k, v in {**keyword_labels("alert"), **keyword_labels("page")}.items() if k != "team"}
    assert dict(service.kubernetes_labels) == K8S
    assert [d.message for d in diagnostics if "dropped" in d.message] == [
        'metadata.labels "not a label!" is not a valid Kubernetes label name and is dropped',
        'labels "app.kubernetes.io/name" is not a Prometheus label name (letters, digits and _, '
        "not starting with a digit) and is dropped",
    ]


PYRRA = f"""\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api
  namespace: shop
  labels:
{yaml_map({**K8S, **{f"pyrra.dev/{w}": w + "-1" for w in WORDS}, "pyrra.dev/a.b": "x"}, "    ")}\
spec:
  target: "99.5"
  window: 4w
  indicator:
    ratio:
      errors:
        metric: http_requests_total{{code=~"5.."}}
      total:
        metric: http_requests_total
"""


def test_pyrra_keeps_keyword_rule_labels_and_prefixed_kubernetes_labels(tmp_path):
    program, diagnostics, texts = imported(tmp_path, "pyrra", PYRRA)
    service = program.services[0]
    assert dict(service.slos[0].labels) == {w: w + "-1" for w in WORDS}
    assert dict(service.kubernetes_labels) == K8S
    assert '"app.kubernetes.io/name"' in texts["shop"]  # quoted: no bare name spells it
    assert [d.message for d in diagnostics if "dropped" in d.message] == [
        'metadata.labels "pyrra.dev/a.b": "a.b" is not a Prometheus label name (letters, digits and _, '
        "not starting with a digit) and is dropped"]


def pairs(values: dict[str, str]) -> str:
    return " ".join(f'{k if "/" not in k and "." not in k else chr(34) + k + chr(34)} = "{v}"' for k, v in values.items())


OURS = f"""\
service shop {{
  owner = "team-shop"
  kubernetes {{ namespace = "monitoring" labels {{ {pairs(K8S)} }} }}
  labels {{ {pairs(keyword_labels("svc"))} }}
  slo api {{
    objective = 99.9%
    indicator ratio {{
      errors = `e_total`
      total = `t_total`
    }}
    alerting {{
      labels {{ {pairs(keyword_labels("alert"))} }}
      annotations {{ {pairs(keyword_labels("note"))} }}
      page {{ burn = 14.4 long = 1h labels {{ {pairs(keyword_labels("page"))} }} }}
    }}
  }}
}}
"""


def test_openslo_round_trip_keeps_keyword_label_names_and_prefixed_kubernetes_labels(tmp_path):
    """Ours -> OpenSLO -> import -> `.slo` text -> the same labels everywhere."""
    (tmp_path / "shop.slo").write_text(OURS)
    original = load([str(tmp_path / "shop.slo")]).program
    assert original is not None
    (tmp_path / "openslo").mkdir()
    for path, text in TARGETS["openslo"](original).items():
        (tmp_path / path).write_text(text)
    program, diagnostics, _ = imported(tmp_path, "openslo", (tmp_path / "openslo" / "shop.yaml").read_text())
    assert diagnostics == []
    before, after = original.services[0], program.services[0]
    assert after.labels == before.labels
    assert dict(after.kubernetes_labels) == dict(before.kubernetes_labels) == K8S
    old, new = before.slos[0].alerting, after.slos[0].alerting
    assert (new.labels, new.annotations, new.conditions[0].labels) == (old.labels, old.annotations, old.conditions[0].labels)
