"""`slo gate` exits 1 only with its decision: an internal error, click's "Aborted!" or a closed stdout exit 3.

Each case runs the real entry point (`cli.main`) in a child process, with one
function of the gate replaced to fail as a bug would; no server is needed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = str(ROOT / "tests" / "live" / "specs")


ENV = {"PATH": "", "SLO_NO_CACHE": "1"}
# `python -c` puts its working directory first on sys.path: not the checkout, whose source tree has no grammar.
OUTSIDE = tempfile.gettempdir()


def _command(patch: str, *args: str) -> list[str]:
    """`slo <args>` through cli.main, after `patch` (Python run first; `state` and `gate` are the live modules)."""
    script = ("import sys, click\nimport slocompiler.live.state as state\nimport slocompiler.live.gate as gate\n"
              f"{patch}\nfrom slocompiler.cli import main\nsys.argv = ['slo', *sys.argv[1:]]\nmain()\n")
    return [sys.executable, "-c", script, *args]


def _slo(patch: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(_command(patch, *args), capture_output=True, text=True, cwd=OUTSIDE, env=ENV, timeout=60)


GATE = ("gate", SPECS, "--prometheus", "http://127.0.0.1:9", "--at", "1700000000")
STATUS = ("status", SPECS, "--prometheus", "http://127.0.0.1:9", "--at", "1700000000")
BUG = "def broken(*args, **kwargs):\n    raise RuntimeError('boom\\x1b[31m')\nstate.evaluate = broken"


def test_an_internal_error_in_gate_is_no_answer():
    result = _slo(BUG, *GATE)
    assert result.returncode == 3, result.stderr
    assert result.stderr == ("slo: internal error: RuntimeError: boom\\x1b[31m (SLO_DEBUG=1 shows the traceback; "
                             "please report it)\n")
    # Elsewhere an internal error keeps exit 1, as documented for every other command.
    assert _slo(BUG, *STATUS).returncode == 1


def test_an_internal_error_with_the_traceback_shown_is_still_no_answer():
    result = _slo(BUG + "\nimport os\nos.environ['SLO_DEBUG'] = '1'", *GATE)
    assert result.returncode == 3 and "Traceback" in result.stderr and "RuntimeError: boom" in result.stderr


def test_a_gate_that_cannot_load_is_no_answer():
    # A broken install: the live commands' module does not import.
    result = _slo("sys.modules['slocompiler.live.commands'] = None", *GATE)
    assert result.returncode == 3 and "internal error: ModuleNotFoundError" in result.stderr, result.stderr


def test_click_abort_in_gate_is_no_answer():
    result = _slo("def aborted(*args, **kwargs):\n    raise click.Abort()\nstate.evaluate = aborted", *GATE)
    assert result.returncode == 3 and "Aborted!" in result.stderr, result.stderr


@pytest.mark.parametrize("code", [0, 1, 3])
def test_the_decision_is_the_exit_code(code):
    # The gate's own answers go through main unchanged: 1 is "blocked" only when the gate decided it.
    patch = f"state.evaluate = lambda *a, **k: []\ngate.run_gate = lambda *a, **k: ({code}, 'decided\\n')"
    result = _slo(patch, *GATE)
    assert result.returncode == code and result.stdout == "decided\n", result.stderr


def test_a_closed_stdout_is_no_answer():
    # The gate decided "pass" but could not say so: the pipeline must not read a pass (nor a block).
    patch = "state.evaluate = lambda *a, **k: []\ngate.run_gate = lambda *a, **k: (0, 'pass\\n' * 100000)"
    child = subprocess.Popen(_command(patch, *GATE), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=OUTSIDE, env=ENV)
    assert child.stdout is not None
    child.stdout.close()
    _, err = child.communicate(timeout=60)
    assert child.returncode == 3, err
