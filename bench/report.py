"""Benchmark: `slo report` of 100 SLOs for a month (with the default --history 3) against a local Prometheus.

Writes four months and a few days of one-minute counters for 100 jobs (June
to September 2024, and the days before June that the first 5m rates and the
replay's 3d ticket window read), builds a TSDB with `promtool tsdb
create-blocks-from openmetrics`, starts the real server (tests/live/server.py)
and times `slo report --period 2024-09 --format json`, median of `--runs`,
printing the queries per SLO (counted by a proxy in front of the server) and
the seconds. The programme it reports on: 20 services, each with five SLOs
(99.9% over 30d and over 28d, 99.5%, 99%, 99.95%); 0.02% errors everywhere;
ten services have a 20-minute outage in September (every request failing),
two run at 0.2% errors all along (their 99.9% and 99.95% tickets fire all
month), the rest are quiet. By default each SLO reads series of its own (100
jobs: the costly case, nothing shared); `--series shared` gives a service's
five SLOs one job's series, as SLOs of one service share its requests (the
report then asks what they share once). `--data DIR` keeps the TSDB there
and reuses it on the next run.
Run as `python bench/report.py`.
"""

from __future__ import annotations

import argparse
import http.server
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "live"))

import server  # noqa: E402

from bench import process_cpu  # noqa: E402

SERVICES = 20
OBJECTIVES = (("99.9%", "30d"), ("99.9%", "28d"), ("99.5%", "30d"), ("99%", "30d"), ("99.95%", "30d"))
SLOS = SERVICES * len(OBJECTIVES)
START = 1_716_854_400  # 2024-05-28T00:00:00Z
END = 1_727_744_400  # 2024-10-01T01:00:00Z
SEPTEMBER = 1_725_148_800
RATE = 1000  # requests a minute
OUTAGES = {service: SEPTEMBER + (2 + 2 * service) * 86400 + 14 * 3600 for service in range(10)}  # 20 minutes, all
CHRONIC = (10, 11)  # 0.2% errors all along


def bad_per_minute(service: int, t: int) -> float:
    if service in OUTAGES and OUTAGES[service] <= t < OUTAGES[service] + 1200:
        return float(RATE)
    return RATE * (0.002 if service in CHRONIC else 0.0002)


def jobs(own: bool) -> int:
    return SLOS if own else SERVICES


def job_of(service: int, index: int, own: bool) -> int:
    """The job whose series an SLO reads: its own, or its service's."""
    return service * len(OBJECTIVES) + index if own else service


def history(own: bool):
    """OpenMetrics lines: each job's 200 and 500 counters, one sample a minute (a job: its service's traffic)."""
    yield "# TYPE http_requests counter\n"
    times = range(START, END + 1, 60)
    for job in range(jobs(own)):
        service = job // len(OBJECTIVES) if own else job
        for code in ("200", "500"):
            value = 0.0
            lines = []
            for t in times:
                lines.append(f'http_requests_total{{job="svc{job}",code="{code}"}} {value!r} {t}\n')
                bad = bad_per_minute(service, t)
                value += bad if code == "500" else RATE - bad
            yield "".join(lines)
    yield "# EOF\n"


def spec(own: bool) -> str:
    services = []
    for service in range(SERVICES):
        slos = "\n".join(
            f"""  slo s{index} {{
    objective = {objective}
    window    = {window}
    indicator ratio {{
      errors = `http_requests_total{{job="svc{job_of(service, index, own)}", code=~"5.."}}`
      total  = `http_requests_total{{job="svc{job_of(service, index, own)}"}}`
    }}
  }}"""
            for index, (objective, window) in enumerate(OBJECTIVES))
        services.append(f'service svc{service} {{\n  owner  = "team-{service % 5}"\n  oncall = "rotation-{service % 5}"\n'
                        f'{slos}\n}}\n')
    return "\n".join(services)


def _tsdb(keep: Path | None, directory: Path, promtool: str, own: bool) -> Path:
    """The TSDB: built in `directory`, or in `keep` once and reused from there."""
    where = directory if keep is None else keep / ("own" if own else "shared")
    if keep is not None and (where / "built").exists():  # written last: a build cut short is built again
        return where / "data"
    where.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    data = server.build_tsdb(where, promtool, history(own))
    print(f"TSDB of {jobs(own) * 2} series x {(END - START) // 86400} days built in "
          f"{time.perf_counter() - began:.1f} s", file=sys.stderr)
    (where / "built").touch()
    return data


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Counter:
    """A proxy in front of the server that counts the queries it forwards."""

    def __init__(self, target: str) -> None:
        self.count = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _forward(self, body: bytes | None) -> None:
                with outer.lock:
                    outer.count += self.path.startswith("/api/v1/query")
                request = urllib.request.Request(target + self.path, data=body, method=self.command,
                                                 headers={k: v for k, v in self.headers.items()
                                                          if k.lower() in ("content-type", "accept")})
                with urllib.request.urlopen(request, timeout=300) as answer:
                    data = answer.read()
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def do_GET(self) -> None:
                self._forward(None)

            def do_POST(self) -> None:
                self._forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--series", choices=("own", "shared"), default="own",
                        help="each SLO on series of its own (100 jobs), or a service's five SLOs on one job's")
    parser.add_argument("--data", type=Path, default=None, help="keep the TSDB in this folder and reuse it")
    options = parser.parse_args()
    own = options.series == "own"
    binary, promtool = server.find_binaries()
    if not binary or not promtool:
        print("needs prometheus and promtool (apt-get install prometheus)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as workdir:
        directory = Path(workdir)
        data = _tsdb(options.data, directory, promtool, own)
        (directory / "bench.slo").write_text(spec(own), encoding="utf-8")
        running = server.Server(binary, data, directory)
        try:
            argv = [str(Path(sys.executable).parent / "slo"), "report", str(directory / "bench.slo"),
                    "--prometheus", running.url, "--period", "2024-09", "--format", "json"]
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
            counter = Counter(running.url)  # one more run through the proxy, to count (not timed)
            argv[argv.index(running.url)] = counter.url
            done = subprocess.run(argv, capture_output=True, text=True)
            if done.returncode:
                print(done.stderr, file=sys.stderr)
                return 1
            counter.server.shutdown()
        finally:
            running.stop()
    # CPU seconds say what the wall time would be on an idle machine; a shared one inflates the wall.
    print("| measurement | SLOs | queries per SLO | wall | CPU: slo | CPU: prometheus |")
    print("|---|---|---|---|---|---|")
    print(f"| `slo report --period 2024-09` (history 3, {options.series} series), against a local Prometheus "
          f"(median of {options.runs}) "
          f"| {SLOS} | {counter.count / SLOS:.1f} | {statistics.median(walls):.1f} s | {statistics.median(ours):.1f} s "
          f"| {statistics.median(theirs):.1f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
