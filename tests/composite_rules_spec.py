"""Composite SLOs (issue 25) for the rules' tests: a weighted sum over a grouped member (`when_no_data = bad`),
an `aggregate = worst`, and a slice composite, over members whose windows differ from the composites'."""

from __future__ import annotations

import contextlib
import tempfile
from functools import cache
from pathlib import Path

from slocompiler.core.ir import Program, Service

SPEC = """
service shop {
  owner = "team-shop"

  slo availability {
    objective = 99.9%
    window    = 30d
    indicator ratio {
      errors = `shop_requests_total{code=~"5.."}`
      total  = `shop_requests_total`
    }
  }
  slo payments {
    objective = 99%
    window    = 28d
    group_by  = [region]
    indicator ratio {
      errors = `sum by (region) (rate(shop_payments_total{outcome="failed"}[$window]))`
      total  = `sum by (region) (rate(shop_payments_total[$window]))`
    }
  }
  slo uptime {
    objective = 99%
    window    = 7d
    slices { length = 5m target = 95% }
    indicator ratio {
      errors = `shop_probe_total{ok="false"}`
      total  = `shop_probe_total`
    }
  }
  slo status {
    objective = 99%
    window    = 7d
    slices { length = 5m target = 90% }
    indicator ratio {
      errors = `shop_status_total{ok="false"}`
      total  = `shop_status_total`
    }
  }
}

service journeys {
  owner = "team-journeys"

  slo checkout {
    objective = 99.5%
    window    = 30d
    composite {
      shop-availability { weight = 1 }
      shop-payments     { weight = 2  when_no_data = bad }
    }
  }
  slo worst {
    objective = 99%
    window    = 30d
    composite {
      shop-availability { }
      shop-payments     { weight = 2  when_no_data = good }
      aggregate = worst
    }
  }
  slo probes {
    objective = 99%
    window    = 7d
    composite {
      shop-uptime { }
      shop-status { }
    }
  }
}
"""

@cache
def program() -> Program:
    """The spec's checked program (loaded from `composite/`)."""
    from slocompiler.workflow.compile import load

    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        Path("composite").mkdir()
        Path("composite/journeys.slo").write_text(SPEC, encoding="utf-8")
        loaded = load(["composite"])
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    return loaded.program


def service(name: str) -> Service:
    return next(s for s in program().services if s.name == name)
