"""The rules and tests built from specs/, tests/cases/valid/ and the sample IR, run through the real promtool; golden files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import sample_ir
import yaml
from promtool_report import run_side_by_side

from slocompiler.emit import kubernetes, prometheus

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted((ROOT / "tests" / "cases" / "valid").rglob("*.slo"))


def _load(paths: list[str]):
    from slocompiler.workflow.compile import load

    loaded = load(paths)
    assert loaded.program is not None, loaded.diagnostics
    return loaded.program


def _specs():
    # Loaded relative to the repository, as CI runs `slo build`: the headers name `specs/...`.
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return _load(["specs"])
    finally:
        os.chdir(cwd)


def write(files: dict[str, str], directory: Path) -> list[Path]:
    """Write `{relative path: text}` below `directory`; returns the paths written."""
    written = []
    for relative, text in sorted(files.items()):
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def promtool_ok(promtool: str, *args: str, cwd: Path) -> str:
    """Run promtool; fail with its output unless it exits 0."""
    result = subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def check_program(program, directory: Path, promtool: str, tests_from: str = ".") -> None:
    """`promtool check rules` on every rules file and `promtool test rules` on every test file, run from `tests_from`."""
    check_programs([(program, directory)], promtool, tests_from)


def check_programs(programs: list[tuple[object, Path]], promtool: str, tests_from: str = ".", only: str | None = None) -> None:
    """check_program on each (program, directory); the test files run side by side, one promtool each (`only`: that one)."""
    runs, names = [], []
    for program, directory in programs:
        paths = write(prometheus.emit(program), directory)
        cwd = directory / tests_from
        rules = [p.relative_to(directory).as_posix() for p in paths if p.name.endswith(".rules.yml")]
        tests = [os.path.relpath(p, cwd) for p in paths if p.name.endswith(".test.yml")]
        assert rules and len(rules) == len(tests)
        tests = [test for test in tests if only is None or test.endswith(only)]
        out = promtool_ok(promtool, "check", "rules", *rules, cwd=directory)
        assert out.count("SUCCESS") == len(rules)
        # rule_files resolve next to each test file, from the output directory
        # (generated/) as from the test files' own.
        runs += [([promtool, "test", "rules", test], cwd) for test in tests]
        names += [f"{cwd}/{test}" for test in tests]
    for name, result in zip(names, run_side_by_side(runs, timeout=600), strict=True):
        assert result.returncode == 0 and result.stdout.count("SUCCESS") == 1, f"{name}:\n{result.stdout}{result.stderr}"


def only_cases(files: dict[str, str], test_file: str, *names: str) -> None:
    """Keep in `files[test_file]` the cases whose name holds one of `names`, each matching at least one.

    Cases are independent (each replays its own series), so a mutant that
    fails the kept cases fails the whole file; promtool's time goes to
    replaying history, and a mutant test needs only the cases it is about.
    """
    document = yaml.safe_load(files[test_file])
    kept = [case for case in document["tests"] if any(name in case["name"] for name in names)]
    assert all(any(name in case["name"] for case in kept) for name in names), names
    document["tests"] = kept
    files[test_file] = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def test_sample_ir_rules_pass_promtool(tmp_path, promtool):
    """The sample IR's tests also run from their own directory (specs and cases run from the output directory)."""
    check_program(sample_ir.program(), tmp_path, promtool, tests_from="prometheus")


@pytest.mark.parametrize("service", [service.name for service in _specs().services])
def test_spec_rules_pass_promtool(tmp_path, promtool, service):
    # One service a test, so that the test workers share them out (all of them take promtool minutes).
    from slocompiler.core.ir import Program

    from slocompiler.emit.promtest import member_services

    specs = _specs()
    alone = next(s for s in specs.services if s.name == service)
    # A composite's members come along (its test file loads their rules); their own tests run in their own test.
    read = member_services(alone, specs)
    check_programs([(Program((alone, *read)), tmp_path)], promtool, only=f"{service}.test.yml")


def test_case_rules_pass_promtool(tmp_path, promtool):
    # One test over all valid test specs (none may exist yet): nothing is skipped.
    check_programs([(_load([str(spec)]), tmp_path / str(number)) for number, spec in enumerate(CASES)], promtool)


def test_generated_tests_catch_a_wrong_threshold(tmp_path, promtool):
    """The generated tests fail when the rules disagree with the spec: they are not vacuous."""
    files = prometheus.emit(sample_ir.program())
    files["prometheus/checkout.rules.yml"] = files["prometheus/checkout.rules.yml"].replace("> 0.006\n", "> 0.0067\n")
    only_cases(files, "prometheus/checkout.test.yml", "just above the page 6h/30m threshold")
    write(files, tmp_path)
    result = subprocess.run([promtool, "test", "rules", "prometheus/checkout.test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0
    assert "just above the page 6h/30m threshold" in result.stdout + result.stderr


def test_kubernetes_groups_pass_promtool(tmp_path, promtool):
    for path, text in kubernetes.emit(_specs()).items():
        document = yaml.safe_load(text)
        rules = tmp_path / Path(path).name
        rules.write_text(yaml.safe_dump({"groups": document["spec"]["groups"]}), encoding="utf-8")
        promtool_ok(promtool, "check", "rules", rules.name, cwd=tmp_path)


def _outputs() -> dict[str, str]:
    outputs = {}
    for prefix, program in (("sample", sample_ir.program()), ("specs", _specs())):
        for target, emit in (("prometheus", prometheus.emit), ("kubernetes", kubernetes.emit)):
            for path, text in emit(program).items():
                outputs[f"{target}/{prefix}/{path}"] = text
    return outputs


def test_outputs_match_golden(golden):
    outputs = _outputs()
    assert any(path.startswith("prometheus/specs/") for path in outputs)
    for path, text in sorted(outputs.items()):
        golden(path, text)


def test_no_stale_golden_files(request):
    found = sorted(
        p.relative_to(GOLDEN).as_posix() for target in ("prometheus", "kubernetes") for p in (GOLDEN / target).rglob("*") if p.is_file()
    )
    if request.config.getoption("--update-golden"):
        for stale in sorted(set(found) - set(_outputs())):
            (GOLDEN / stale).unlink()
        return
    assert found == sorted(_outputs())


def test_generated_tests_of_varied_slos_pass(tmp_path, promtool):
    """Disabled alerting, `for`, labels overriding severity, good/total, latency, group_by, a 7d window."""
    from decimal import Decimal

    from behaviour import slos

    from slocompiler.core.ir import Condition

    slow = Condition("page", Decimal(10), None, 1800, 300, 300, (("severity", "critical"),), (("hint", "{{ x }}"),), slos.SPAN)
    calm = Condition("ticket", Decimal("0.5"), None, 6 * 3600, 1800, None, (), (), slos.SPAN)
    program = slos.program(
        slos.slo(),
        slos.slo(name="off", enabled=False),
        slos.slo(name="for", conditions=(slow, calm), no_data=1800, objective="0.95"),
        slos.slo(name="good", indicator=slos.ratio(None, 'jobs_total{job="w"}', good='jobs_total{job="w", outcome="ok"}')),
        slos.slo(name="slow", indicator=slos.latency(le="2.5"), group_by=("route", "job"), window=7 * slos.DAY),
        slos.slo(name="errs", indicator=slos.ratio('errors_total{job="x"}', 'requests_total{job="x"}'), no_data=None),
    )
    check_program(program, tmp_path, promtool)
    tests = yaml.safe_load(prometheus.emit(program)["prometheus/demo.test.yml"])["tests"]
    names = " ".join(t["name"] for t in tests)
    for slo_id in ("demo-availability", "demo-off", "demo-for", "demo-good", "demo-slow", "demo-errs"):
        assert f"{slo_id}: error ratio" in names
    assert "demo-for: no series at all" in names and "demo-off: no series" not in names


def _run_tests(files: dict[str, str], directory: Path, promtool: str, test_file: str) -> subprocess.CompletedProcess:
    write(files, directory)
    return subprocess.run([promtool, "test", "rules", test_file], cwd=directory, capture_output=True, text=True, timeout=600)


def test_generated_tests_catch_windows_cut_to_5m(tmp_path, promtool):
    """Rules whose long and short windows all read 5m fail the generated tests: each window matters."""
    import re

    files = prometheus.emit(sample_ir.program())
    rules = files["prometheus/checkout.rules.yml"]
    cut = re.sub(r"\[(30m|1h|6h|3d)\]", "[5m]", rules)
    # A window derived from recorded 5m rates sums them over the window less
    # 2.5m (`[21450s]` for 6h): summed over 2.5m instead, it is a 5m window.
    cut = re.sub(r"sum_over_time\((slo:sli_events_\w+:rate5m\{[^}]*\})\[\d+s\]\)", r"sum_over_time(\1[150s])", cut)
    assert "[21450s]" in rules and "[21450s]" not in cut
    files["prometheus/checkout.rules.yml"] = cut
    only_cases(files, "prometheus/checkout.test.yml", *(f"the {pair} long window" for pair in ("page 1h/5m", "page 6h/30m", "ticket 3d/6h")))
    result = _run_tests(files, tmp_path, promtool, "prometheus/checkout.test.yml")
    assert result.returncode != 0
    out = result.stdout + result.stderr
    for pair in ("page 1h/5m", "page 6h/30m", "ticket 3d/6h"):
        assert f"the {pair} long window" in out


def test_generated_tests_catch_a_missing_short_window(tmp_path, promtool):
    """Rules that ignore the short window (it reads the long one) fail the generated tests."""
    files = prometheus.emit(sample_ir.program())
    rules = files["prometheus/checkout.rules.yml"]
    files["prometheus/checkout.rules.yml"] = rules.replace("and\n        slo:sli_error:ratio_rate5m", "and\n        slo:sli_error:ratio_rate1h")
    assert files["prometheus/checkout.rules.yml"] != rules
    only_cases(files, "prometheus/checkout.test.yml", "the page 1h/5m short window")
    result = _run_tests(files, tmp_path, promtool, "prometheus/checkout.test.yml")
    assert result.returncode != 0
    assert "the page 1h/5m short window" in result.stdout + result.stderr


def test_slos_sharing_an_alert_name_and_empty_labels_are_tested(tmp_path, promtool):
    """SLOs with one alert name are checked through ALERTS by slo_id; a label with an empty value is no label."""
    from behaviour import slos

    program = slos.program(
        slos.slo(alert_name="ApiBurn", labels=(("team", "demo"), ("tier", ""))),
        slos.slo(name="by-route", alert_name="ApiBurn", group_by=("route",),
                 indicator=slos.ratio('api_requests_total{job="demo", code=~"5.."}', 'api_requests_total{job="demo"}')),
    )
    check_program(program, tmp_path, promtool)
    text = prometheus.emit(program)["prometheus/demo.test.yml"]
    assert "Not tested" not in text
    names = " ".join(t["name"] for t in yaml.safe_load(text)["tests"])
    assert "demo-availability: error ratio" in names and "demo-by-route: error ratio" in names
    # The ALERTS checks can fail: a looser ticket for one SLO is caught.
    files = prometheus.emit(program)
    files["prometheus/demo.rules.yml"] = files["prometheus/demo.rules.yml"].replace("> 0.001\n", "> 0.0011\n", 1)
    only_cases(files, "prometheus/demo.test.yml", "demo-availability: error ratio 0.0011 (just above the ticket 3d/6h threshold)")
    result = _run_tests(files, tmp_path / "mutant", promtool, "prometheus/demo.test.yml")
    assert result.returncode != 0
    assert "ALERTS" in result.stdout + result.stderr


AVAILABILITY = 'slo:sli_error:ratio_rate{}{{slo_id="checkout-availability"}} > 0.0144'
# (old, new, what the failure names, the case that catches it).
RULE_MUTANTS = {
    # With data NoData stays silent, checked after its `for` (before it, an always-firing NoData is only pending).
    "NoData always fires": ("absent(slo:sli_error:ratio_rate5m{", "absent(no_such_series{", "NoData",
                            "checkout-availability: error ratio 0 (no error series)"),
    # The 6h/30m pair of the same rule fires at any constant ratio above 0.0144: the 1h/5m pair needs a case alone.
    "looser 1h/5m page": (AVAILABILITY.format("1h"), AVAILABILITY.format("1h").replace("0.0144", "0.016"),
                          "the page 1h/5m threshold alone", "the page 1h/5m threshold alone"),
    # Reading 30m for the 5m short window keeps paging 25m after recovery.
    "1h/5m page reads 30m": (AVAILABILITY.format("5m"), AVAILABILITY.format("30m"), "the page 1h/5m short window alone",
                             "the page 1h/5m short window alone"),
}


@pytest.mark.parametrize("mutant", sorted(RULE_MUTANTS))
def test_generated_tests_catch(mutant, tmp_path, promtool):
    """Each mutant of the checkout rules fails the generated tests, in the case named."""
    old, new, where, case = RULE_MUTANTS[mutant]
    files = prometheus.emit(sample_ir.program())
    rules = files["prometheus/checkout.rules.yml"]
    files["prometheus/checkout.rules.yml"] = rules.replace(old, new)
    assert files["prometheus/checkout.rules.yml"] != rules
    only_cases(files, "prometheus/checkout.test.yml", case)
    result = _run_tests(files, tmp_path, promtool, "prometheus/checkout.test.yml")
    assert result.returncode != 0
    assert where in result.stdout + result.stderr
