"""Benchmark: what the generated rules cost a real Prometheus to evaluate, next to Sloth-shaped rules.

Run as `python bench/rules.py` (4 services, 3 SLOs each, 4,800 raw series:
instances x routes x codes and histogram buckets, 3 days and 2 hours of
history at a 1m scrape interval, rules every minute) or `--small` (a smoke
test). Writes the history as OpenMetrics, ending now, and loads it with
`promtool tsdb create-blocks-from openmetrics`. From then on the benchmark's
own exporter serves the same counters, which every server it starts scrapes
(so that rules read fresh samples and write their results to the head, as
in production): first one without rules for `--warmup` minutes, so that the
5m windows hold scraped samples only, then one per rule set, which reads
every group's `evaluationTime` from /api/v1/rules over several intervals;
each group's first evaluation after a start (cold caches) is left out.
`--phases N` splits the minutes of each rule set into N turns, the two
rule sets taking the lead in turn (a restart each), so that changing load
weighs on both alike. `--copies K` gives each service K copies of its SLOs
on the same traffic: a busier server.

Cost = sum over groups of (median evaluation time / group interval): the
share of one core the rule set keeps busy. Every group evaluation also pays
a fixed cost, whatever its rules read, carried by its first rule: on the
2-core VM a constant took 3-23 ms when the server had nothing else to do,
1.4-4 ms while it also answered a query every 10-200 ms. Twelve groups of
one constant rule run beside each rule set to measure it, and the net cost
is the cost with their median taken off each group's evaluation.
Evaluation time is wall-clock, waits included; the server's own CPU
seconds over each phase (from /proc) are reported beside
it: scraping and the control groups, the same beside both rule sets, included.

`--engine victoriametrics` measures the same two rule sets evaluated by
vmalert against one VictoriaMetrics holding the same history and scraping
the same exporter (bench/rules_vm.py, docs/ENGINES.md): each group's median
iteration time over its interval, and the CPU of vmalert and VictoriaMetrics.

The baseline is the shape Sloth documents for the same SLOs and window
pairs: a raw-series ratio per window (5m ... 3d), the 30d ratio as the mean
of the 5m ratios, metadata, and one page and one ticket alert. Both rule
sets get their recorded 5m series backfilled for the whole history, as a
server that has run the rules for days has them.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.server
import json
import math
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "live"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import server  # noqa: E402
import yaml  # noqa: E402

from bench import machine, process_cpu  # noqa: E402
from slocompiler.core import calendar  # noqa: E402
from slocompiler.core import conventions as c  # noqa: E402
from slocompiler.core import queries  # noqa: E402
from slocompiler.core.conventions import slo_labels  # noqa: E402
from slocompiler.emit.rules import rules_files  # noqa: E402
from slocompiler.workflow.compile import load  # noqa: E402

SCRAPE = 60
CODES = (("200", 0.9), ("404", 0.0995), ("500", 0.0005))
BUCKETS = (("0.05", 0.5), ("0.1", 0.8), ("0.25", 0.95), ("0.5", 0.99), ("1", 0.997), ("2.5", 0.999), ("+Inf", 1.0))
PAIRS = (("page", "14.4", "1h", "5m"), ("page", "6", "6h", "30m"), ("ticket", "3", "1d", "2h"), ("ticket", "1", "3d", "6h"))
SLOTH_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


def spec_text(service: str, job: str) -> str:
    """One service: availability, latency, availability by route, a probe (threshold), uptime (1m slices),
    availability per calendar month in Berlin, and a journey (a composite of the first three).

    All with Sloth's four window pairs. The probe reads the scrapes' own `up`,
    which the history does not hold: its windows fill only while the benchmark
    runs. Sloth has no slices or thresholds: its baseline counts the uptime
    SLO's events as availability does, the probe's samples as Pyrra's
    bool_gauge does, and the calendar month as 30 rolling days. Sloth has no
    composites: the baseline leaves the journey out (its rules count against ours),
    nor maintenance windows: every SLO here has a weekly one (Sundays 02:00, Berlin).
    """
    alerting = "    alerting {\n" + "".join(
        f"      {sev} {{ burn = {burn} long = {long} short = {short} }}\n" for sev, burn, long, short in PAIRS
    ) + "    }\n"
    ratio = (f'      errors = `http_requests_total{{job="{job}", code=~"5.."}}`\n'
             f'      total  = `http_requests_total{{job="{job}"}}`\n')
    return f"""service {service} {{
  owner = "bench"
  maintenance weekly {{ every = sunday  at = "02:00"  for = 2h  timezone = "Europe/Berlin" }}
  slo availability {{
    objective = 99.9%
    window    = 30d
    indicator ratio {{
{ratio}    }}
{alerting}  }}
  slo latency {{
    objective = 99%
    window    = 30d
    indicator latency {{
      histogram = `http_request_duration_seconds_bucket{{job="{job}"}}`
      threshold = 500ms
    }}
{alerting}  }}
  slo routes {{
    objective = 99.9%
    window    = 30d
    group_by  = ["route"]
    indicator ratio {{
{ratio}    }}
{alerting}  }}
  slo probe {{
    objective = 99.5%
    window    = 30d
    indicator threshold {{
      metric = `up{{job="{job}"}}`
      good   = "== 1"
    }}
{alerting}  }}
  slo uptime {{
    objective = 99.5%
    window    = 30d
    slices {{ length = 1m  target = 95% }}
    indicator ratio {{
{ratio}    }}
{alerting}  }}
  slo monthly {{
    objective = 99.9%
    window    = calendar month
    timezone  = "Europe/Berlin"
    indicator ratio {{
{ratio}    }}
{alerting}  }}
  slo journey {{
    objective = 98.5%
    window    = 30d
    composite {{
      {service}-availability {{ weight = 1 }}
      {service}-latency {{ weight = 1 }}
      {service}-routes {{ weight = 1 when_no_data = bad }}
    }}
{alerting}  }}
}}
"""


@dataclasses.dataclass
class Counter:
    """A counter of the history, as the exporter carries it on: its value at the start of `minute`."""

    name: str
    labels: str
    value: float
    minute: int
    per_minute: Callable[[int], float]


class History:
    """Synthetic traffic: per service, instance and route, a daily swing; one service has an outage."""

    def __init__(self, services: int, instances: int, routes: int, minutes: int, end: int) -> None:
        self.services = [f"svc{i:02d}" for i in range(services)]
        self.instances, self.routes, self.minutes = instances, routes, minutes
        self.start = end - minutes * SCRAPE
        # Per target, its counters as the history leaves them, so that the
        # exporter can carry on where the blocks end.
        self.live: dict[str, list[Counter]] = {}
        self.lock = threading.Lock()

    def requests(self, service: int, instance: int, route: int, m: int) -> float:
        """Requests in minute m."""
        base = 20.0 * (1 + route) / (1 + instance % 3)
        return base * (1.5 + math.sin(2 * math.pi * (m + 97 * service) / 1440))

    def error_share(self, service: int, m: int) -> float:
        return 0.05 if service == 0 and self.minutes - 300 <= m < self.minutes - 270 else CODES[2][1]

    def targets(self):
        """(service, instance, route, their labels) of every scraped target and route."""
        for s, service in enumerate(self.services):
            for i in range(self.instances):
                for r in range(self.routes):
                    yield s, i, r, f'job="{service}",instance="{self.address(s, i)}",route="/api/r{r}"'

    def raw(self):
        """Every raw series' samples, family by family."""
        yield "# TYPE http_requests counter\n"
        for s, i, r, labels in self.targets():
            for code, share in CODES:
                def per_minute(m, s=s, i=i, r=r, code=code, share=share):
                    errors = self.error_share(s, m)
                    part = errors if code == "500" else share * (1 - errors) / (1 - CODES[2][1])
                    return self.requests(s, i, r, m) * part
                yield from self._counter("http_requests_total", f'{labels},code="{code}"', per_minute, (s, i))
        yield "# TYPE http_request_duration_seconds histogram\n"
        for s, i, r, labels in self.targets():
            for le, share in BUCKETS:
                yield from self._counter("http_request_duration_seconds_bucket", f'{labels},le="{le}"',
                                         lambda m, s=s, i=i, r=r, share=share: self.requests(s, i, r, m) * share, (s, i))

    def _counter(self, name: str, labels: str, per_minute, target: tuple[int, int]):
        value = 0.0
        for m in range(self.minutes + 1):
            # As many decimals as the exporter's: rounded alike, the counter never goes down where they meet.
            yield f"{name}{{{labels}}} {value:.3f} {self.start + m * SCRAPE}\n"
            if m < self.minutes:
                value += per_minute(m)
        # Scraped series carry no job or instance: the scrape adds them.
        own = ",".join(part for part in labels.split(",") if not part.startswith(("job=", "instance=")))
        self.live.setdefault(self.address(*target), []).append(Counter(name, own, value, self.minutes, per_minute))

    @staticmethod
    def address(service: int, instance: int) -> str:
        return f"10.0.{service}.{instance}:8080"

    def exposition(self, address: str, now: float) -> str:
        """One target's counters at `now`, carrying on from the history's last minute."""
        minute = (now - self.start) / SCRAPE
        lines = []
        with self.lock:  # two scrapes of one target at once must not both add a minute
            for counter in self.live.get(address, ()):
                while counter.minute < int(minute):
                    counter.value += counter.per_minute(counter.minute)
                    counter.minute += 1
                value = counter.value + counter.per_minute(counter.minute) * max(minute - counter.minute, 0.0)
                lines.append(f"{counter.name}{{{counter.labels}}} {value:.3f}\n")
        return "".join(lines)

    def per_minute(self, service: int, route: int | None, share: float | None) -> list[float]:
        """Requests in each minute, all instances (and routes, with None): all, errors (share None) or a share."""
        counts = []
        for m in range(self.minutes + 1):
            n = sum(self.requests(service, i, r, m) for i in range(self.instances)
                    for r in (range(self.routes) if route is None else (route,)))
            counts.append(n * (self.error_share(service, m) if share is None else share))
        return counts


def recorded(history: History, program, step: int):
    """The 5m series each rule set records, every `step` seconds of the history: ours and Sloth's."""
    series, slos = [], []
    for service in program.services:
        s = history.services.index(service.name.partition("-")[0])  # a copy reads its original's traffic
        for slo in service.slos:
            if slo.is_composite:  # reads its members' recorded ratios: no series of its own to backfill
                continue
            own = ",".join(f'{k}="{v}"' for k, v in slo_labels(slo, service).items())
            # Sloth records ratio_rate5m too: its labels set its series apart from ours.
            sloth = f'sloth_id="{slo.id}",sloth_service="{service.name}",sloth_slo="{slo.name}",sloth_window="5m"'
            for route in range(history.routes) if slo.group_by else (None,):
                extra = "" if route is None else f',route="/api/r{route}"'
                total = history.per_minute(s, route, 1.0)
                bad = history.per_minute(s, route, None if slo.name != "latency" else 1 - BUCKETS[3][1])
                series.append((own + extra, sloth + extra, _rates(total), _rates(bad)))
                slos.append(slo)
    names = (c.EVENTS_BAD_PREFIX + "5m", c.EVENTS_TOTAL_PREFIX + "5m", c.ERROR_RATIO_PREFIX + "5m")
    # A slice SLO's own series: each minute a good slice (the history's error share is under 5%).
    sliced = [own for (own, *_), slo in zip(series, slos) if slo.slices is not None]
    times = range(history.start + 5 * SCRAPE, history.start + history.minutes * SCRAPE + 1, step)
    for name, value in ((c.SLICE_ERROR, "0"), (c.SLICES_BAD_HOUR, "0"), (c.SLICES_COUNTED_HOUR, "60")):
        yield f"# TYPE {name} gauge\n"
        for own in sliced:
            yield from (f"{name}{{{own}}} {value} {t}\n" for t in times)
    # A calendar SLO's 5m rates again, labelled with the start of the period they fall in (emit/calendar_rules.py).
    for name, bad_ones in ((c.PERIOD_EVENTS_BAD, True), (c.PERIOD_EVENTS_TOTAL, False)):
        yield f"# TYPE {name} gauge\n"
        for (own, _, total, bad), slo in zip(series, slos):
            if slo.calendar is None:
                continue
            for t in times:
                start = calendar.period_bounds(slo.calendar, slo.timezone, t)[0]
                value = (bad if bad_ones else total)[(t - history.start) // SCRAPE]
                yield f'{name}{{{own},{c.LABEL_PERIOD}="{start}"}} {value:.6g} {t}\n'
    for name in names:
        yield f"# TYPE {name} gauge\n"
        for own, sloth, total, bad in series:
            for t in times:
                m = (t - history.start) // SCRAPE
                if name == names[0]:
                    yield f"{name}{{{own}}} {bad[m]:.6g} {t}\n"
                elif name == names[1]:
                    yield f"{name}{{{own}}} {total[m]:.6g} {t}\n"
                else:
                    yield f"{name}{{{sloth}}} {bad[m] / total[m]:.6g} {t}\n"


def _rates(counts: list[float]) -> list[float]:
    """Per second over the 5 minutes before each minute."""
    return [sum(counts[max(m - 5, 0):m]) / 300 if m else 0.0 for m in range(len(counts))]


def sloth_rules(program) -> dict:
    """The baseline: Sloth's documented rule shape for the same SLOs."""
    groups = []
    for service in program.services:
        for slo in service.slos:
            if slo.is_composite:
                continue
            by = f" by ({', '.join(slo.group_by)})" if slo.group_by else ""
            ident = {"sloth_id": slo.id, "sloth_service": service.name, "sloth_slo": slo.name}
            indicator = slo.indicator
            sli = []
            for window in SLOTH_WINDOWS:
                if slo.indicator.kind == "threshold":
                    metric = indicator.metric.text
                    total = f"(sum{by}(count_over_time({metric}[{window}])))"
                    errors = f"({total} - sum{by}(sum_over_time({metric}[{window}])))"
                elif slo.name == "latency":
                    hist = indicator.histogram.text
                    total = f'sum{by}(rate({queries.with_matcher(hist, "le", "+Inf")}[{window}]))'
                    errors = f"({total} - sum{by}(rate({queries.with_le(hist, indicator.le)}[{window}])))"
                else:
                    errors = f"(sum{by}(rate({indicator.errors.text}[{window}])))"
                    total = f"(sum{by}(rate({indicator.total.text}[{window}])))"
                sli.append({"record": f"slo:sli_error:ratio_rate{window}", "expr": f"{errors}\n/\n{total}",
                            "labels": {**ident, "sloth_window": window}})
            selector = f'slo:sli_error:ratio_rate5m{{sloth_id="{slo.id}", sloth_service="{service.name}", sloth_slo="{slo.name}"}}'
            sli.append({"record": "slo:sli_error:ratio_rate30d",
                        "expr": f"sum_over_time({selector}[30d])\n/ ignoring (sloth_window)\ncount_over_time({selector}[30d])",
                        "labels": {**ident, "sloth_window": "30d"}})
            sel = f'{{sloth_id="{slo.id}", sloth_service="{service.name}", sloth_slo="{slo.name}"}}'
            budget = 1 - float(slo.objective)
            meta = [
                {"record": "slo:objective:ratio", "expr": f"vector({float(slo.objective)})", "labels": ident},
                {"record": "slo:error_budget:ratio", "expr": f"vector(1-{float(slo.objective)})", "labels": ident},
                {"record": "slo:time_period:days", "expr": "vector(30)", "labels": ident},
                {"record": "slo:current_burn_rate:ratio",
                 "expr": f"slo:sli_error:ratio_rate5m{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
                         f"slo:error_budget:ratio{sel}", "labels": ident},
                {"record": "slo:period_burn_rate:ratio",
                 "expr": f"slo:sli_error:ratio_rate30d{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
                         f"slo:error_budget:ratio{sel}", "labels": ident},
                {"record": "slo:period_error_budget_remaining:ratio", "expr": f"1 - slo:period_burn_rate:ratio{sel}",
                 "labels": ident},
                {"record": "sloth_slo_info", "expr": "vector(1)", "labels": {**ident, "sloth_version": "bench"}},
            ]
            alerts = []
            for severity in ("page", "ticket"):
                pairs = [f"(\n  max(slo:sli_error:ratio_rate{short}{sel} > ({burn} * {budget:.6g})) without (sloth_window)\n"
                         f"  and\n  max(slo:sli_error:ratio_rate{long}{sel} > ({burn} * {budget:.6g})) without (sloth_window)\n)"
                         for sev, burn, long, short in PAIRS if sev == severity]
                alerts.append({"alert": f"{slo.id}-{severity}", "expr": "\nor\n".join(pairs),
                               "labels": {"severity": severity, "sloth_severity": severity}})
            groups += [{"name": f"sloth-slo-sli-recordings-{slo.id}", "rules": sli},
                       {"name": f"sloth-slo-meta-recordings-{slo.id}", "rules": meta},
                       {"name": f"sloth-slo-alerts-{slo.id}", "rules": alerts}]
    return {"groups": groups}


CONFIG = """global:
  evaluation_interval: {interval}s
rule_files:
{files}
scrape_configs:
  # The synthetic targets, all served by the benchmark's exporter: a path per target.
  - job_name: bench
    scrape_interval: {scrape}s
    static_configs:
{targets}
    relabel_configs:
      - source_labels: [__address__]
        target_label: instance
      - source_labels: [__address__]
        target_label: __metrics_path__
        replacement: /t/$1
      - target_label: __address__
        replacement: {exporter}
"""


class Exporter:
    """Serves every synthetic target's counters as they are now, on 127.0.0.1, until `stop()`."""

    def __init__(self, history: History) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = history.exposition(self.path.removeprefix("/t/"), time.time()).encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def static_configs(history: History) -> str:
    """One static config per service: its instances' addresses, with the service as job."""
    return "".join(
        f"      - targets: {json.dumps([history.address(s, i) for i in range(history.instances)])}\n"
        f"        labels: {{job: {service}}}\n"
        for s, service in enumerate(history.services))


def start(binary: str, data: Path, directory: Path, files: list[Path], history: History, exporter: Exporter,
          options) -> server.Server:
    """A server with the rules in `files`, scraping the exporter's targets."""
    listing = "".join(f"  - {json.dumps(str(f))}\n" for f in files) or "  []\n"
    config = CONFIG.format(interval=options.interval, files=listing, scrape=options.scrape,
                           targets=static_configs(history), exporter=exporter.address)
    # Server fills in {port}: every other brace is the config's own.
    return server.Server(binary, data, directory, config.replace("{", "{{").replace("}", "}}"))


def warm_up(binary: str, data: Path, directory: Path, history: History, exporter: Exporter, options) -> float:
    """Scrape, without rules, until the 5m windows hold live samples only: both rule sets then start alike.
    Returns the cores the server kept busy over the second half: scraping alone."""
    running = start(binary, data, directory, [], history, exporter, options)
    try:
        time.sleep(options.warmup * 30)
        mark = cpu_mark(running)
        time.sleep(options.warmup * 30)
        return cores_since(running, mark)
    finally:
        running.stop()


def cpu_mark(running: server.Server) -> tuple[float, float]:
    """The server's own CPU seconds so far, and when."""
    return process_cpu(running.process.pid), time.monotonic()


def cores_since(running: server.Server, mark: tuple[float, float]) -> float:
    """The cores the server kept busy since `mark`."""
    seconds, at = cpu_mark(running)
    return (seconds - mark[0]) / (at - mark[1])


def measure(binary: str, data: Path, directory: Path, files: list[Path], history: History, exporter: Exporter,
            options) -> tuple[dict, dict, dict, float]:
    """Start prometheus with `files`, sample /api/v1/rules for a phase's minutes, stop it: the raw samples,
    and the cores the server kept busy from its first half interval on (start-up left out)."""
    running = start(binary, data, directory, files, history, exporter, options)
    cpu_from: tuple[float, float] | None = None
    seen: dict[str, dict[str, float]] = {}
    rules: dict[tuple[str, str, str], list[float]] = {}
    spans: dict[str, float] = {}
    # A group's first evaluation after the start reads cold blocks and caches (a
    # constant rule took 100 ms there): it is left out, the group's and its rules'.
    first: dict[str, str] = {}
    try:
        minutes = max(options.rounds // options.phases, 1)
        deadline = time.monotonic() + minutes * 60
        while time.monotonic() < deadline:
            time.sleep(options.interval / 2)
            cpu_from = cpu_from or cpu_mark(running)
            with urllib.request.urlopen(running.url + "/api/v1/rules", timeout=30) as answer:
                body = json.load(answer)
            for group in body["data"]["groups"]:
                if group.get("lastEvaluation", "").startswith("0001"):
                    continue  # not evaluated yet
                if first.setdefault(group["name"], group["lastEvaluation"]) == group["lastEvaluation"]:
                    continue
                new = group["lastEvaluation"] not in seen.get(group["name"], {})
                seen.setdefault(group["name"], {})[group["lastEvaluation"]] = group["evaluationTime"]
                spans[group["name"]] = group["interval"]
                for rule in group["rules"] if new else ():
                    # A group holds several SLOs' rules of one name: their labels tell them apart.
                    key = (group["name"], rule["name"], json.dumps(rule.get("labels", {}), sort_keys=True))
                    rules.setdefault(key, []).append(rule.get("evaluationTime", 0.0))
        assert cpu_from is not None
        cores = cores_since(running, cpu_from)
        # Every target up at every scrape of the phase, not only at its end.
        query = urllib.parse.quote(f"count(min_over_time(up[{minutes}m]) == 1)")
        with urllib.request.urlopen(f"{running.url}/api/v1/query?query={query}", timeout=30) as answer:
            up = json.load(answer)["data"]["result"]
        expected = len(history.services) * history.instances
        if not up or int(up[0]["value"][1]) != expected:
            raise SystemExit(f"{up and up[0]['value'][1] or 0} of {expected} targets up: see {directory / 'prometheus.log'}")
    finally:
        running.stop()
    return {name: [times[k] for k in sorted(times)] for name, times in seen.items()}, rules, spans, cores


CONTROL_GROUPS = 12


def control_rules(groups: int) -> dict:
    """Groups of one constant rule each: what a group's evaluation costs whatever its rules read."""
    return {"groups": [{"name": f"control-{i}", "rules": [{"record": "bench_control", "expr": "vector(1)",
                                                          "labels": {"control": str(i)}}]}
                       for i in range(groups)]}


def summary(phases: list[tuple[dict, dict, dict, float]]) -> dict:
    """Medians over every phase's samples of one rule set; the control groups' median is the fixed cost
    taken off each group's evaluation for the net cost."""
    seen: dict[str, list[float]] = {}
    rules: dict[tuple[str, str, str], list[float]] = {}
    spans: dict[str, float] = {}
    control: list[float] = []
    for times, by_rule, intervals, _ in phases:
        for name, values in times.items():
            (control if name.startswith("control-") else seen.setdefault(name, [])).extend(values)
        for name, values in by_rule.items():
            if not name[0].startswith("control-"):
                rules.setdefault(name, []).extend(values)
        spans.update(intervals)
    fixed = statistics.median(control) if control else 0.0
    medians = {name: statistics.median(values) for name, values in seen.items()}
    return {
        "groups": len(medians),
        "evaluations": sum(len(t) for t in seen.values()),
        "cost": sum(medians[n] / spans[n] for n in medians),
        "net": sum(max(medians[n] - fixed, 0.0) / spans[n] for n in medians),
        "fixed": fixed,
        "slowest": max(medians.values(), default=0.0),
        "total_ms": sum(medians.values()) * 1000,
        "by_rule": _by_rule(rules),
        "cpu": statistics.mean(cores for *_, cores in phases),
    }


def _by_rule(rules: dict[tuple[str, str, str], list[float]]) -> list[tuple[float, str]]:
    """The five costliest rule names: median evaluation time, summed over the SLOs (rules with their own labels)."""
    totals: dict[str, float] = {}
    for (_, name, _), times in rules.items():
        totals[name] = totals.get(name, 0.0) + statistics.median(times)
    return sorted(((seconds, name) for name, seconds in totals.items()), reverse=True)[:5]


def run(options, workdir: Path) -> list[str]:
    binary, promtool = server.find_binaries()
    if not binary or not promtool:
        raise SystemExit("bench/rules.py needs prometheus and promtool (apt-get install prometheus)")
    specs = workdir / "specs"
    specs.mkdir()
    # The history ends now; from then on the server scrapes the same counters
    # from the exporter, as a production server would, so its rules read
    # fresh samples and write theirs to the head.
    history = History(options.services, options.instances, options.routes, options.minutes,
                      int(time.time()) // 60 * 60)
    for service in history.services:
        for copy in range(options.copies):
            name = f"{service}-copy{copy}" if copy else service
            (specs / f"{name}.slo").write_text(spec_text(name, service), encoding="utf-8")
    program = load([str(specs)]).program
    assert program is not None, "the bench specs do not compile"
    slos = sum(len(s.slos) for s in program.services)
    rules = workdir / "rules"
    rules.mkdir()
    ours = []
    for path, text in rules_files(program).items():
        target = rules / Path(path).name
        target.write_text(text, encoding="utf-8")
        ours.append(target)
    baseline = rules / "sloth.yml"
    baseline.write_text(yaml.safe_dump(sloth_rules(program), sort_keys=False), encoding="utf-8")
    for path in ours + [baseline]:
        subprocess.run([promtool, "check", "rules", str(path)], check=True, capture_output=True)

    def lines():
        for line in history.raw():
            yield line
        yield from recorded(history, program, options.interval)
        yield "# EOF\n"

    if options.engine == "victoriametrics":
        return run_victoria(options, workdir, ours, baseline, history, lines, slos)
    started = time.monotonic()
    data = server.build_tsdb(workdir, promtool, lines())
    loaded = time.monotonic() - started
    raw_series = len(history.services) * options.instances * options.routes * (len(CODES) + len(BUCKETS))
    # Alternating phases, so that other load on the machine weighs on both rule sets alike.
    sets = (("slocompiler", ours), ("Sloth-shaped baseline", [baseline]))
    phases: dict[str, list] = {label: [] for label, _ in sets}
    # Beside each rule set, on the same server and load: what any group's
    # evaluation costs, whatever its rules read.
    control = rules / "control.yml"
    control.write_text(yaml.safe_dump(control_rules(CONTROL_GROUPS)), encoding="utf-8")
    exporter = Exporter(history)
    try:
        scraping = warm_up(binary, data, workdir, history, exporter, options)
        for phase in range(options.phases):
            # Each rule set goes first in every other turn: neither always follows the other's writes.
            for label, files in sets if phase % 2 == 0 else reversed(sets):
                phases[label].append(measure(binary, data, workdir, files + [control], history, exporter, options))
    finally:
        exporter.stop()
    results = {label: summary(samples) for label, samples in phases.items()}
    out = [
        f"machine: {machine()}",
        f"{len(history.services)} services, {slos} SLOs, {raw_series} raw series, "
        f"{options.minutes / 1440:.2f} days at a {SCRAPE}s scrape interval (history + TSDB: {loaded:.0f}s), then scraped "
        f"every {options.scrape}s; evaluation_interval {options.interval}s, {options.rounds} minutes per rule set "
        f"in {options.phases} alternating phases, after {options.warmup} min of scraping alone",
        f"{'rule set':<22} {'groups':>6} {'evals':>6} {'cost':>8} {'per SLO':>9} {'net cost':>9} {'slowest group':>14} {'sum of medians':>15} {'server CPU':>11}",
    ]
    for label, r in results.items():
        out.append(f"{label:<22} {r['groups']:>6} {r['evaluations']:>6} {r['cost']:>8.4f} {r['cost'] / slos:>9.5f} "
                   f"{r['net']:>9.4f} {r['slowest'] * 1000:>12.1f}ms {r['total_ms']:>13.1f}ms {r['cpu']:>11.4f}")
    for label, r in results.items():
        out.append(f"{label}, costliest rules (median ms per evaluation, summed over SLOs): "
                   + ", ".join(f"{name} {seconds * 1000:.1f}" for seconds, name in r["by_rule"]))
    ours, theirs = results["slocompiler"], results["Sloth-shaped baseline"]
    out.append(f"fixed cost of a group's evaluation ({CONTROL_GROUPS} groups of one constant rule beside each rule set): "
               f"{ours['fixed'] * 1000:.1f}ms beside ours, {theirs['fixed'] * 1000:.1f}ms beside the baseline; "
               f"net cost = cost with it taken off every evaluation")
    out.append(f"server CPU: the cores the whole server process kept busy, scraping and the "
               f"control groups included, the same beside both rule sets; scraping alone, without rules: {scraping:.4f}")
    out.append(f"slocompiler / baseline: {ours['cost'] / theirs['cost']:.3f}, net {ours['net'] / theirs['net']:.3f} "
               f"(target: at most 0.2)")
    return out


def group_intervals(files: list[Path], default: int) -> dict[str, float]:
    """{group name: its evaluation interval in seconds}, from the rules files (`interval`, else `default`)."""
    from slocompiler.core.units import parse_duration_ms

    found: dict[str, float] = {}
    for path in files:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            found[group["name"]] = parse_duration_ms(group["interval"])[0] / 1000 if "interval" in group else default
    return found


def run_victoria(options, workdir: Path, ours: list[Path], baseline: Path, history: History, lines, slos: int) -> list[str]:
    """`--engine victoriametrics`: each rule set in its own vmalert against one VictoriaMetrics (bench/rules_vm.py)."""
    import shutil

    import rules_vm
    import victoria

    binary, vmalert = victoria.find_binaries()
    if not binary or not vmalert:
        raise SystemExit("--engine victoriametrics needs victoria-metrics and vmalert (apt-get install victoria-metrics)")
    control = workdir / "rules" / "control.yml"
    control.write_text(yaml.safe_dump(control_rules(CONTROL_GROUPS)), encoding="utf-8")
    checked = subprocess.run([vmalert, "-dryRun", *(f"-rule={p}" for p in ours + [baseline, control])],
                             capture_output=True, text=True, check=False)
    if checked.returncode:
        raise SystemExit(f"vmalert -dryRun refused the rules: {checked.stdout[-1000:]}{checked.stderr[-1000:]}")
    sets = (("slocompiler", ours), ("Sloth-shaped baseline", [baseline]))
    phases: dict[str, list] = {label: [] for label, _ in sets}
    exporter = Exporter(history)
    config = CONFIG.format(interval=options.interval, files="  []\n", scrape=options.scrape,
                           targets=static_configs(history), exporter=exporter.address)
    try:
        started = time.monotonic()
        storage = rules_vm.start_storage(binary, workdir, config, lines())
        loaded = time.monotonic() - started
        version = victoria_version(storage.url)
        try:
            time.sleep(options.warmup * 30)
            scraping = rules_vm.scraping_alone(storage, options.warmup * 30)
            minutes = max(options.rounds // options.phases, 1)
            for phase in range(options.phases):
                for label, files in sets if phase % 2 == 0 else reversed(sets):
                    medians, cores = rules_vm.measure(vmalert, storage, files + [control], workdir,
                                                      f"vmalert-{phase}-{label.split()[0]}", minutes, options.interval)
                    spans = group_intervals(files + [control], options.interval)
                    phases[label].append(({g: [m] for g, m in medians.items()}, {}, spans, cores))
        finally:
            storage.stop()
    finally:
        exporter.stop()
    shutil.rmtree(workdir / "vm-data", ignore_errors=True)
    out = [
        f"machine: {machine()}",
        f"engine: VictoriaMetrics single node and vmalert ({version}); {len(history.services)} services, "
        f"{slos} SLOs, {options.minutes / 1440:.2f} days of history at a {SCRAPE}s scrape interval (imported in "
        f"{loaded:.0f}s), then scraped every {options.scrape}s; -evaluationInterval {options.interval}s, {options.rounds} "
        f"minutes per rule set in {options.phases} alternating phases, after {options.warmup} min of scraping alone",
        f"{'rule set':<22} {'groups':>6} {'cost':>8} {'per SLO':>9} {'net cost':>9} {'slowest group':>14} "
        f"{'vmalert CPU':>12} {'VM CPU':>8} {'VM net':>8}",
    ]
    results = {}
    for label, samples in phases.items():
        r = summary([(times, by_rule, spans, 0.0) for times, by_rule, spans, _ in samples])
        vmalert_cpu = sum(cores["vmalert"] for *_, cores in samples) / len(samples)
        vm_cpu = sum(cores["victoria-metrics"] for *_, cores in samples) / len(samples)
        results[label] = r | {"vmalert": vmalert_cpu, "vm": vm_cpu}
        out.append(f"{label:<22} {r['groups']:>6} {r['cost']:>8.4f} {r['cost'] / slos:>9.5f} {r['net']:>9.4f} "
                   f"{r['slowest'] * 1000:>12.1f}ms {vmalert_cpu:>12.4f} {vm_cpu:>8.4f} {vm_cpu - scraping:>8.4f}")
    ours_r, theirs = results["slocompiler"], results["Sloth-shaped baseline"]
    out.append(f"cost: sum over groups of the median iteration time (vmalert_iteration_duration_seconds) / interval; "
               f"net: less the median of {CONTROL_GROUPS} groups of one constant rule ({ours_r['fixed'] * 1000:.1f}ms "
               f"beside ours, {theirs['fixed'] * 1000:.1f}ms beside the baseline)")
    out.append(f"CPU: cores kept busy, control groups included; VM net: less VictoriaMetrics scraping alone ({scraping:.4f})")
    ratio = (ours_r["vmalert"] + ours_r["vm"] - scraping) / max(theirs["vmalert"] + theirs["vm"] - scraping, 1e-9)
    out.append(f"slocompiler / baseline: cost {ours_r['cost'] / theirs['cost']:.3f}, net {ours_r['net'] / theirs['net']:.3f}, "
               f"vmalert + VM net CPU {ratio:.3f}")
    return out


def victoria_version(url: str) -> str:
    """The running VictoriaMetrics' version, from its `vm_app_version` metric (`-version` prints nothing in 1.79)."""
    import re
    import shutil

    with urllib.request.urlopen(url + "/metrics", timeout=30) as answer:
        found = re.search(r'vm_app_version\{[^}]*version="([^"]+)"', answer.read().decode())
    if found and found[1]:
        return found[1]
    # Debian's build leaves it empty: the package's version, where there is one.
    package = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "victoria-metrics"], capture_output=True, text=True,
                             check=False) if shutil.which("dpkg-query") else None
    return f"package {package.stdout}" if package and package.returncode == 0 and package.stdout else "version unknown"


def main(argv: list[str] | None = None) -> int:
    """Parse options, measure in a temporary directory, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=4)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--routes", type=int, default=12)
    parser.add_argument("--minutes", type=int, default=3 * 1440 + 120, help="history length at a 1m scrape")
    parser.add_argument("--interval", type=int, default=60, help="the server's evaluation_interval, seconds")
    parser.add_argument("--scrape", type=int, default=15, help="the live scrape interval, seconds")
    parser.add_argument("--rounds", type=int, default=4, help="minutes of sampling per rule set")
    parser.add_argument("--phases", type=int, default=1, help="alternations of the two rule sets")
    parser.add_argument("--warmup", type=int, default=5, help="minutes of scraping before the first rule set")
    parser.add_argument("--copies", type=int, default=1, help="SLOs per service and kind, on the same traffic (a busier server)")
    parser.add_argument("--small", action="store_true", help="a smoke test: 2 services, 2 instances, 2 routes, 1 day")
    parser.add_argument("--engine", choices=("prometheus", "victoriametrics"), default="prometheus",
                        help="prometheus: its own rule evaluation; victoriametrics: vmalert against VictoriaMetrics")
    options = parser.parse_args(argv)
    if options.small:
        options.services, options.instances, options.routes, options.minutes, options.rounds = 2, 2, 2, 1440, 3
        options.phases, options.warmup = 1, 1
    with tempfile.TemporaryDirectory(prefix="slo-bench-rules-") as workdir:
        for line in run(options, Path(workdir)):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
