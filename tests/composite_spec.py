"""Composite SLOs and maintenance windows (issue 25) for the static outputs' tests: a shop with a ratio, a
slice and a latency SLO; journeys made of them (sum and worst), with one-off and recurring windows at
service and SLO level. Kept out of tests/*.slo: the Prometheus backend builds no composites yet (h-comp),
and the fmt test builds every spec file there with every target."""

from __future__ import annotations

import contextlib
import tempfile
from functools import cache
from pathlib import Path

SPEC = r"""
service shop {
  owner = "team-shop"

  slo availability {
    objective = 99.9%
    window    = 30d
    indicator ratio {
      errors = `http_requests_total{job="shop", code=~"5.."}`
      total  = `http_requests_total{job="shop"}`
    }
  }

  slo uptime {
    objective = 99.5%
    window    = 30d
    slices { length = 10m target = 95% }
    indicator ratio {
      errors = `http_requests_total{job="shop", code=~"5.."}`
      total  = `http_requests_total{job="shop"}`
    }
  }

  slo latency {
    objective = 99%
    window    = 28d
    indicator latency {
      histogram = `http_request_duration_seconds_bucket{job="shop"}`
      threshold = 300ms
    }
  }
}

service journeys {
  owner = "team-web"
  maintenance db-upgrade { from = "2026-12-05T02:00:00Z" for = 3h }
  maintenance weekly { every = sunday at = "02:00" for = 2h timezone = "Europe/Berlin" }

  slo checkout {
    description = "Cart to paid order \"end to end\" <b>{{ $labels }}</b>"
    objective   = 98%
    composite {
      shop-availability { weight = 1 }
      shop-latency { weight = 1.5 when_no_data = bad }
    }
  }

  slo always-up {
    objective = 99%
    composite {
      shop-uptime { weight = 1 }
    }
  }

  slo browse {
    objective = 99%
    maintenance nightly { every = day at = "23:30" for = 1h30m timezone = "America/New_York" }
    maintenance freeze { from = "2026-12-24T08:00:00Z" for = 1d timezone = "Europe/Berlin" }
    composite {
      shop-availability { weight = 2 }
      journeys-checkout { weight = 1 when_no_data = good }
      shop-uptime { weight = 1 }
      aggregate = worst
    }
  }
}
"""


@cache
def program():
    """The spec's checked program (loaded from a folder `composite/`, so outputs name `composite/journeys.slo`)."""
    from slocompiler.workflow.compile import load

    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        Path("composite").mkdir()
        Path("composite/journeys.slo").write_text(SPEC, encoding="utf-8")
        loaded = load(["composite"])
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    return loaded.program
