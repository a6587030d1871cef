"""Benchmark: `slo backtest` of 10 SLOs over 30 days at 1m steps against a local Prometheus.

Writes 33 days of one-minute counters for 10 jobs (3 days before the range feed
the 3d ticket window), builds a TSDB with `promtool tsdb create-blocks-from
openmetrics`, starts the real server (tests/live/server.py) and times the
command, median of `--runs`. Run as `python bench/bench_backtest.py`.
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "live"))

import server  # noqa: E402

from bench import process_cpu  # noqa: E402

START = 1_699_920_000
DAYS = 33
SLOS = 10


def counters(job: int):
    """OpenMetrics lines of one job's two counters: a daily traffic cycle, an outage every few days."""
    minutes = DAYS * 1440
    for code in ("200", "500"):
        value = 0.0
        for m in range(minutes + 1):
            yield f'http_requests_total{{job="svc{job}",code="{code}"}} {value!r} {START + m * 60}\n'
            total = round(1000 * (1 + 0.5 * math.sin(2 * math.pi * (m % 1440) / 1440)))
            outage = (m // 1440) % (3 + job % 4) == 0 and 600 <= m % 1440 < 620 + 5 * job
            bad = total * (0.3 if outage else 0.0005)
            value += bad if code == "500" else total - bad


def history():
    yield "# TYPE http_requests counter\n"
    for job in range(SLOS):
        yield from counters(job)
    yield "# EOF\n"


def spec() -> str:
    slos = "\n".join(
        f"""  slo svc{job} {{
    objective = 99.9%
    indicator ratio {{
      errors = `http_requests_total{{job="svc{job}", code=~"5.."}}`
      total  = `http_requests_total{{job="svc{job}"}}`
    }}
  }}"""
        for job in range(SLOS)
    )
    return f'service bench {{\n  owner = "team-bench"\n{slos}\n}}\n'


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    binary, promtool = server.find_binaries()
    if not binary or not promtool:
        print("needs prometheus and promtool (apt-get install prometheus)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as workdir:
        directory = Path(workdir)
        began = time.perf_counter()
        data = server.build_tsdb(directory, promtool, history())
        print(f"TSDB of {SLOS * 2} series x {DAYS} days built in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        (directory / "bench.slo").write_text(spec(), encoding="utf-8")
        running = server.Server(binary, data, directory)
        try:
            start = START + 3 * 86400
            argv = [str(Path(sys.executable).parent / "slo"), "backtest", str(directory / "bench.slo"),
                    "--prometheus", running.url, "--from", str(start), "--to", str(start + 30 * 86400),
                    "--format", "json"]
            walls, ours, theirs = [], [], []
            for _ in range(options.runs):
                began, children, server_cpu = time.perf_counter(), _children_cpu(), process_cpu(running.process.pid)
                done = subprocess.run(argv, capture_output=True, text=True)
                walls.append(time.perf_counter() - began)
                ours.append(_children_cpu() - children)
                theirs.append(process_cpu(running.process.pid) - server_cpu)
                if done.returncode:
                    print(done.stderr, file=sys.stderr)
                    return 1
        finally:
            running.stop()
    # CPU seconds say what the wall time would be on an idle machine; a shared one inflates the wall.
    print("| measurement | SLOs | wall | CPU: slo | CPU: prometheus |")
    print("|---|---|---|---|---|")
    print(f"| `slo backtest`, 30 days at 1m (median of {options.runs}) | {SLOS} | {statistics.median(walls):.1f} s "
          f"| {statistics.median(ours):.1f} s | {statistics.median(theirs):.1f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
