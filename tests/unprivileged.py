"""Running `slo` as a user whom file permissions bind: root reads a chmod-000 file anyway.

As root (CI), the command runs as `nobody` through `setpriv`; as anyone
else, as that user. A test that needs it is skipped, saying why, only when
root cannot be dropped.
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
        command = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
