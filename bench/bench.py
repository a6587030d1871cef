"""Benchmark: generate N services x M SLOs of `.slo` text, time `slo check`, `slo build` and promtool.

Run as `python bench/bench.py` (1,000 and 10,000 SLOs) or `python bench/bench.py --small`
(a smoke test of a few dozen SLOs, as CI runs it). Prints a table of wall times and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from slocompiler.lang.parse import grammar_text
from slocompiler.workflow.survey import PARALLEL_MIN_SLOS

SLOS_PER_SERVICE = 50
# Each measured command runs under this runner, so RUSAGE_CHILDREN holds that command alone.
RUNNER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps({"rc": done.returncode, "wall": wall, "cpu": cpu, "rss_kb": usage.ru_maxrss, "stderr": done.stderr.decode()[-3000:]}))
"""

FLOOR = """
import sys
import click
from lark import Lark
grammar, spec = (open(path, encoding="utf-8").read() for path in sys.argv[1:])
Lark(grammar, parser="lalr", lexer="contextual", maybe_placeholders=True, cache=True).parse(spec)
"""

COMMON = """\
# Shared by every benchmark service.
template http_availability(job, objective = 99.9%) {
  description = "Requests to ${job} that do not fail"
  objective   = $objective
  indicator ratio {
    errors = `http_requests_total{job="${job}", code=~"5.."}`
    total  = `http_requests_total{job="${job}"}`
  }
}

policy standard {
  description = "What we do as the error budget runs out"
  when budget_remaining < 50% { action = "Reliability work takes priority" }
  when budget_remaining <= 0% {
    action = "Freeze feature releases"
    notify = ["#oncall", "leads@example.com"]
  }
  when burn_rate > 2 over 7d { action = "Review the top error sources weekly" }
}
"""


def slo_block(service: str, index: int) -> str:
    """One SLO; the four kinds rotate so every backend path gets exercised."""
    kind = index % 4
    if kind == 0:
        return f"""
  slo availability-{index} {{
    description = "Requests to handler {index} that do not fail"
    objective   = 99.9%
    sla         = 99.5%
    indicator ratio {{
      errors = `http_requests_total{{job="{service}", handler="h{index}", code=~"5.."}}`
      total  = `http_requests_total{{job="{service}", handler="h{index}"}}`
    }}
  }}
"""
    if kind == 1:
        return f"""
  slo latency-{index} {{
    objective = 99%
    window    = 28d
    group_by  = ["route"]
    indicator latency {{
      histogram = `http_request_duration_seconds_bucket{{job="{service}", handler="h{index}"}}`
      threshold = 300ms
    }}
    alerting {{
      page   {{ budget = 2% long = 1h short = 5m }}
      ticket {{ burn = 1 long = 3d short = 6h }}
    }}
  }}
"""
    if kind == 2:
        return f'\n  slo api-{index} = http_availability(job = "{service}-api-{index}", objective = 99.5%)\n'
    return f"""
  slo queue-{index} {{
    objective = 99.95%
    window    = 7d
    indicator expr {{
      error_ratio = `sum(rate(jobs_failed_total{{queue="{service}-{index}"}}[$window])) / sum(rate(jobs_total{{queue="{service}-{index}"}}[$window]))`
    }}
  }}
"""


def service_text(service: str, slos: int, team: int) -> str:
    """A whole `.slo` file: one service with `slos` SLOs."""
    body = "".join(slo_block(service, index) for index in range(slos))
    return f"""\
import "common.slo"

service {service} {{
  description = "Benchmark service {service}"
  owner       = "team-{team}"
  tier        = high
  runbook     = "https://runbooks.example.com/{service}"
  policy      = standard
  labels {{ team = "team-{team}" }}
{body}}}
"""


def generate(root: Path, services: int, slos_per_service: int) -> list[Path]:
    """Write common.slo and one file per service under root; returns the service files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "common.slo").write_text(COMMON, encoding="utf-8")
    files = []
    for number in range(services):
        name = f"svc-{number:04d}"
        path = root / f"{name}.slo"
        path.write_text(service_text(name, slos_per_service, number % 7), encoding="utf-8")
        files.append(path)
    return files


def measure(argv: list[str], **environment: str) -> dict:
    """Wall time, CPU time and peak RSS of one command, run under RUNNER in a fresh process."""
    env = {**os.environ, **environment}
    done = subprocess.run([sys.executable, "-c", RUNNER, *argv], capture_output=True, text=True, check=True, env=env)
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(argv)} failed with exit {result['rc']}:\n{result['stderr']}")
    return result


def median(runs: list[dict]) -> dict:
    """Each measured quantity's median over repeated runs."""
    return {key: statistics.median(run[key] for run in runs) for key in ("wall", "cpu", "rss_kb")}


def slo_command(*args: str) -> list[str]:
    """The installed `slo` script (what users run), else `python -m slocompiler`."""
    script = shutil.which("slo", path=os.path.dirname(sys.executable))
    return [script, *args] if script else [sys.executable, "-m", "slocompiler", *args]


def process_cpu(pid: int) -> float:
    """User and system CPU seconds of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine() -> str:
    """A one-line description of where the figures came from."""
    cpu = platform.processor() or platform.machine()
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.exists():
        for line in with_cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def run(sizes: list[int], check_runs: int, workdir: Path) -> list[tuple]:
    """Every measurement, as table rows."""
    rows = []
    small = workdir / "one"
    (one,) = generate(small, 1, 4)
    # Cold: every pass runs (as after any edit). Cached: the file is unchanged
    # since the last clean check (as in most pre-commit runs).
    cache = str(workdir / "check-cache")
    for label, environment in (("no cache", {"SLO_NO_CACHE": "1"}), ("cached", {"SLO_CACHE_DIR": cache})):
        runs = [measure(slo_command("check", str(one)), **environment) for _ in range(check_runs)]
        rows.append((f"slo check, one file, {label} (median of {check_runs})", 4, median(runs), None))
    # What no slo check can beat: the interpreter, click, and Lark parsing the file.
    grammar = workdir / "slo.lark"
    grammar.write_text(grammar_text(), encoding="utf-8")
    floor = [measure([sys.executable, "-c", FLOOR, str(grammar), str(one)]) for _ in range(check_runs)]
    rows.append((f"floor: Python, click, Lark parsing that file (median of {check_runs})", 4, median(floor), None))
    promtool = shutil.which("promtool")
    for total in sizes:
        per_service = min(SLOS_PER_SERVICE, total)
        specs, out = workdir / f"specs-{total}", workdir / f"generated-{total}"
        generate(specs, max(1, total // per_service), per_service)
        built = measure(slo_command("build", str(specs), "-o", str(out), "--target", "prometheus"))
        full = measure(slo_command("build", str(specs), "-o", str(workdir / f"all-{total}")))
        checked = None
        if promtool:
            rules = sorted(str(p) for p in (out / "prometheus").glob("*.rules.yml"))
            checked = measure([promtool, "check", "rules", *rules])
        measured = [("slo build --target prometheus", built), ("slo build (default targets)", full)]
        if total >= PARALLEL_MIN_SLOS:  # does the process pool pay? the same build in one process
            single = measure(slo_command("build", str(specs), "-o", str(workdir / f"one-{total}")), SLOCOMPILER_WORKERS="1")
            measured.append(("slo build, one process", single))
        for name, result in measured:
            ratio = result["wall"] / checked["wall"] if checked else None
            rows.append((name, total, result, ratio))
        if checked:
            rows.append(("promtool check rules (its output)", total, checked, None))
    return rows


def table(rows: list[tuple]) -> str:
    """The rows as an aligned text table; the peak RSS is the largest single process's."""
    header = ("measurement", "SLOs", "wall s", "cpu s", "peak RSS MB", "ms per SLO", "x promtool")
    lines = [header]
    for name, slos, result, ratio in rows:
        lines.append((
            name,
            str(slos),
            f"{result['wall']:.3f}",
            f"{result['cpu']:.3f}",
            f"{result['rss_kb'] / 1024:.0f}",
            "" if name.startswith(("slo check", "floor")) else f"{result['wall'] * 1000 / slos:.2f}",
            "" if ratio is None else f"{ratio:.2f}",
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths)))
        for line in lines
    ]
    text.insert(1, "-" * len(text[0]))
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the measurements in a temporary directory, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a smoke test: 50 SLOs, 3 check runs")
    parser.add_argument("--sizes", help="comma-separated SLO counts (default 1000,10000)")
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    options = parser.parse_args(argv)
    sizes = [50] if options.small else [1000, 10000]
    if options.sizes:
        sizes = [int(size) for size in options.sizes.split(",")]
    check_runs = 3 if options.small else 20
    if options.keep:
        rows = run(sizes, check_runs, options.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="slo-bench-") as workdir:
            rows = run(sizes, check_runs, Path(workdir))
    print(f"machine: {machine()}")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
