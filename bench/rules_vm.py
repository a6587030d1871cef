"""bench/rules.py --engine victoriametrics: the same two rule sets evaluated by vmalert against VictoriaMetrics.

One single-node VictoriaMetrics holds the same history (imported through
/api/v1/import/prometheus) and scrapes the benchmark's exporter from then on
(`-promscrape.config`, the same targets). Each rule set runs in a vmalert of
its own (`-datasource.url` and `-remoteWrite.url` the VictoriaMetrics, as in
production: chained rules read what the rules before them wrote), beside the
control groups. Measured per phase: each group's median iteration time from
vmalert's own `vmalert_iteration_duration_seconds` summary (cost = the sum of
median / interval, as for Prometheus), and the CPU seconds of vmalert and of
VictoriaMetrics (from /proc; VictoriaMetrics' with the CPU it spends on
scraping alone, measured before the first rule set, taken off).
"""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import victoria
from bench import process_cpu

ITERATION = re.compile(r'^vmalert_iteration_duration_seconds\{(?P<labels>[^}]*)\} (?P<value>\S+)$')


def scrape_config(config: str) -> str:
    """The `scrape_configs` part of bench/rules.py's Prometheus config (VictoriaMetrics refuses the rest)."""
    return "scrape_configs:" + config.split("scrape_configs:", 1)[1]


def start_storage(binary: str, workdir: Path, config_text: str, lines) -> victoria.VictoriaMetrics:
    """VictoriaMetrics holding `lines` (OpenMetrics, seconds), scraping the exporter as `config_text` says."""
    config = workdir / "promscrape.yml"
    config.write_text(scrape_config(config_text), encoding="utf-8")
    storage = victoria.VictoriaMetrics(binary, workdir, f"-promscrape.config={config}",
                                       "-search.maxQueryDuration=120s")
    try:
        storage.import_openmetrics(lines)
    except BaseException:
        storage.stop()
        raise
    return storage


def iteration_medians(url: str) -> dict[str, float]:
    """{group: median iteration seconds} from vmalert's /metrics (the summary's 0.5 quantile)."""
    with urllib.request.urlopen(url + "/metrics", timeout=30) as answer:
        text = answer.read().decode()
    medians: dict[str, float] = {}
    for line in text.splitlines():
        found = ITERATION.match(line)
        if not found or 'quantile="0.5"' not in found["labels"]:
            continue
        group = re.search(r'group="([^"]*)"', found["labels"])
        value = float(found["value"])
        if group and value == value:  # NaN: no iteration in the summary's window yet
            medians[group[1]] = value
    return medians


def measure(vmalert: str, storage: victoria.VictoriaMetrics, files: list[Path], workdir: Path, name: str,
            minutes: int, interval: int) -> tuple[dict[str, float], dict[str, float]]:
    """Run vmalert with `files` for `minutes`: each group's median iteration time, and the cores vmalert and
    VictoriaMetrics kept busy from the first half interval on (start-up left out)."""
    rules = victoria.Vmalert(vmalert, files, workdir, name, f"-datasource.url={storage.url}",
                             f"-remoteWrite.url={storage.url}", f"-evaluationInterval={interval}s",
                             # Alerting rules need a notifier; none listens (Prometheus here has none either).
                             "-notifier.url=http://127.0.0.1:1")
    try:
        time.sleep(interval / 2)
        marks = {pid: process_cpu(pid) for pid in (rules.process.pid, storage.process.pid)}
        started = time.monotonic()
        time.sleep(max(minutes * 60 - interval / 2, interval))
        elapsed = time.monotonic() - started
        cores = {"vmalert": (process_cpu(rules.process.pid) - marks[rules.process.pid]) / elapsed,
                 "victoria-metrics": (process_cpu(storage.process.pid) - marks[storage.process.pid]) / elapsed}
        medians = iteration_medians(rules.url)
    finally:
        rules.stop()
    return medians, cores


def scraping_alone(storage: victoria.VictoriaMetrics, seconds: float) -> float:
    """The cores VictoriaMetrics keeps busy scraping, without rules."""
    mark, started = process_cpu(storage.process.pid), time.monotonic()
    time.sleep(seconds)
    return (process_cpu(storage.process.pid) - mark) / (time.monotonic() - started)
