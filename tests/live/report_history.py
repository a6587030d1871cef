"""Four months of history for `slo report` (tests/live/test_report_live.py), in the shared server's TSDB.

June to September 2024, one sample a minute, constant traffic: every count
is a pure function of the minute, so the tests compute the expected SLIs,
budgets and page shares here, independently of the code under test. The
series are `report_requests_total` (no other test reads them), three jobs:

- `rpt-api` (99.9%, SLA 99.5%): 0.02% errors, and in September three
  outages in which every request fails: 20 minutes on the 10th from 14:00 UTC
  (a daytime page), 10 minutes on the 20th from 02:00 UTC (a night page), and
  2 minutes on the 25th from 19:00 UTC (a noisy page: over within 6 minutes;
  21:00 in Europe/Berlin, out of hours there).
- `rpt-search` (99%): 0.03% errors every month: a quarter of the budget is
  never spent, the objective could be 99.95%.
- `rpt-legacy` (99.99%): 0.02% errors every month: missed each time.
"""

from __future__ import annotations

from collections.abc import Iterator

START = 1_717_113_600  # 2024-05-31T00:00:00Z: a day before June, for the first 5m rates
END = 1_727_744_400  # 2024-10-01T01:00:00Z
STEP = 60
MINUTES = (END - START) // STEP
JUNE, JULY, AUGUST, SEPTEMBER, OCTOBER = 1_717_200_000, 1_719_792_000, 1_722_470_400, 1_725_148_800, 1_727_740_800

RATE = {"rpt-api": 1000.0, "rpt-search": 500.0, "rpt-legacy": 200.0}  # requests per minute
BASE = {"rpt-api": 0.0002, "rpt-search": 0.0003, "rpt-legacy": 0.0002}  # error ratio outside outages
DAY = 86400
# (job, first failing minute's Unix time, minutes): every request fails.
OUTAGES = (
    ("rpt-api", SEPTEMBER + 9 * DAY + 14 * 3600, 20),
    ("rpt-api", SEPTEMBER + 19 * DAY + 2 * 3600, 10),
    ("rpt-api", SEPTEMBER + 24 * DAY + 19 * 3600, 2),
)

SPEC = """\
service api {
  owner  = "team-a"
  oncall = "a-primary"

  slo availability {
    objective = 99.9%
    sla       = 99.5%
    window    = 30d
    indicator ratio {
      errors = `report_requests_total{job="rpt-api", code="500"}`
      total  = `report_requests_total{job="rpt-api"}`
    }
  }
}

service search {
  owner  = "team-a"
  oncall = "a-primary"

  slo availability {
    objective = 99%
    window    = 30d
    indicator ratio {
      errors = `report_requests_total{job="rpt-search", code="500"}`
      total  = `report_requests_total{job="rpt-search"}`
    }
  }
}

service legacy {
  owner  = "team-b"
  oncall = "b-rotation"

  slo availability {
    objective = 99.99%
    window    = 30d
    indicator ratio {
      errors = `report_requests_total{job="rpt-legacy", code="500"}`
      total  = `report_requests_total{job="rpt-legacy"}`
    }
  }
}
"""


def minute_of(t: int) -> int:
    """The index of the minute starting at Unix time t."""
    return (t - START) // STEP


def bad_at(job: str, m: int) -> float:
    """Failed requests in minute m."""
    t = START + m * STEP
    for o_job, first, minutes in OUTAGES:
        if o_job == job and first <= t < first + minutes * STEP:
            return RATE[job]
    return RATE[job] * BASE[job]


def total_at(job: str, m: int) -> float:
    """Requests in minute m."""
    return RATE[job]


def rate_5m(counts, t: int) -> float:
    """What a 5m rate at a whole minute t sums (times 300): the counts of the five minutes before t."""
    last = minute_of(t)
    return sum(counts(m) for m in range(last - 5, last))


def period_sums(job: str, frm: int, to: int) -> tuple[float, float]:
    """(bad, total) as the report sums them from `frm` to `to`: the 5m rates at each whole minute in
    [frm + 3m, to + 2m], each covering the five minutes before it (the windows centred on the bounds)."""
    bad = total = 0.0
    for t in range(frm + 180, to + 120 + 1, STEP):
        bad += rate_5m(lambda m: bad_at(job, m), t)
        total += rate_5m(lambda m: total_at(job, m), t)
    return bad, total


def fired(replay: dict, severity: str) -> list[list[int]]:
    """One `slo backtest --format json` replay's fired intervals of a severity, merged across its alerts as the report
    merges them (intervals a minute apart are one)."""
    merged: list[list[int]] = []
    for first, last in sorted(tuple(i) for alert in replay["alerts"] if alert["severity"] == severity
                              for i in alert["fired"]):
        if merged and first <= merged[-1][1] + STEP:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged


def events(job: str, frm: int, to: int) -> tuple[float, float]:
    """(bad, total) events of the minutes from `frm` to `to`, counted one by one."""
    minutes = range(minute_of(frm), minute_of(to))
    return sum(bad_at(job, m) for m in minutes), sum(total_at(job, m) for m in minutes)


def openmetrics() -> Iterator[str]:
    """The counters, without `# EOF` (conftest.py appends them to the shared history)."""
    yield "# TYPE report_requests counter\n"
    for job in RATE:
        for code in ("200", "500"):
            value = 0.0
            lines = []
            for m in range(MINUTES + 1):
                lines.append(f'report_requests_total{{job="{job}",code="{code}"}} {value!r} {START + m * STEP}\n')
                bad = bad_at(job, m)
                value += bad if code == "500" else RATE[job] - bad
            yield from lines
