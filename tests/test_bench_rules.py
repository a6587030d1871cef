"""bench/rules.py's exporter carries the history's counters on, and its server config is one promtool accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import rules  # noqa: E402


@pytest.fixture
def history():
    history = rules.History(services=1, instances=2, routes=2, minutes=30, end=1_700_000_000)
    assert list(history.raw())  # generating the history records where each counter stands
    return history


def exposed(history, address: str, now: float) -> dict[str, float]:
    lines = history.exposition(address, now).splitlines()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines}


def test_the_exporter_carries_each_counter_on_from_the_history(history):
    address = history.address(0, 1)
    end = history.start + history.minutes * rules.SCRAPE
    later = end + 7.5 * rules.SCRAPE
    values = exposed(history, address, later)
    assert len(values) == history.routes * (len(rules.CODES) + len(rules.BUCKETS))
    # The same sum the history's samples follow, minute by minute, from zero.
    inf = next(c for c in history.live[address] if c.labels == 'route="/api/r1",le="+Inf"')
    minute = (later - history.start) / rules.SCRAPE
    expected = sum(inf.per_minute(m) for m in range(int(minute))) + inf.per_minute(int(minute)) * (minute % 1)
    assert values['http_request_duration_seconds_bucket{route="/api/r1",le="+Inf"}'] == pytest.approx(expected, abs=1e-3)
    assert all(value <= exposed(history, address, later + 61)[name] for name, value in values.items())


def test_no_counter_goes_down_where_the_history_ends(history):
    """Rounded differently, a slow counter's last stored sample could exceed its first scraped value: a false reset."""
    written = {}
    for line in history.raw():  # a fresh history: the fixture's counters have moved on
        if line.startswith("http_"):
            series, value, _ = line.rsplit(" ", 2)
            written[series] = float(value)
    end = history.start + history.minutes * rules.SCRAPE
    for i in range(history.instances):
        address = history.address(0, i)
        at_end, later = exposed(history, address, end), exposed(history, address, end + 1)
        for name, value in at_end.items():
            metric, labels = name[:-1].split("{", 1)
            stored = written[f'{metric}{{job="svc00",instance="{address}",{labels}}}']
            assert value == stored and later[name] >= value, name


def test_scraped_series_leave_job_and_instance_to_the_scrape(history):
    text = history.exposition(history.address(0, 0), history.start + history.minutes * rules.SCRAPE)
    assert text and "job=" not in text and "instance=" not in text
    assert history.exposition("10.9.9.9:8080", 0) == ""  # no such target


def test_the_server_config_is_valid(history, tmp_path, promtool):
    control = tmp_path / "control.yml"
    control.write_text(rules.yaml.safe_dump(rules.control_rules(2)), encoding="utf-8")
    config = rules.CONFIG.format(interval=60, files=f"  - {control}\n", scrape=15,
                                 targets=rules.static_configs(history), exporter="127.0.0.1:9")
    warm_up = config.replace(f"  - {control}\n", "  []\n")  # the scrape-only server's
    for name, text in (("prometheus.yml", config), ("warm-up.yml", warm_up)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        checked = subprocess.run([promtool, "check", "config", str(tmp_path / name)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
