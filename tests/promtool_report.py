"""Sharing costly `promtool test rules` runs: which checks a run reports failing, and independent runs side by side.

promtool replays history once per test group whatever the number of checks
in it, so tests whose checks read the same rules and series put them in one
group and each asserts on its own checks' failures. A report that is not
made of check failures alone (a rule file promtool cannot load, say) fails
the caller: that is neither a pass nor a failure of any one check.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# `    expr: "<Go-quoted>", time: 2h5m,` (then `err:` on the same line, or exp/got lines).
FAILED_EXPR = re.compile(r'^    expr: ("(?:[^"\\]|\\.)*"), time: ([0-9a-z]+),')
# `    alertname: Name, time: 10m, ` (then exp and got, over many lines).
FAILED_ALERT = re.compile(r"^    alertname: (\S+), time: ([0-9a-z]+), ?$")
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 365 * 86400}


def seconds(duration: str) -> float:
    """Seconds of a Prometheus duration as promtool prints it (`2h5m`) or as written (`125m`, `90s`)."""
    parts = re.findall(r"(\d+)(ms|[smhdwy])", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(int(n) * UNITS[u] for n, u in parts)


def _tail(result: subprocess.CompletedProcess) -> str:
    return result.stdout[-4000:] + result.stderr[-2000:]


def failed_exprs(result: subprocess.CompletedProcess, test_file: str) -> dict[tuple[str, float], str]:
    """(expr, eval time in seconds) -> promtool's report, for every failing promql_expr_test of a run of `test_file`."""
    failed: dict[tuple[str, float], str] = {}
    current = None
    for line in (result.stdout + result.stderr).splitlines():
        match = FAILED_EXPR.match(line)
        if match:
            current = (json.loads(match[1]), seconds(match[2]))
            failed[current] = line
        elif line.startswith(("        exp:", "        got:")) and current is not None:
            failed[current] += "\n" + line
        else:
            assert line.strip() in ("", f"Unit Testing:  {test_file}", "FAILED:"), _tail(result)
    assert (result.returncode != 0) == bool(failed), _tail(result)
    return failed


def failed_alerts(result: subprocess.CompletedProcess) -> list[tuple[str, float, bool]]:
    """(alertname, eval time in seconds, whether no alert was expected) of every failing alert_rule_test."""
    lines = (result.stdout + result.stderr).splitlines()
    failed = []
    for number, line in enumerate(lines):
        match = FAILED_ALERT.match(line)
        if match:
            expected = lines[number + 1].strip() if number + 1 < len(lines) else ""
            assert expected.startswith("exp:"), _tail(result)
            failed.append((match[1], seconds(match[2]), expected.startswith("exp:[]")))
    # Every report names its alert on a line of its own: nothing else failed unseen.
    assert len(failed) == sum(line.startswith("    alertname: ") for line in lines), _tail(result)
    assert (result.returncode != 0) == bool(failed), _tail(result)
    return failed


def run_side_by_side(runs: list[tuple[list[str], Path]], timeout: int = 900) -> list[subprocess.CompletedProcess]:
    """Run independent commands `(argv, cwd)`, as many at once as there are CPUs; their results in order.

    promtool replays history on about one core: independent test files, each
    still run and reported on its own, then take about half the time on two.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    with ThreadPoolExecutor(max(1, min(cpus, len(runs)))) as pool:
        return list(pool.map(lambda run: subprocess.run(run[0], cwd=run[1], capture_output=True, text=True, timeout=timeout), runs))
