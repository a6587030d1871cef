"""Benchmark: `slo status` of 1,000 SLOs against a local Prometheus (the real server on synthetic history).

Run as `python bench/live.py` (1,000 SLOs) or `python bench/live.py --slos 50`.
Needs `prometheus` and `promtool`. Times the installed `slo status` twice:
from the indicators' own series (one query per SLO and window), and with
the generated rules' series deployed (one batched query for all).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "live"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import history  # noqa: E402
import server  # noqa: E402

from bench import machine, measure, median, slo_command  # noqa: E402
from slocompiler.core import conventions as c  # noqa: E402

JOBS = (("checkout", "eu"), ("checkout", "us"), ("payments", "eu"), ("quiet", "eu"))
PER_SERVICE = 50
WINDOWS = (300, 1800, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400)


def specs(directory: Path, slos: int) -> None:
    """`slos` SLOs in services of 50, each reading one job and region of the history."""
    directory.mkdir(parents=True, exist_ok=True)
    for first in range(0, slos, PER_SERVICE):
        service = f"svc{first // PER_SERVICE:03d}"
        blocks = []
        for index in range(first, min(slos, first + PER_SERVICE)):
            job, region = JOBS[index % len(JOBS)]
            blocks.append(f"""  slo s{index:04d} {{
    objective = 99.9%
    window    = 7d
    indicator ratio {{
      errors = `http_requests_total{{job="{job}", region="{region}", code=~"5.."}}`
      total  = `http_requests_total{{job="{job}", region="{region}"}}`
    }}
  }}
""")
        text = f'import "policy.slo"\nservice {service} {{\n  owner = "bench"\n  policy = p\n{"".join(blocks)}}}\n'
        (directory / f"{service}.slo").write_text(text, encoding="utf-8")
    (directory / "policy.slo").write_text(
        'policy p {\n  when budget_remaining <= 0% {\n    action = "Freeze"\n    blocks = ["release"]\n  }\n'
        '  when burn_rate > 2 over 1d { action = "Look" }\n}\n', encoding="utf-8")


def deployed(slos: int):
    """The recorded error ratios of every bench SLO around history.AT, as the generated rules would write them."""
    for window in WINDOWS:
        name = c.error_ratio_rule(window)
        for index in range(slos):
            slo_id = f"svc{index // PER_SERVICE:03d}-s{index:04d}"
            for t in range(history.AT - 300, history.AT + 1, 60):
                yield f'{name}{{{c.LABEL_SLO_ID}="{slo_id}"}} 0.0001 {t}\n'


def lines(slos: int):
    """The history, then the deployed series, in one OpenMetrics file."""
    for line in history.openmetrics():
        if line == "# EOF\n":
            break
        yield line
    yield from deployed(slos)
    yield "# EOF\n"


def run(slos: int, runs: int, workdir: Path) -> list[tuple[str, dict]]:
    """Start the server, time the two ways of `slo status`."""
    binary, promtool = server.find_binaries()
    if not binary or not promtool:
        raise SystemExit("bench/live.py needs prometheus and promtool (apt-get install prometheus)")
    spec_dir = workdir / "specs"
    specs(spec_dir, slos)
    data = server.build_tsdb(workdir, promtool, lines(slos))
    running = server.Server(binary, data, workdir)
    try:
        rows = []
        for label, source in (("from the indicators' series", "raw"), ("from deployed slo:* series", "auto")):
            argv = slo_command("status", str(spec_dir), "--prometheus", running.url, "--at", str(history.AT),
                               "--source", source, "--format", "json")
            rows.append((f"slo status, {label} (median of {runs})", median([measure(argv) for _ in range(runs)])))
        return rows
    finally:
        running.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse options, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slos", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="slo-bench-live-") as workdir:
        rows = run(options.slos, options.runs, Path(workdir))
    print(f"machine: {machine()}")
    width = max(len(name) for name, _ in rows)
    print(f"{'measurement'.ljust(width)}  SLOs  wall s  cpu s  peak RSS MB")
    for name, result in rows:
        print(f"{name.ljust(width)}  {options.slos:>4}  {result['wall']:6.2f}  {result['cpu']:5.2f}  "
              f"{result['rss_kb'] / 1024:11.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
