"""What calendar SLOs add to history.py's (tests/live/test_calendar_live.py): they read its checkout traffic, days 6 to 10.

The shared server (conftest.py) holds both. history.py's checkout counts are pure functions of the
minute; the eu outage (day 8, 14:00-14:30 UTC, every request failing) spends
a calendar day's budget many times over, and the next day starts afresh:
at 00:00 UTC in UTC, at 23:00 UTC (00:00 CET) in Europe/Berlin.

Besides the raw counters it holds deployed `slo:sli_error:ratio_period`
series around the boundaries: `cal-utc`'s as the rule computes it, and a
stale one for `cal-berlin` (three times the true ratio) that `slo verify`
must report.
"""

from __future__ import annotations

from collections.abc import Iterator

import history

FIRST_MINUTE = 6 * 1440  # the calendar cases read from day 6, 00:00 UTC on
DAY = 86400
UTC_BOUNDARY = history.START + 9 * DAY  # 2023-11-23 00:00 UTC
BERLIN_BOUNDARY = UTC_BOUNDARY - 3600  # 2023-11-23 00:00 CET
# A 23-hour day: Europe/Berlin's 2024-03-31 (clocks go from 02:00 CET to 03:00 CEST), from 23:00 to 22:00 UTC.
DST_START = 1_711_839_600  # 2024-03-30T23:00:00Z
DST_END = 1_711_922_400  # 2024-03-31T22:00:00Z
DST_FIRST = DST_START - 11 * 3600  # the dst_requests counters run from here to DST_LAST, 100 requests a minute
DST_LAST = DST_END + 2 * 3600
DST_OUTAGE = (1_711_879_200, 1_711_879_800)  # 2024-03-31 10:00-10:10 UTC (12:00 CEST): every request fails
DST_RATE = 100.0
RECORDED_SPAN = 3600  # deployed period ratios each minute from an hour before a boundary to an hour after
STALE_FACTOR = 3

SPEC = """\
service cal {
  owner  = "team-shop"
  policy = freeze

  slo utc {
    objective = 99.9%
    window    = calendar day
    indicator ratio {
      errors = `http_requests_total{job="checkout", code=~"5.."}`
      total  = `http_requests_total{job="checkout"}`
    }
  }

  slo berlin {
    objective = 99.9%
    window    = calendar day
    timezone  = "Europe/Berlin"
    indicator ratio {
      errors = `http_requests_total{job="checkout", code=~"5.."}`
      total  = `http_requests_total{job="checkout"}`
    }
  }

  slo slices {
    objective = 99%
    window    = calendar day
    slices { length = 1m  target = 99% }
    indicator ratio {
      errors = `http_requests_total{job="checkout", code=~"5.."}`
      total  = `http_requests_total{job="checkout"}`
    }
  }

  slo dst {
    objective = 99%
    window    = calendar day
    timezone  = "Europe/Berlin"
    indicator ratio {
      errors = `dst_requests_total{code="500"}`
      total  = `dst_requests_total`
    }
  }

  slo dst-slices {
    objective = 99%
    window    = calendar day
    timezone  = "Europe/Berlin"
    slices { length = 1m  target = 99% }
    indicator ratio {
      errors = `dst_requests_total{code="500"}`
      total  = `dst_requests_total`
    }
  }

  slo expr {
    objective = 99.9%
    window    = calendar day
    indicator expr {
      error_ratio = `sum(rate(http_requests_total{job="checkout", code=~"5.."}[$window])) / sum(rate(http_requests_total{job="checkout"}[$window]))`
    }
  }
}

policy freeze {
  when budget_remaining <= 0% {
    action = "Freeze releases"
    blocks = ["release"]
  }
}
"""


def counts(m: int) -> tuple[float, float]:
    """(bad, total) checkout requests in minute m, both regions."""
    return (sum(history.bad_at("checkout", r, m) for r in history.REGIONS),
            sum(history.total_at("checkout", r, m) for r in history.REGIONS))


def dst_counts(m: int) -> tuple[float, float]:
    """(bad, total) dst requests in minute m (history.minute's index)."""
    t = history.START + m * history.STEP
    return (DST_RATE if DST_OUTAGE[0] <= t < DST_OUTAGE[1] else 0.0), DST_RATE


def period_ratio(start: int, at: int, counts=counts) -> float:
    """The error ratio since `start` at `at`, counted by hand as the period rule does.

    The rule adds up the 5m rates recorded each minute from 5 minutes after
    the start (a rate whose 5 minutes began before it is not labelled with
    the period), each the requests of the 5 minutes before it: minute m
    counts once for each such rate whose 5 minutes hold it.
    """
    bad = total = 0.0
    for point in range(history.minute(start) + 5, history.minute(at) + 1):
        for m in range(point - 5, point):
            b, t = counts(m)
            bad += b
            total += t
    if total == 0:
        return 0.0
    return bad / total


def mean_ratio(start: int, at: int) -> float:
    """An `expr` SLO's figure since `start`: the mean of its 5m ratios at each minute in [start + 5m, at], as its rule averages them."""
    ratios = []
    for point in range(history.minute(start) + 5, history.minute(at) + 1):
        window = [counts(m) for m in range(point - 5, point)]
        ratios.append(sum(b for b, _ in window) / sum(t for _, t in window))
    return sum(ratios) / len(ratios)


def bad_slices(start: int, at: int) -> int:
    """Bad 1m slices (error ratio above 1%) ending at each minute of every whole hour in [start + 1h, at].

    The 1m slice ending at minute e holds the requests of minute e - 1; the
    hourly counts at the whole hours h in [start + 1h, at] (an hour all in
    the period) hold the slices ending in (h - 1h, h].
    """
    hours = range(-(-(history.minute(start) + 60) // 60) * 60, history.minute(at) + 1, 60)
    count = 0
    for hour in hours:
        for end in range(hour - 59, hour + 1):
            bad, total = counts(end - 1)
            count += bad / total > 0.01
    return count


def _deployed() -> Iterator[str]:
    from slocompiler.core.conventions import LABEL_SERVICE, LABEL_SLO, LABEL_SLO_ID, PERIOD_RATIO

    for slo, boundary, factor in (("utc", UTC_BOUNDARY, 1), ("berlin", BERLIN_BOUNDARY, STALE_FACTOR)):
        labels = f'{LABEL_SLO_ID}="cal-{slo}",{LABEL_SERVICE}="cal",{LABEL_SLO}="{slo}"'
        for t in range(boundary - RECORDED_SPAN, boundary + RECORDED_SPAN + 1, history.STEP):
            start = boundary if t >= boundary else boundary - DAY
            yield f"{PERIOD_RATIO}{{{labels}}} {period_ratio(start, t) * factor!r} {t}\n"


def openmetrics() -> Iterator[str]:
    """history.py's whole history, then this one's deployed period ratios and DST counters, ending with `# EOF`.

    One server per test run (conftest.py): history.py's checkout counters
    are the ones the calendar SLOs read.
    """
    for line in history.openmetrics():
        if line != "# EOF\n":
            yield line
    yield from _deployed()
    yield "# TYPE dst_requests counter\n"
    first, last = history.minute(DST_FIRST), history.minute(DST_LAST)
    for code, index in (("200", None), ("500", 0)):
        def per_minute(m, index=index):
            bad, total = dst_counts(first + m)
            return total - bad if index is None else bad
        value = 0.0
        for m in range(last - first + 1):
            yield f'dst_requests_total{{code="{code}"}} {value!r} {DST_FIRST + m * history.STEP}\n'
            value += per_minute(m)
    yield "# EOF\n"
