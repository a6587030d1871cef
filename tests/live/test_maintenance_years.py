"""A recurring maintenance window before the rules' table years, as a live command reads it (docs/LIVE.md).

The rules hold the zone's clock changes from `calendar.TABLE_FIRST_YEAR` on;
a report of 2024 tests maintenance through the same PromQL at 2024's
instants, so its table must hold 2024's changes (`maintenance.table_years`).
Checked on the real server against zoneinfo (`maintenance.active_at`).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import UTC, datetime

from slocompiler.core import maintenance
from slocompiler.core.errors import Span
from slocompiler.core.ir import Maintenance

# Sundays 02:30 for 2h in Berlin: CEST (UTC+2) in summer, CET (UTC+1) in winter; 2024's changes on March 31st and
# October 27th, both Sundays (the window of March 31st falls in the hour the clocks skip).
WEEKLY = Maintenance(name="weekly", duration=7200, span=Span("test", 1, 1), every="sunday", at=9000,
                     timezone="Europe/Berlin")


def _active(url: str, expr: str, t: int) -> bool:
    query = urllib.parse.urlencode({"query": expr, "time": t})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as answer:
        return bool(json.load(answer)["data"]["result"])


def _at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_a_weekly_window_in_2024_follows_that_years_clock(prometheus_url):
    span = (_at("2024-01-01T00:00:00"), _at("2024-12-31T00:00:00"))
    expr = maintenance.active_promql([WEEKLY], 0, within=span)
    times = []
    for day in ("2024-01-14", "2024-03-24", "2024-04-07", "2024-07-14", "2024-10-20", "2024-11-03"):
        for clock in ("00:29", "00:31", "01:29", "01:31", "02:29", "02:31", "03:29", "03:31"):
            times.append(_at(f"{day}T{clock}:00"))
    for t in times:
        assert _active(prometheus_url, expr, t) == maintenance.active_at([WEEKLY], t), datetime.fromtimestamp(t, UTC)
    # Summer and winter both seen: 00:31 UTC is in the window in July (02:31 CEST), not in January (01:31 CET).
    assert maintenance.active_at([WEEKLY], _at("2024-07-14T00:31:00"))
    assert not maintenance.active_at([WEEKLY], _at("2024-01-14T00:31:00"))
