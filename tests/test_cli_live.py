"""The live commands' wiring: loaded only when named, one spec loader, and the layering of live/ under cli."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from slocompiler.cli import LIVE_COMMANDS, cli

ROOT = Path(__file__).resolve().parent.parent
LIVE = ROOT / "slocompiler" / "live"


def test_check_imports_no_live_module(tmp_path):
    # `slo check` runs in pre-commit hooks on every commit: it must not pay for httpx and the live commands.
    script = (
        "import sys\nfrom slocompiler.cli import cli\n"
        "try:\n    cli.main(['check', sys.argv[1]], prog_name='slo')\nexcept SystemExit as done:\n    assert done.code == 0, done.code\n"
        "print(sorted(m for m in sys.modules if m.startswith('slocompiler.live') or m.split('.')[0] in ('httpx', 'httpcore')))"
    )
    result = subprocess.run([sys.executable, "-c", script, str(ROOT / "specs")], capture_output=True, text=True,
                            env={"SLO_NO_CACHE": "1", "PATH": ""}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_live_command_is_listed_and_has_its_help():
    listed = CliRunner().invoke(cli, ["--help"]).output
    for name in LIVE_COMMANDS:
        assert f"\n  {name} " in listed
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and f"Usage: cli {name} [OPTIONS] [PATHS]..." in result.output
        assert "--prometheus URL" in result.output


def test_one_spec_loader_for_every_live_command():
    for path in LIVE.rglob("*.py"):
        if path.name != "options.py":
            assert "def load_program" not in path.read_text(encoding="utf-8") and \
                   "compile import load" not in path.read_text(encoding="utf-8"), path.name


def test_the_span_a_live_command_reads_reaches_back_past_a_policy_over_longer_than_the_window(tmp_path):
    # live/outside.py cuts maintenance tables to that span: a `burn_rate ... over 90d` read by status and gate
    # reaches past the 30d window, and its clock changes must not be folded away.
    from slocompiler.live.outside import reach
    from slocompiler.workflow.compile import load

    (tmp_path / "x.slo").write_text(
        'policy long {\n  when burn_rate > 1 over 90d { action = "look" }\n}\n'
        'service x {\n  owner = "t"\n  policy = long\n  slo a {\n    objective = 99%\n    window = 30d\n'
        '    indicator ratio {\n      errors = `e`\n      total = `t`\n    }\n  }\n}\n', encoding="utf-8")
    loaded = load([str(tmp_path)])
    assert not [d for d in loaded.diagnostics if d.is_error], loaded.diagnostics
    assert reach(loaded.program) == 91 * 86400  # the 90d `over`, and a day
