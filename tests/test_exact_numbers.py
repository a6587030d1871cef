"""Exact decimals in every generated file (issue 23, item 13): no binary float noise such as `12481.599999999999`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sample_ir

from slocompiler.emit import TARGETS
from slocompiler.emit.history import RATIO_PLACES, events_per_step, exact_ratio
from slocompiler.emit.promtest_parts import values
from slocompiler.workflow.compile import load, render

ROOT = Path(__file__).resolve().parent.parent
VALID = sorted((ROOT / "tests" / "cases" / "valid").rglob("*.slo"))

# A float's repr off a decimal by its last bit: a digit, then six or more 9s (or 0s and a non-zero digit)
# after the decimal point. An exact decimal from a spec has at most 12 significant digits; leading zeros
# (`0.0000001`) and nines (`0.9999999`) are no noise.
NOISE = re.compile(r"[0-9]+\.[0-9]*?(?:[0-8]9{6,}|[1-9]0{6,}[1-9])[0-9]*")


def _programs():
    yield "sample", sample_ir.program()
    for name, paths in [("specs", [str(ROOT / "specs")]), *((spec.stem, [str(spec)]) for spec in VALID)]:
        loaded = load(paths)
        assert loaded.program is not None, loaded.diagnostics
        yield name, loaded.program


@pytest.mark.parametrize("name, program", list(_programs()), ids=lambda value: value if isinstance(value, str) else "")
def test_no_generated_file_holds_float_noise(name, program):
    noisy = []
    for path, text in render(program, tuple(TARGETS)).items():
        noisy += [f"{path}:{text.count(chr(10), 0, found.start()) + 1}: {found.group()}" for found in NOISE.finditer(text)]
    assert not noisy, "\n".join(noisy)


@pytest.mark.parametrize("text, noisy", [
    ("12481.599999999999", True), ("84740.79999999993", True), ("11286.400000000001", True),
    ("0.0010000000000000009", True), ("0.999999", False), ("0.9999999", False), ("0.0000001", False),
    ("14.4", False), ("1000000", False),
])
def test_the_noise_pattern(text, noisy):
    assert bool(NOISE.search(text)) == noisy


def test_history_ratios_are_decimals_a_history_realises_exactly():
    from decimal import Decimal

    assert exact_ratio(Decimal("0.0102666666666666666")) == Decimal("0.0102666")
    assert exact_ratio(Decimal("1.1E-13")) == 0  # below the last place: rounded down
    assert exact_ratio(Decimal(1)) == 1
    phases = [(Decimal("0.0102666"), 300), (Decimal(0), 300)]
    assert events_per_step(phases) == 10**7
    assert events_per_step([(Decimal("0.5"), 300)]) == 1000  # never fewer than 1000 events a step
    assert events_per_step([(Decimal(1).scaleb(-RATIO_PLACES), 300)]) == 10**RATIO_PLACES


def test_promtool_values_continue_exactly_across_phases():
    # Whole numbers: promtool adds them in floating point without error, so each phase
    # starts where the last one ended (a start below it would read as a counter reset).
    assert values([857, 1000, 0], [12, 5, 3]) == "0+857x12 11284+1000x4 15284+0x2"
