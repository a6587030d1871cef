"""The schema worker: a forked child validates exactly as this process does, and never outlives its load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from slocompiler.core.errors import to_dict
from slocompiler.lang import schema_worker
from slocompiler.workflow.compile import load

CASES = Path(__file__).parent / "cases" / "errors"


@pytest.fixture
def forking(monkeypatch) -> None:
    monkeypatch.setattr(schema_worker, "_should_fork", lambda: True)


def test_the_child_validates_and_this_process_does_not(forking, monkeypatch) -> None:
    expected = load([str(CASES)]).diagnostics
    validated_here = []
    original = schema_worker.schema.raw_errors

    def recording(data):  # the child runs it too, but its list is its own copy
        validated_here.append(os.getpid())
        return original(data)

    monkeypatch.setattr(schema_worker.schema, "raw_errors", recording)
    assert load([str(CASES)]).diagnostics == expected
    assert validated_here == []


def test_a_failed_child_falls_back_to_validating_here(forking, monkeypatch) -> None:
    expected = load([str(CASES)]).diagnostics
    monkeypatch.setattr(schema_worker, "_serve", lambda *pipes: os._exit(3))
    assert load([str(CASES)]).diagnostics == expected


def test_an_unused_worker_is_reaped(forking) -> None:
    with schema_worker.SchemaWorker() as worker:
        pid = worker._pid
        assert pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_forks_once_and_only_before_jsonschema_is_imported(monkeypatch) -> None:
    monkeypatch.setattr(schema_worker, "_forked", False)
    assert "jsonschema" in sys.modules  # this test run imported it: nothing to hide
    assert not schema_worker._should_fork()
    monkeypatch.delitem(sys.modules, "jsonschema")
    assert schema_worker._should_fork()
    assert not schema_worker._should_fork()


def test_a_cold_cli_run_reports_what_the_in_process_check_does(tmp_path) -> None:
    """A fresh interpreter takes the forked path, errors included."""
    environment = dict(os.environ, SLO_NO_CACHE="1")
    done = subprocess.run([sys.executable, "-m", "slocompiler", "check", "--format", "json", str(CASES)],
                          capture_output=True, text=True, env=environment, cwd=tmp_path)
    expected = [to_dict(d) for d in load([str(CASES)]).diagnostics]
    assert done.returncode == 1
    assert json.loads(done.stdout) == expected
