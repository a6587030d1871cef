"""Run the real VictoriaMetrics single-node server and vmalert on 127.0.0.1 (tests and the bench share this).

The flags that matter for tests on old history (docs/ENGINES.md, "VictoriaMetrics' API"):
`-search.latencyOffset=0` (by default the last 30s are hidden from queries),
`-search.disableCache` (results cached before a backfill or a replay would
hide the samples written after) and a retention that keeps years-old samples.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from server import _die_with_parent, free_port, stop

FLAGS = ("-retentionPeriod=100y", "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=ERROR",
         "-search.maxPointsPerTimeseries=30000")


def find_binaries() -> tuple[str | None, str | None]:
    """Paths of `victoria-metrics` and `vmalert`, or None."""
    return shutil.which("victoria-metrics"), shutil.which("vmalert")


def _wait(process: subprocess.Popen, url: str, log: Path, what: str, attempts: int = 600) -> None:
    for _ in range(attempts):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready")


class _Process:
    def __init__(self, command: list[str], log: Path) -> None:
        self.log_path = log
        self.log = log.open("wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        preexec_fn=_die_with_parent)

    def stop(self) -> None:
        """Terminate the process and wait for it."""
        stop(self.process, self.log)


class VictoriaMetrics(_Process):
    """A running single-node `victoria-metrics` with its data in directory/vm-data; `stop()` ends it."""

    def __init__(self, binary: str, directory: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__([binary, f"-storageDataPath={directory / 'vm-data'}", f"-httpListenAddr=127.0.0.1:{self.port}",
                          *FLAGS, *extra], directory / "victoria-metrics.log")
        try:
            _wait(self.process, self.url + "/health", self.log_path, "victoria-metrics")
        except RuntimeError:
            self.stop()
            raise

    def _post(self, path: str, body: bytes = b"") -> None:
        request = urllib.request.Request(self.url + path, data=body, method="POST")
        with urllib.request.urlopen(request, timeout=120) as answer:
            if answer.status // 100 != 2:
                raise RuntimeError(f"victoria-metrics answered {answer.status} to {path}")

    def import_openmetrics(self, lines: Iterable[str], batch: int = 200_000) -> None:
        """Import OpenMetrics lines with timestamps in seconds (history.py's) through /api/v1/import/prometheus.

        That endpoint reads the Prometheus text format, whose timestamps are
        milliseconds; comments (`# TYPE`, `# EOF`) are skipped. Searchable once flushed.
        """
        chunk: list[str] = []
        for line in lines:
            if line.startswith("#"):
                continue
            sample, _, seconds = line.rstrip("\n").rpartition(" ")
            chunk.append(f"{sample} {round(float(seconds) * 1000)}\n")
            if len(chunk) >= batch:
                self._post("/api/v1/import/prometheus", "".join(chunk).encode())
                chunk = []
        if chunk:
            self._post("/api/v1/import/prometheus", "".join(chunk).encode())
        self.flush()

    def flush(self) -> None:
        """Make every sample received so far searchable now (else within a second or so)."""
        self._post("/internal/force_flush")


class Vmalert(_Process):
    """`vmalert` with the given rules files and flags; `run_replay` for a replay that ends by itself."""

    def __init__(self, binary: str, rules: list[Path], directory: Path, name: str, *flags: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__([binary, *(f"-rule={path}" for path in rules), f"-httpListenAddr=127.0.0.1:{self.port}",
                          "-loggerLevel=ERROR", *flags], directory / f"{name}.log")
        try:
            _wait(self.process, self.url + "/health", self.log_path, "vmalert")
        except RuntimeError:
            self.stop()
            raise


def replay(binary: str, rules: list[Path], datasource: str, write_to: str, start: str, end: str,
           *flags: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`vmalert` in replay mode (`-replay.timeFrom/-replay.timeTo`, RFC 3339): evaluates the rules over the
    past and writes recorded series and `ALERTS`/`ALERTS_FOR_STATE` to `write_to`, then exits."""
    command = [binary, *(f"-rule={path}" for path in rules), f"-datasource.url={datasource}",
               f"-remoteWrite.url={write_to}", f"-replay.timeFrom={start}", f"-replay.timeTo={end}",
               "-replay.disableProgressBar", "-loggerLevel=ERROR", *flags]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                          preexec_fn=_die_with_parent)


class Vmagent(_Process):
    """`vmagent` forwarding what it receives (Prometheus remote write) to every URL in `targets`."""

    def __init__(self, binary: str, targets: list[str], directory: Path, name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__([binary, f"-httpListenAddr=127.0.0.1:{self.port}", "-loggerLevel=ERROR",
                          f"-remoteWrite.tmpDataPath={directory / (name + '-queue')}",
                          "-remoteWrite.flushInterval=200ms",
                          *(f"-remoteWrite.url={target}/api/v1/write" for target in targets)],
                         directory / f"{name}.log")
        try:
            _wait(self.process, self.url + "/health", self.log_path, "vmagent")
        except RuntimeError:
            self.stop()
            raise


def replay_rule_by_rule(binary: str, rules: list[Path], storage: VictoriaMetrics, start: str, end: str,
                        directory: Path, *flags: str) -> subprocess.CompletedProcess | None:
    """`replay` of one rule at a time, in file order, every sample flushed before the next rule reads it.

    vmalert's own replay waits `-replay.rulesDelay` (1s) between the rules of
    a group for the last one's results to become searchable; on a busy
    machine that was not always enough, and a chained rule then read
    nothing. Here each rule is a replay of its own group with that rule
    alone (same name and interval: the same labels and times). Returns the
    first failed run, or None.
    """
    import yaml

    count = 0
    for path in rules:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                one = directory / f"replay-{count}.yml"
                one.write_text(yaml.safe_dump({"groups": [{**group, "rules": [rule]}]}, sort_keys=False),
                               encoding="utf-8")
                count += 1
                done = replay(binary, [one], storage.url, storage.url, start, end, "-replay.rulesDelay=0s", *flags)
                if done.returncode:
                    return done
                storage.flush()
    return None
