"""Running `slo` as a user whom file permissions bind: root reads a chmod-000 file anyway.

As root (CI), the command runs through `setpriv` without the two
capabilities that let root past file permissions (it stays root, so it
still reads the venv, even in a checkout under a 0700 `mktemp -d`, which
`nobody` could not enter); as anyone else, as that user. A test that needs
it is skipped, saying why, only when root cannot be dropped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


def shared_directory() -> Path:
    """A fresh directory that the unprivileged user can enter and write (pytest's tmp_path is root's, 0700)."""
    path = Path(tempfile.mkdtemp(prefix="slo-unprivileged-"))
    path.chmod(0o777)
    return path


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """`python -m slocompiler ARGS` in cwd, as a user without root's bypass of permissions."""
    command = [sys.executable, "-m", "slocompiler", *args]
    env = {**os.environ, "SLO_NO_CACHE": "1"}
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            pytest.skip("running as root without setpriv (util-linux): cannot drop root to test a permission error")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
