"""Build a TSDB from history.py and run the real Prometheus server on it (tests and the bench share this)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import history

CONFIG = """global:
  scrape_interval: 2s
scrape_configs:
  # Prometheus scrapes itself so that /api/v1/metadata has entries (blocks hold no metadata).
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{port}"]
"""


def _die_with_parent() -> None:
    """In the child: on Linux, get SIGTERM when the test process dies, so no server outlives a killed run."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere, stop() at the end of the session is all there is


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_tsdb(directory: Path, promtool: str, lines=None) -> Path:
    """Write the OpenMetrics history and turn it into TSDB blocks under directory/data."""
    source = directory / "history.om"
    with source.open("w", encoding="utf-8") as handle:
        handle.writelines(history.openmetrics() if lines is None else lines)
    data = directory / "data"
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=240h",
                    str(source), str(data)], check=True, capture_output=True)
    source.unlink()
    return data


def stop(process: subprocess.Popen, log) -> None:
    """Terminate a server started by a test (killed after 20 s) and close its log."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.close()


class Server:
    """A running `prometheus` on 127.0.0.1; `stop()` ends it."""

    def __init__(self, binary: str, data: Path, directory: Path, config_text: str = CONFIG) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = directory / "prometheus.yml"
        # `config_text` may name `{port}`; bench/rules.py passes one with rule files.
        config.write_text(config_text.format(port=self.port), encoding="utf-8")
        self.log = (directory / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={data}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             # The history is years old; keep every block.
             "--storage.tsdb.retention.time=100y", "--query.lookback-delta=5m"],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )
        self._wait_ready(directory)

    def _wait_ready(self, directory: Path, attempts: int = 600) -> None:
        for _ in range(attempts):
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {(directory / 'prometheus.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("prometheus did not become ready")

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        stop(self.process, self.log)


def find_binaries() -> tuple[str | None, str | None]:
    """Paths of `prometheus` and `promtool`, or None."""
    return shutil.which("prometheus"), shutil.which("promtool")
