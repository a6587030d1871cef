"""Composite SLOs (issue 25) for the rules' tests, built from checked spec text: each composite is an SLO of the
spec made into one (`dataclasses.replace`) until the front end lowers `composite { }` blocks itself."""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import replace
from decimal import Decimal
from functools import cache
from pathlib import Path

from slocompiler.core.errors import Span
from slocompiler.core.ir import CompositeIndicator, Member, Program, Service, Slices

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
    indicator ratio {
      errors = `placeholder_total{code=~"5.."}`
      total  = `placeholder_total`
    }
  }
  slo worst {
    objective = 99%
    window    = 30d
    indicator ratio {
      errors = `placeholder_total{code=~"5.."}`
      total  = `placeholder_total`
    }
  }
  slo probes {
    objective = 99%
    window    = 7d
    indicator ratio {
      errors = `placeholder_total{code=~"5.."}`
      total  = `placeholder_total`
    }
  }
}
"""

S = Span("composite/journeys.slo", 1, 1)


def composite(*members: tuple[str, str, str], aggregate: str = "sum") -> CompositeIndicator:
    """`members`: (slo id, weight, when_no_data)."""
    return CompositeIndicator(tuple(Member(slo_id, Decimal(weight), S, (), no_data) for slo_id, weight, no_data in members),
                              S, (), aggregate)


COMPOSITES = {
    "checkout": composite(("shop-availability", "1", "skip"), ("shop-payments", "2", "bad")),
    "worst": composite(("shop-availability", "1", "skip"), ("shop-payments", "1", "good"), aggregate="worst"),
    "probes": composite(("shop-uptime", "1", "skip"), ("shop-status", "1", "skip")),
}


@cache
def program() -> Program:
    """The spec's checked program, `journeys`' SLOs made composites (loaded from `composite/`)."""
    from slocompiler.workflow.compile import load

    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        Path("composite").mkdir()
        Path("composite/journeys.slo").write_text(SPEC, encoding="utf-8")
        loaded = load(["composite"])
    # Until i25 lands, the IR schema does not know the IR's new `maintenance` fields yet.
    errors = [d for d in loaded.diagnostics if "'maintenance' was unexpected" not in d.message]
    assert loaded.program is not None and not errors, [str(d) for d in errors]
    services = []
    for service in loaded.program.services:
        if service.name == "journeys":
            slos = []
            for slo in service.slos:
                made = replace(slo, indicator=COMPOSITES[slo.name])
                if slo.name == "probes":  # what the front end sets when every member has 5m slices
                    made = replace(made, slices=Slices(300, None, S, (), "skip", ratio=True))
                slos.append(made)
            service = replace(service, slos=tuple(slos))
        services.append(service)
    return replace(loaded.program, services=tuple(services))


def service(name: str) -> Service:
    return next(s for s in program().services if s.name == name)
