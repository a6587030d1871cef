"""Golden Grafana dashboards of every spec in specs/: any change to the JSON shows as a diff."""

from __future__ import annotations

from pathlib import Path

from grafana_helpers import spec_program

from slocompiler.emit import grafana

GOLDEN = Path(__file__).resolve().parent / "golden"


def _outputs() -> dict[str, str]:
    return grafana.emit(spec_program())


def test_dashboards_of_specs_match_golden(golden):
    outputs = _outputs()
    assert outputs
    for path, text in sorted(outputs.items()):
        golden(path, text)


def test_no_stale_golden_dashboards(request):
    if request.config.getoption("--update-golden"):
        for stale in sorted(set(_golden_files()) - set(_outputs())):
            (GOLDEN / stale).unlink()
    assert sorted(_golden_files()) == sorted(_outputs())


def _golden_files() -> list[str]:
    folder = GOLDEN / "grafana"
    return [p.relative_to(GOLDEN).as_posix() for p in folder.glob("*.json")] if folder.exists() else []
