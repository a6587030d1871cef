"""Hostile `.slo` files and imports (issue 23): PromQL that would exhaust promql-parser, comments and line
breaks inside PromQL, names no file can carry.

Resource cases run the real `slo` in a child with its address space capped
(RLIMIT_AS) and a timeout: a crash, a kill or a hang fails them, not only a
wrong message.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slocompiler.core import promql
from slocompiler.emit import TARGETS
from slocompiler.workflow.compile import load, render

MEMORY_CAP = 1 << 30  # 1 GiB: promql-parser took 5-8 GB on these before they were bounded
TIMEOUT = 120


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_capped(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`slo ARGS` in a child limited to MEMORY_CAP of address space."""
    return subprocess.run([sys.executable, "-m", "slocompiler", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, preexec_fn=_capped)


def expr_spec(error_ratio: str, service: str = "shop") -> str:
    """A spec whose only PromQL string, on line 6, is `error_ratio` as a raw string from column 22."""
    return (f'service {service} {{\n  owner = "t"\n  slo api {{\n    objective = 99%\n    indicator expr {{\n'
            f"      error_ratio = `{error_ratio}`\n    }}\n  }}\n}}\n")


EXHAUSTING = {
    # 20 KB of nested parentheses, and 10,000 terms: 5-8 GB and SIGSEGV before (issue 23, item 5).
    "parentheses": "(" * 10_000 + "rate(x[$window])" + ")" * 10_000,
    "plus terms": " + ".join(["rate(x[$window])"] * 10_000),
    "unary minus": "-" * 20_000 + "rate(x[$window])",
    "and keywords": " and ".join(["rate(x[$window])"] * 5_000),
    "function calls": "abs(" * 5_000 + "rate(x[$window])" + ")" * 5_000,
    "huge selector": "rate(x{" + ",".join(f'l{i}="v"' for i in range(20_000)) + "}[$window])",
}


@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize("shape", sorted(EXHAUSTING))
def test_promql_that_would_exhaust_the_parser_is_a_located_error_not_a_crash(tmp_path, shape, command):
    (tmp_path / "a.slo").write_text(expr_spec(EXHAUSTING[shape]))
    args = ["build", "a.slo", "-o", "out"] if command == "build" else ["check", "a.slo"]
    result = run_capped(*args, cwd=tmp_path)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    first = result.stderr.splitlines()[0]
    assert first.startswith("a.slo:6:") and ": error: the PromQL in error_ratio " in first, first
    assert "the most the compiler reads" in first
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_error_points_at_the_bracket_past_the_limit(tmp_path):
    depth = promql.MAX_NESTING + 1
    (tmp_path / "a.slo").write_text(expr_spec("(" * depth + "rate(x[$window])" + ")" * depth))
    loaded = load([str(tmp_path / "a.slo")])
    [error] = [d for d in loaded.diagnostics if d.is_error]
    # Column 22 is the first character of the string; the 65th bracket is 64 further on.
    assert (error.span.line, error.span.column) == (6, 22 + promql.MAX_NESTING)
    assert "nests brackets more than 64 deep" in error.message


def test_a_template_argument_that_makes_the_query_too_large_is_located_in_the_template(tmp_path):
    spec = ('service shop {\n  owner = "t"\n  slo api = t(q = "' + "x + " * 300 + 'x")\n}\n'
            'template t(q) {\n  objective = 99%\n  indicator expr {\n    error_ratio = `sum(rate(e[$window])) / ${q}`\n  }\n}\n')
    (tmp_path / "a.slo").write_text(spec)
    loaded = load([str(tmp_path / "a.slo")])
    [error] = [d for d in loaded.diagnostics if d.is_error]
    assert (error.span.line, error.span.column) == (8, 44)  # the ${q} that brought the operators in
    assert "has more than 256 operators" in error.message


@pytest.mark.parametrize("text", [
    "(" * promql.MAX_NESTING + "x" + ")" * promql.MAX_NESTING,
    " + ".join(["x"] * (promql.MAX_OPERATORS + 1)),
    " and ".join(["x"] * (promql.MAX_OPERATORS + 1)),
    "x{" + ",".join(f'l{i}!~"a+b-c"' for i in range(2000)) + "}",  # matchers are no operators
    'x{a="' + "(" * 5000 + "+" * 5000 + '"}',  # nor is anything in a string
    "x # " + "(" * 5000 + "+" * 5000 + "\n+ y",  # or in a comment
    "a" * promql.MAX_LENGTH,
])
def test_the_bounds_themselves_are_accepted(text):
    assert promql.limit_error(text) is None


@pytest.mark.parametrize("text", [
    "(" * (promql.MAX_NESTING + 1) + "x" + ")" * (promql.MAX_NESTING + 1),
    " + ".join(["x"] * (promql.MAX_OPERATORS + 2)),
    " unless ".join(["x"] * (promql.MAX_OPERATORS + 2)),
    "-" * (promql.MAX_OPERATORS + 1) + "x",
    'x{a="b"} + ' + '"\\"" + ' * (promql.MAX_OPERATORS + 1) + "x",  # escaped quotes do not end a string
    "x # c\r" + "+x" * (promql.MAX_OPERATORS + 1),  # a comment ends at a carriage return too
    "a" * (promql.MAX_LENGTH + 1),
])
def test_one_past_the_bounds_is_refused(text):
    error = promql.limit_error(text)
    assert error is not None and error.too_large


def test_promql_parser_at_the_bounds_stays_small_and_fast(tmp_path):
    # The worst shape within the bounds: every bracket open, every operator innermost.
    inner = " + ".join(["x"] * (promql.MAX_OPERATORS + 1))
    text = "abs(" * promql.MAX_NESTING + inner + ")" * promql.MAX_NESTING
    assert promql.limit_error(text) is None
    code = f"import promql_parser, json; promql_parser.parse(json.loads({json.dumps(json.dumps(text))}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=10,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (256 << 20, 256 << 20)))
    assert result.returncode == 0, result.stderr[-2000:]


def test_import_openslo_warns_at_the_query_and_leaves_the_slo_out(tmp_path):
    query = " + ".join(["rate(x[5m])"] * 2_000)
    document = {
        "apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": "api"},
        "spec": {"service": "shop", "budgetingMethod": "Occurrences",
                 "timeWindow": [{"duration": "30d", "isRolling": True}],
                 "objectives": [{"target": 0.99}],
                 "indicator": {"metadata": {"name": "i"}, "spec": {"ratioMetric": {
                     "counter": True,
                     "bad": {"metricSource": {"type": "Prometheus", "spec": {"query": query}}},
                     "total": {"metricSource": {"type": "Prometheus", "spec": {"query": "t_total"}}}}}}},
    }
    (tmp_path / "openslo.yaml").write_text(yaml.safe_dump(document, width=1 << 20, sort_keys=False))
    line = next(n for n, text in enumerate((tmp_path / "openslo.yaml").read_text().splitlines(), 1) if "rate(x" in text)
    result = run_capped("import", "openslo", "openslo.yaml", cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr[-2000:]
    assert f"openslo.yaml:{line}:" in result.stderr
    assert "this query has more than 256 operators" in result.stderr and "the SLO is not imported" in result.stderr
    assert "rate(x" not in result.stdout


# --- PromQL comments and line breaks (item 11) --------------------------------------------------------------------

# Every place a `#` comment can stand in PromQL, and `#` where it is no comment. The compiler wraps these
# selectors in rate(), adds `le` matchers, splices the expressions into longer ones: a comment kept in the
# text would swallow what follows it on its line.
COMMENTED = """\
service shop {
  owner = "t"
  slo ratio {
    objective = 99%
    indicator ratio {
      errors = `http_requests_total{code=~"5..", path="/a#b"} # server errors; not "}" nor ) nor $window`
      total  = `http_requests_total{ # every request
        job="shop", # this job's
      }`
    }
  }
  slo good {
    objective = 99%
    group_by = ["route"]
    indicator ratio {
      good  = `sum by (route) (rate(ok_total{job="shop"}[$window])) # the good ones`
      total = `
        # all of them
        sum by (route) (
          rate(all_total[$window]) # route by route
        )
      `
    }
  }
  slo latency {
    objective = 99%
    indicator latency {
      histogram = `http_duration_seconds_bucket{job="shop"} # the buckets`
      threshold = 300ms
    }
  }
  slo ratio-expr {
    objective = 99%
    indicator expr {
      error_ratio = `sum(rate(e_total[$window]))   # bad
        /	# a tab before this comment
        sum(rate(t_total[$window])) # all`
    }
  }
}
"""


def _build_everything(tmp_path: Path, spec: str, promtool: str, newline: str = "\n") -> dict[str, str]:
    """Check the spec (no error), build every target, and run promtool on the rules and their tests."""
    source = tmp_path / "shop.slo"
    source.write_bytes(spec.replace("\n", newline).encode())
    loaded = load([str(source)])
    assert loaded.program is not None and not [d for d in loaded.diagnostics if d.is_error], loaded.diagnostics
    files = render(loaded.program, tuple(TARGETS))
    out = tmp_path / "out"
    for relative, text in files.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(text, encoding="utf-8")
    for relative in files:
        if relative.endswith((".yml", ".yaml")):
            documents = list(yaml.safe_load_all(files[relative]))
            assert documents, relative
    [rules] = [path for path in files if path.endswith(".rules.yml")]
    checked = subprocess.run([promtool, "check", "rules", rules], cwd=out, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # One case per SLO: the made-up series and the checks are well-formed (replaying every case takes a minute).
    tests = out / rules.replace(".rules.yml", ".test.yml")
    document = yaml.safe_load(tests.read_text())
    document["tests"] = list({case["name"].split(":")[0]: case for case in reversed(document["tests"])}.values())
    tests.write_text(yaml.safe_dump(document))
    tested = subprocess.run([promtool, "test", "rules", tests.name], cwd=tests.parent, capture_output=True, text=True,
                            timeout=600)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    return files


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_promql_comments_build_rules_promtool_accepts(tmp_path, promtool, newline):
    files = _build_everything(tmp_path, COMMENTED, promtool, newline)
    rules = yaml.safe_load(files["prometheus/shop.rules.yml"])
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert any('path="/a#b"' in expr for expr in expressions)  # a `#` in a string is kept
    for text in files.values():
        for word in ("server errors", "every request", "the buckets", "a tab before", "route by route"):
            assert word not in text


def test_a_window_only_in_a_comment_is_no_window(tmp_path):
    (tmp_path / "a.slo").write_text(expr_spec("sum(rate(e_total[5m])) # not $window"))
    loaded = load([str(tmp_path / "a.slo")])
    assert [(d.span.line, d.message) for d in loaded.diagnostics if d.is_error] == [
        (6, "error_ratio must contain $window, where the compiler puts each window it needs")]


@pytest.mark.parametrize(("error_ratio", "column"), [
    ("$window", 22),  # the import fuzz found Sloth's errorQuery `{{.window}}`
    ("sum(rate(e_total[$window])) / sum(rate(t_total[$window])) * 5m / 300", 82),  # mapped back through both $window
])
def test_a_duration_used_as_a_number_is_an_error_where_prometheus_2_refuses_it(tmp_path, promtool, error_ratio,
                                                                                column):
    (tmp_path / "a.slo").write_text(expr_spec(error_ratio))
    loaded = load([str(tmp_path / "a.slo")])
    [error] = [d for d in loaded.diagnostics if d.is_error]
    assert (error.span.line, error.span.column) == (6, column)
    assert "a duration stands where a number goes" in error.message
    rule = {"groups": [{"name": "g", "rules": [{"record": "r", "expr": error_ratio.replace("$window", "5m")}]}]}
    (tmp_path / "r.yml").write_text(yaml.safe_dump(rule))
    checked = subprocess.run([promtool, "check", "rules", str(tmp_path / "r.yml")], capture_output=True, text=True)
    assert checked.returncode == 1 and "unexpected duration" in checked.stdout + checked.stderr


@pytest.mark.parametrize("text", ["rate(x[5m:1m] offset 5m)", "x offset -1h", 'x{a="5m"} # 5m', "x5m", "x / 1e5"])
def test_durations_in_ranges_offsets_strings_and_names_are_no_numbers(text):
    assert promql.duration_as_number(text) is None


def test_a_multi_line_query_stays_one_expression_in_every_output(tmp_path, promtool):
    spec = expr_spec('\n\t sum(rate(e_total{path="a\\nb"}[$window]))\r\n   /\n\n sum(rate(t_total[$window]))  \n')
    files = _build_everything(tmp_path, spec, promtool)
    rules = yaml.safe_load(files["prometheus/shop.rules.yml"])
    [five] = [r["expr"] for g in rules["groups"] for r in g["rules"] if r.get("record") == "slo:sli_error:ratio_rate5m"]
    assert "sum(rate(e_total{path=\"a\\nb\"}[5m]))\r\n   /\n\n sum(rate(t_total[5m]))" in five


SLOTH = """\
version: "prometheus/v1"
service: "shop"
slos:
  - name: "requests"
    objective: 99.9
    sli:
      events:
        error_query: |
          sum(rate(http_requests_total{job="shop", # this job
            code=~"5.."}[{{.window}}])) # server errors
        total_query: |
          # every request
          sum(rate(http_requests_total{job="shop"}[{{.window}}]))
    alerting:
      name: ShopErrors
"""

PYRRA = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: requests, labels: {pyrra.dev/team: t}}
spec:
  target: "99.9"
  window: 4w
  indicator:
    latency:
      success:
        metric: |
          http_duration_seconds_bucket{job="shop", le="0.3"} # fast enough
      total:
        metric: http_duration_seconds_count{job="shop"}   # every request
"""

OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: requests}
spec:
  service: shop
  budgetingMethod: Occurrences
  timeWindow: [{duration: 28d, isRolling: true}]
  objectives: [{target: 0.999}]
  indicator:
    metadata: {name: requests}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: "http_requests_total{code=~\\"5..\\"} # server errors"}}}
        total: {metricSource: {type: Prometheus, spec: {query: "http_requests_total # every one"}}}
"""


@pytest.mark.parametrize("tool, document", [("sloth", SLOTH), ("pyrra", PYRRA), ("openslo", OPENSLO)])
def test_an_import_with_commented_queries_builds_rules_promtool_accepts(tmp_path, promtool, tool, document):
    from interop_helpers import convert_files

    (tmp_path / "input.yaml").write_text(document)
    texts, _ = convert_files(tool, [str(tmp_path / "input.yaml")])
    [text] = texts.values()
    assert "requests" in text
    _build_everything(tmp_path, text, promtool)


# A selector with string values holding `#`, quotes and backslashes, and comments between its tokens.
_VALUES = st.text(alphabet='ab#"\\\'`} \n', max_size=6)
_COMMENTS = st.text(alphabet="#ab\"'`{}() $", max_size=8).map(lambda text: f" #{text}\n")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_VALUES, _COMMENTS, st.booleans()), min_size=1, max_size=4), _COMMENTS,
       st.one_of(st.just(""), _COMMENTS.map(str.rstrip)))
def test_stripping_comments_keeps_the_expression(matchers, middle, last):
    inside = ",".join(f"l{i}={json.dumps(value)}{comment if with_comment else ''}"
                      for i, (value, comment, with_comment) in enumerate(matchers))
    text = f"sum(rate(m{{{inside}}}[5m])){middle}+ 1{last}"
    expected, error = promql.parse(text)
    assert error is None, error
    stripped = promql.strip_comments(text)
    assert str(promql.parse(stripped)[0]) == str(expected)
    # Spliced as the compiler splices, the text means what it meant alone.
    assert str(promql.parse(f"({stripped}) * 2")[0]) == f"({expected}) * 2"


# --- names no file can carry (item 14) ----------------------------------------------------------------------------

def names_spec(service: str, slo: str, other: str | None = None) -> str:
    """Service `service` with SLO `slo` (and service `other`, if given, with an SLO `up`)."""
    def one(name: str, slo_name: str) -> str:
        return (f'service {name} {{\n  owner = "t"\n  slo {slo_name} {{\n    objective = 99%\n'
                f"    indicator ratio {{\n      errors = `e_total{{code=\"5\"}}`\n      total = `e_total`\n    }}\n  }}\n}}\n")
    return one(service, slo) + (one(other, "up") if other else "")


def _check_then_build(directory: Path, spec: str):
    """(errors of slo check, files slo build wrote for every target, or None when check refused)."""
    from slocompiler.workflow.build import run_build

    source = directory / "specs" / "a.slo"
    source.parent.mkdir()
    source.write_text(spec)
    loaded = load([str(source)])
    errors = [d for d in loaded.diagnostics if d.is_error]
    if errors:
        return errors, None
    run_build(loaded.program, str(directory / "out"), tuple(TARGETS), check_only=False)
    written = sorted(str(path.relative_to(directory / "out")) for path in (directory / "out").rglob("*") if path.is_file())
    return errors, written


def test_the_longest_names_check_accepts_are_built(tmp_path):
    from slocompiler.lang.filenames import SERVICE_NAME_MAX, SLO_NAME_MAX

    assert (SERVICE_NAME_MAX, SLO_NAME_MAX) == (211, 217)  # 255 less the suffix and the temporary name's 34
    service, slo = "s" * SERVICE_NAME_MAX, "o" * SLO_NAME_MAX
    errors, written = _check_then_build(tmp_path, names_spec(service, slo))
    assert not errors and written is not None
    assert f"prometheus/{service}.rules.yml" in written and f"docs/{service}/{slo}.svg" in written


@pytest.mark.parametrize("service, slo, line, column, kind", [
    ("s" * 212, "api", 1, 9, "service"),
    ("shop", "o" * 218, 3, 7, "SLO"),
])
def test_a_name_one_byte_too_long_is_refused_at_the_name(tmp_path, service, slo, line, column, kind):
    (tmp_path / "a.slo").write_text(names_spec(service, slo))
    result = run_capped("check", "a.slo", cwd=tmp_path)
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"a.slo:{line}:{column}: error: {kind} name ") and "characters long, more than the" in first


_NAMES = st.integers(1, 260).flatmap(
    lambda size: st.from_regex(rf"\A[a-z][a-z0-9_-]{{{size - 1}}}\Z"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(service=_NAMES, slo=_NAMES, other=st.one_of(st.none(), _NAMES))
def test_any_name_check_accepts_build_writes(tmp_path_factory, service, slo, other):
    """Property: a name `slo check` accepts is one `slo build` writes, every target, every file where conventions say."""
    from slocompiler.core import conventions as c
    from slocompiler.lang.filenames import SERVICE_NAME_MAX, SLO_NAME_MAX

    errors, written = _check_then_build(tmp_path_factory.mktemp("names"), names_spec(service, slo, other))
    if written is None:
        # Refused only for a reason the build would meet: a name too long, reserved, or defined twice.
        assert (len(service) > SERVICE_NAME_MAX or len(slo) > SLO_NAME_MAX or (other or "") and len(other) > SERVICE_NAME_MAX
                or {service, other} & {"readme", "slo-overview"} or other and service.replace("_", "-") == other.replace("_", "-")
                or any(d.message.endswith("is a keyword and cannot be a name") for d in errors)), errors
        return
    expected = {*c.FIXED_PATHS, ".slocompiler-manifest.json"}
    for name, slo_name in ((service, slo), (other, "up")):
        if name is not None:
            expected |= {*c.service_paths(name), *c.slo_paths(name, slo_name)}
    assert set(written) == expected


def test_files_that_are_one_where_case_does_not_count_are_refused(tmp_path):
    import dataclasses

    from slocompiler.lang.filenames import check_file_names
    from slocompiler.lang.values import Diagnostics

    (tmp_path / "a.slo").write_text(names_spec("readme", "api"))  # docs/readme.md is docs/README.md on macOS
    assert [d.message for d in load([str(tmp_path / "a.slo")]).diagnostics if d.is_error] == [
        '"readme" is reserved: the compiler writes a file of that name']
    # Names the language cannot spell today, as a future name rule might let through.
    (tmp_path / "b.slo").write_text(names_spec("shop", "api", "other"))
    program = load([str(tmp_path / "b.slo")]).program
    renamed = [dataclasses.replace(s, name="SHOP") if s.name == "other" else s for s in program.services]
    program = dataclasses.replace(program, services=tuple(renamed))
    second = next(s for s in program.services if s.name == "SHOP")
    diags = Diagnostics()
    check_file_names(program, diags)
    [error] = diags.items
    assert error.span == second.span and error.message.startswith('service "SHOP" would write docs/SHOP.md, the file of')
