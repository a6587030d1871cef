"""A quiet service's history: one request a minute, a few scattered failed requests, and one real outage.

What `min_failures` is for (LANGUAGE.md, "On-call defaults"): each blip pushes
the 1h error ratio of a 99.9% SLO above its 14.4x threshold, so the burn-rate
pairs alone page; with fewer than 10 failures within the hour the rules do
not. The outage fails every request for 30 minutes and pages either way.
tests/live/test_backtest_min_failures.py replays a day of it; `python
tests/live/blips.py [N...]` replays a month for docs/PROMETHEUS.md (with
`--min-failures 0` and with the specs' own, or with each N given).
"""

from __future__ import annotations

from collections.abc import Iterator

ORIGIN = 1_701_000_000  # 2023-11-26 12:00 UTC, where the series begin
STEP = 60
HOUR = 60  # minutes


def day() -> tuple[int, list[int], range]:
    """(minutes, failed minutes, outage minutes) of the test's day: a single, a double two minutes apart, a single, an outage."""
    return 26 * HOUR, [3 * HOUR, 6 * HOUR, 6 * HOUR + 2, 10 * HOUR], range(14 * HOUR, 14 * HOUR + 30)


def month() -> tuple[int, list[int], range]:
    """The docs' month: 30 days, twelve scattered failed requests (two pairs among them), a 30-minute outage on day 20."""
    days = [1, 3, 4, 7, 9, 12, 15, 18, 22, 26]
    failed = [d * 1440 + (d * 397) % 1440 for d in days]  # a different time of day each
    failed += [5 * 1440 + 8 * HOUR + 3, 24 * 1440 + 2 * HOUR + 5]  # the second of two, minutes after the first
    failed += [5 * 1440 + 8 * HOUR, 24 * 1440 + 2 * HOUR]
    return 30 * 1440 + HOUR, sorted(failed), range(20 * 1440 + 9 * HOUR, 20 * 1440 + 9 * HOUR + 30)


def counters(minutes: int, failed: list[int], outage: range) -> dict[str, list[float]]:
    """Each series' samples a minute apart from ORIGIN: the request of minute m is counted in the sample at m + 1."""
    bad = set(failed) | set(outage)
    values: dict[str, list[float]] = {}
    for code in ("200", "500"):
        count, samples = 0.0, []
        for m in range(minutes + 1):
            samples.append(count)
            count += 1.0 if (m in bad) == (code == "500") else 0.0
        values[f'http_requests_total{{job="quiet",code="{code}"}}'] = samples
    return values


def openmetrics(values: dict[str, list[float]]) -> Iterator[str]:
    """The series as OpenMetrics for `promtool tsdb create-blocks-from`."""
    yield "# TYPE http_requests counter\n"
    for series, samples in values.items():
        for m, value in enumerate(samples):
            yield f"{series} {value!r} {ORIGIN + m * STEP}\n"
    yield "# EOF\n"


def _main() -> None:
    """Build the month's TSDB, start Prometheus on it, and print the replays without and with the guard (or at each N of argv)."""
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import server
    from click.testing import CliRunner

    from slocompiler.cli import cli

    binary, promtool = server.find_binaries()
    spec = str(Path(__file__).resolve().parent / "backtest" / "quiet")
    minutes, _, _ = month()
    with tempfile.TemporaryDirectory() as directory:
        running = server.Server(binary, server.build_tsdb(Path(directory), promtool, openmetrics(counters(*month()))),
                                Path(directory))
        try:
            span = ["--from", str(ORIGIN + HOUR * STEP), "--to", str(ORIGIN + minutes * STEP)]
            tried = [["--min-failures", n] for n in sys.argv[1:]] or [["--min-failures", "0"], []]
            for extra in tried:
                args = ["backtest", spec, "--prometheus", running.url, *span, *extra]
                print("$ slo " + " ".join(a if a != running.url else "$URL" for a in args[:1] + ["tests/live/backtest/quiet"] + args[2:]))
                print(CliRunner().invoke(cli, args, catch_exceptions=False).output)
        finally:
            running.stop()


if __name__ == "__main__":
    _main()
