"""Bad input never shows a traceback: each gets a located error or one clear line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import unprivileged
from click.testing import CliRunner

from slocompiler.cli import cli


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_invalid_utf8_is_located(here) -> None:
    (here / "bad.slo").write_bytes(b'service shop {\n  owner = "caf\xe9"\n}\n')
    code, output = check("bad.slo")
    assert code == 1
    assert output.splitlines()[0] == "bad.slo:2:15: error: file is not valid UTF-8"


def test_nul_byte_is_located(here) -> None:
    (here / "nul.slo").write_bytes(b"service shop {\n  \0\n}\n")
    code, output = check("nul.slo")
    assert code == 1
    assert output.splitlines()[0] == "nul.slo:2:3: error: file contains a NUL byte; .slo files are UTF-8 text"


def test_ten_megabyte_file_is_refused_quickly(here) -> None:
    (here / "big.slo").write_bytes(b"# padding\n" * 1_000_000)
    code, output = check("big.slo")
    assert code == 1
    assert output.splitlines()[0] == "big.slo:1:1: error: file is too large (9.5 MiB); a .slo file may be at most 4 MiB"


def test_five_thousand_nested_lists(here) -> None:
    depth = 5000
    (here / "deep.slo").write_text('service shop {\n  owner = "t"\n  x = ' + "[" * depth + "]" * depth + "\n}\n")
    code, output = check("deep.slo")
    assert code == 1
    assert "deep.slo:3:8: error: lists cannot be nested" in output.splitlines()


def test_empty_file(here) -> None:
    (here / "empty.slo").write_text("")
    code, output = check("empty.slo")
    assert code == 1
    assert output.splitlines()[0] == "empty.slo:1:1: error: file is empty: a .slo file defines services, templates or policies"


def test_directory_without_specs(here) -> None:
    (here / "nothing").mkdir()
    code, output = check("nothing")
    assert code == 1
    assert output.strip() == "error: no .slo files under nothing"


def test_a_directory_is_searched_in_order_without_following_folder_links(here) -> None:
    (here / "specs" / "b").mkdir(parents=True)
    (here / "specs" / ".hidden").mkdir()
    (here / "outside").mkdir()
    for path in ("specs/b/z.slo", "specs/a.slo", "specs/.hidden/h.slo", "outside/o.slo"):
        (here / path).write_text("")
    (here / "specs" / "loop").symlink_to(here / "specs")
    (here / "specs" / "out").symlink_to(here / "outside")
    code, output = check("specs")
    assert code == 1
    assert [line.split(":")[0] for line in output.splitlines() if ": error: " in line] == [
        "specs/.hidden/h.slo", "specs/a.slo", "specs/b/z.slo"]


def test_missing_path_is_a_usage_error(here) -> None:
    code, output = check("missing.slo")
    assert code == 2
    assert output.strip().splitlines()[-1] == "error: no such file or directory: missing.slo"


def test_unreadable_file() -> None:
    here = unprivileged.shared_directory()
    try:
        spec = here / "locked.slo"
        spec.write_text('service shop { owner = "t" }\n')
        spec.chmod(0)
        done = unprivileged.run(["check", "."], here)  # named directly, click refuses it (exit 2)
        assert done.returncode == 1, done.stderr
        assert done.stderr.splitlines()[0] == "locked.slo:1:1: error: cannot read this file: Permission denied"
    finally:
        shutil.rmtree(here)


def test_unknown_option_is_usage_error() -> None:
    assert check("--no-such-flag")[0] == 2


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00", b"service", b"}}}}", b"service x { slo y = t( }", b'import "/etc/passwd"', b"`" * 3],
)
def test_real_entry_point_never_prints_a_traceback(here, content: bytes) -> None:
    (here / "x.slo").write_bytes(content)
    result = subprocess.run([sys.executable, "-m", "slocompiler", "check", "x.slo"], capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("x.slo:1:")
