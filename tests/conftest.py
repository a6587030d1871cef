"""Shared fixtures: golden files and the real promtool."""

from __future__ import annotations

import difflib
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="re-record golden files and print the diff")


LIVE = Path(__file__).resolve().parent / "live"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which reads the groups into the node ids
def pytest_collection_modifyitems(items):
    """The tests of tests/live run on one pytest-xdist worker: one Prometheus server per run, as its fixture is per session.

    A module that starts its own servers and reads no shared one names its own group (`pytestmark`), so it
    can run beside them on another worker.
    """
    for item in items:
        if LIVE in Path(item.fspath).resolve().parents and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group("prometheus"))


@pytest.fixture(autouse=True, scope="session")
def private_check_cache(tmp_path_factory):
    """`slo check` caches clean results; tests keep theirs away from the user's cache."""
    os.environ["SLO_CACHE_DIR"] = str(tmp_path_factory.mktemp("slo-cache"))


@pytest.fixture(autouse=True, scope="session")
def go_tools_collect_less():
    """promtool and prometheus (Go) garbage-collect at 4x their live heap instead of 2x.

    Replaying history in `promtool test rules` allocates heavily: GOGC=400 cuts
    its CPU by ~15% for ~100 MB more memory. Results are the same; a GOGC set
    outside the tests wins.
    """
    os.environ.setdefault("GOGC", "400")


@pytest.fixture
def golden(request):
    """`golden(relative_path, text)`: compare with tests/golden/<path>, or re-record it."""
    update = request.config.getoption("--update-golden")

    def check(relative: str, text: str) -> None:
        path = GOLDEN / relative
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if update:
            if old != text:
                diff = "".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True), f"a/{relative}", f"b/{relative}"))
                sys.stdout.write(diff)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"no golden file {path}; run pytest --update-golden"
        if old != text:
            diff = "".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True), f"golden/{relative}", "actual"))
            pytest.fail(f"output differs from golden/{relative} (pytest --update-golden re-records):\n{diff}")

    return check


def _real_tool(name: str, package: str) -> str:
    """The path of a real tool; missing is a failure in CI, a skip elsewhere."""
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI (apt-get install {package})")
    pytest.skip(f"{name} not installed (apt-get install {package})")


@pytest.fixture(scope="session")
def vmalert() -> str:
    """The real vmalert (VictoriaMetrics); missing is a failure in CI, a skip elsewhere."""
    return _real_tool("vmalert", "victoria-metrics")


@pytest.fixture(scope="session")
def promtool() -> str:
    """The real promtool; missing is a failure in CI, a skip elsewhere."""
    return _real_tool("promtool", "prometheus")


@pytest.fixture(scope="session")
def amtool() -> str:
    """The real amtool (Alertmanager's CLI); missing is a failure in CI, a skip elsewhere."""
    return _real_tool("amtool", "prometheus-alertmanager")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The real Chromium (headless, for the HTML report); missing is a failure in CI, a skip elsewhere."""
    return _real_tool("chromium", "chromium")
