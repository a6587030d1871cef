"""A service of calendar-window SLOs (issue 24) for the static outputs' tests: a month in Europe/Berlin,
a calendar slice SLO, a quarter, a week, and one rolling SLO beside them that must read as before."""

from __future__ import annotations

import contextlib
import tempfile
from functools import cache
from pathlib import Path

SPEC = """
policy monthly {
  when budget_remaining < 50% {
    action = "Reliability work first"
  }
  when burn_rate > 2 over 7d {
    action = "Review errors weekly"
  }
}

service ledger {
  owner    = "team-ledger"
  policy   = monthly
  timezone = "Europe/Berlin"

  slo settlement {
    objective = 99.9%
    window    = calendar month
    indicator ratio {
      errors = `ledger_settlements_total{outcome="failed"}`
      total  = `ledger_settlements_total`
    }
  }
  slo uptime {
    objective = 99.5%
    window    = calendar day
    slices { length = 1m target = 95% }
    indicator ratio {
      errors = `ledger_requests_total{code=~"5.."}`
      total  = `ledger_requests_total`
    }
  }
  slo reports {
    objective = 99%
    window    = calendar quarter
    timezone  = "UTC"
    indicator ratio {
      errors = `ledger_reports_total{outcome="failed"}`
      total  = `ledger_reports_total`
    }
    alerting { enabled = false }
  }
  slo exports {
    objective = 99%
    window    = calendar week
    indicator ratio {
      errors = `ledger_exports_total{outcome="failed"}`
      total  = `ledger_exports_total`
    }
    alerting { enabled = false }
  }
  slo reads {
    objective = 99.9%
    window    = 30d
    indicator ratio {
      errors = `ledger_reads_total{code=~"5.."}`
      total  = `ledger_reads_total`
    }
  }
}
"""

ROLLING = "reads"


@cache
def program():
    """The spec's checked program (loaded from a folder `calendar/`, so outputs name `calendar/ledger.slo`)."""
    from slocompiler.workflow.compile import load

    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        Path("calendar").mkdir()
        Path("calendar/ledger.slo").write_text(SPEC, encoding="utf-8")
        loaded = load(["calendar"])
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    return loaded.program
