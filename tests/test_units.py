"""Durations for people: exact to the millisecond, never a rounded burn rate's float-like tail."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from slocompiler.cli import cli
from slocompiler.core.units import human_duration, round_seconds
from slocompiler.workflow.compile import load, render

# A run of 9s or 0s deep in a fraction is what a twelve-digit burn rate leaves behind.
NOISE = re.compile(r"\.\d*(9{5,}|0{5,}[1-9])\d*s\b")


@pytest.mark.parametrize("seconds, text", [
    ("60.4799999999", "1m0.48s"),         # 0.233333333333 x 3d x 0.001
    ("6047.99999999", "1h40m48s"),
    ("604.799999999", "10m4.8s"),
    ("241.919999999", "4m1.92s"),          # 0.933333333333 x 3d x 0.001
    ("2592", "43m12s"),
    ("51.84", "51.84s"),
    ("86.4", "1m26.4s"),
    ("0.0000864", "0.0000864s"),           # under a millisecond: 3 significant digits
    ("0", "0s"),
    ("-3.0000000001", "-3s"),
])
def test_human_duration_is_exact_to_the_millisecond(seconds, text):
    assert human_duration(Decimal(seconds)) == text


def test_round_seconds_half_to_even():
    assert round_seconds(Decimal("1.0005")) == Decimal("1.000")
    assert round_seconds(Decimal("1.0015")) == Decimal("1.002")


def test_slo_budget_prints_no_float_noise():
    for window in ("7d", "14d", "28d", "1d", "90d", "365d", "29d"):
        out = CliRunner().invoke(cli, ["budget", "99.9%", "--window", window]).output
        assert not NOISE.search(out), (window, out)


SPEC = """
service shop {
  owner = "team"
  slo api {
    objective = 99.9%
    window    = 7d
    indicator ratio {
      errors = `e_total`
      total  = `t_total`
    }
    alerting {
      page   { burn = 13.44 long = 1h }
      ticket { budget = 10% long = 3d short = 6h }
    }
  }
}
"""


def test_docs_and_svg_show_exact_durations(tmp_path: Path):
    (tmp_path / "shop.slo").write_text(SPEC)
    loaded = load([str(tmp_path / "shop.slo")])
    assert loaded.program is not None
    files = render(loaded.program, ["docs", "prometheus", "policy", "grafana"])
    for path, text in files.items():
        assert not NOISE.search(text), (path, NOISE.search(text))
    # The ticket's burn is 10% x 7d / 3d = 0.233333333333: a full outage fires it in exactly 1m0.48s.
    assert "1m0.48s" in files["docs/shop.md"]
