"""`slo build` against a hostile file system: links, concurrent and killed builds, spellings of a path.

Each test reproduces a hole found by trying to make a build write outside
DIR, skip an input, or give different bytes for the same specs (issue 11).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import buildfakes
import pytest
from click.testing import CliRunner
from test_build import manifest, slo, state, tree  # noqa: F401  (state is a fixture)

from slocompiler.cli import cli
from slocompiler.workflow import build
from slocompiler.workflow.outdir import LinkInTheWay, OutDir

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


# --- 1. no write or delete outside DIR, through any link ------------------------------


def test_a_linked_folder_in_dir_is_neither_written_through_nor_emptied(state, tmp_path):
    out, elsewhere = tmp_path / "gen", tmp_path / "elsewhere"
    slo("build", "-o", str(out))
    (out / "prometheus").rename(elsewhere)
    (out / "prometheus").symlink_to("../elsewhere")
    before = tree(elsewhere)
    state["program"] = buildfakes.program("checkout", "web")  # would overwrite one file there and delete another
    result = slo("build", "-o", str(out))
    assert result.exit_code == 1
    assert f"error: {(out / 'prometheus').as_posix()}: a symbolic link stands where the build needs a directory" in result.stderr
    assert tree(elsewhere) == before
    assert slo("build", "--check", "-o", str(out)).exit_code == 1


def test_a_manifest_entry_behind_a_link_deletes_nothing(state, tmp_path):
    out, victim = tmp_path / "gen", tmp_path / "victim"
    slo("build", "-o", str(out))
    victim.mkdir()
    (victim / "x").write_text("precious\n")
    (out / "escape").symlink_to(victim)
    data = json.loads((out / build.MANIFEST).read_text())
    data["files"]["escape/x"] = {"sha256": "0" * 64, "target": "docs"}
    (out / build.MANIFEST).write_text(json.dumps(data))
    result = slo("build", "-o", str(out))
    assert result.exit_code == 1
    assert f"{(out / 'escape').as_posix()}: a symbolic link stands where the build needs a directory" in result.stderr
    assert (victim / "x").read_text() == "precious\n"


def test_a_link_swapped_in_after_the_survey_is_not_followed(tmp_path):
    """The writes themselves refuse a link (O_NOFOLLOW through dir_fd), not just the survey before them."""
    out, elsewhere = tmp_path / "gen", tmp_path / "elsewhere"
    (out / "docs").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "a.md").write_text("theirs\n")
    target = OutDir(out)
    temporary = target.stage("docs/a.md", b"ours\n")
    (out / "docs" / Path(temporary).name).rename(elsewhere / Path(temporary).name)
    (out / "docs").rmdir()
    (out / "docs").symlink_to(elsewhere)
    for attempt in (lambda: target.replace(temporary, "docs/a.md"), lambda: target.stage("docs/b.md", b"x"),
                    lambda: target.unlink("docs/a.md")):
        with pytest.raises(LinkInTheWay):
            attempt()
    assert (elsewhere / "a.md").read_text() == "theirs\n" and not (elsewhere / "b.md").exists()
    assert target.read("docs/a.md") is None  # nor read through


def test_a_linked_manifest_is_refused(state, tmp_path):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    (tmp_path / "elsewhere.json").write_bytes((out / build.MANIFEST).read_bytes())
    (out / build.MANIFEST).unlink()
    (out / build.MANIFEST).symlink_to(tmp_path / "elsewhere.json")
    result = slo("build", "-o", str(out))
    assert result.exit_code == 1 and "is not a regular file (a link)" in result.stderr


def test_a_manifest_that_is_not_utf8_is_not_a_manifest(state, tmp_path):
    out = tmp_path / "gen"
    out.mkdir()
    (out / build.MANIFEST).write_bytes(b'{"version": 1, "files": {"\xff": 1}}')
    result = slo("build", "-o", str(out))
    assert result.exit_code == 1
    assert f"{(out / build.MANIFEST).as_posix()} is not a slocompiler manifest" in result.stderr


# --- 3. one build at a time per DIR ---------------------------------------------------

# `slo` in a subprocess with the fake front end (the real main(), signals and all).
# BLOCK names a target whose backend prints its process id, then renders only
# once a line arrives on stdin: the test decides when it goes on, or kills it.
_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {tests!r})
    import buildfakes
    from slocompiler import cli, emit
    from slocompiler.workflow import survey
    state = {{"program": buildfakes.program(*os.environ["SERVICES"].split())}}
    buildfakes.install(lambda mapping, key, value: mapping.__setitem__(key, value), state)
    survey.PARALLEL_MIN_SLOS = int(os.environ.get("PARALLEL_MIN_SLOS", "2000"))
    if os.environ.get("BLOCK"):
        real = emit.TARGETS[os.environ["BLOCK"]]
        def blocking(program):
            os.write(1, f"{{os.getpid()}}\\n".encode())
            sys.stdin.readline()
            return real(program)
        emit.TARGETS[os.environ["BLOCK"]] = blocking
    sys.argv = ["slo", *sys.argv[1:]]
    cli.main()
""").format(tests=str(TESTS))


def _start(tmp_path: Path, *args: str, services: str = "checkout search", **env: str) -> subprocess.Popen:
    script = tmp_path / "slo_fake.py"
    script.write_text(_SCRIPT)
    return subprocess.Popen([sys.executable, str(script), *args], env={**os.environ, "SERVICES": services, **env},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen, stdin: str = "") -> tuple[int, str]:
    _, stderr = process.communicate(stdin)
    return process.returncode, stderr


def test_a_second_build_waits_for_the_first_and_the_manifest_matches_the_files(state, tmp_path):
    out = tmp_path / "gen"
    first = _start(tmp_path, "build", "-o", str(out), BLOCK="grafana")
    int(first.stdout.readline())  # the first build is rendering, DIR locked
    second = _start(tmp_path, "build", "-o", str(out), services="checkout web")
    assert second.stderr.readline() == f"waiting for another build of {out.as_posix()} to finish\n"
    assert _finish(first, "go\n")[0] == 0
    code, stderr = _finish(second)
    assert code == 0, stderr
    # the second build saw the first one's manifest: it removed search's files instead of refusing them
    assert "6 written, 4 removed, 5 unchanged" in stderr
    state["program"] = buildfakes.program("checkout", "web")
    assert slo("build", "--check", "-o", str(out)).exit_code == 0
    assert set(manifest(out)) == set(tree(out)) - {build.MANIFEST}


def test_a_killed_lock_holder_does_not_block_the_next_build(state, tmp_path):
    out = tmp_path / "gen"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fcntl, os, signal
        fd = os.open({str(out)!r}, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        print("locked", flush=True)
        signal.pause()
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "locked\n"
    holder.kill()
    holder.wait()
    result = slo("build", "-o", str(out))
    assert result.exit_code == 0 and "waiting" not in result.stderr


# --- 4. interrupted builds clean up ---------------------------------------------------


def _exited(pid: int) -> bool:
    """Whether a process (not necessarily our child) is gone: its pidfd turns readable when it exits.

    The 60 s bound only keeps a broken build from hanging the suite; nothing is timed.
    """
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], 60)[0])
    finally:
        os.close(fd)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_build(tmp_path, how):
    build_process = _start(tmp_path, "build", "-o", str(tmp_path / "gen"), BLOCK="grafana", PARALLEL_MIN_SLOS="0")
    worker = int(build_process.stdout.readline())
    assert worker != build_process.pid  # the backend runs in a pool worker
    build_process.send_signal(how)
    build_process.wait()
    try:
        assert _exited(worker), "a worker outlived its build"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)


@pytest.mark.parametrize("parallel", ["0", "2000"], ids=["pool", "one-process"])
def test_ctrl_c_exits_130_and_leaves_no_temporary_file(state, tmp_path, parallel):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    before = tree(out)
    # web's new files are staged by the time grafana blocks
    process = _start(tmp_path, "build", "-o", str(out), services="checkout search web", BLOCK="grafana",
                     PARALLEL_MIN_SLOS=parallel)
    int(process.stdout.readline())
    process.send_signal(signal.SIGINT)
    # stdin stays open until the build has exited: EOF would let the blocked backend go on.
    process.wait(timeout=120)
    code, stderr = _finish(process)
    assert (code, stderr) == (130, "interrupted\n")
    assert tree(out) == before


@pytest.mark.parametrize("step", ["sync", "rename"])
def test_ctrl_c_after_the_survey_leaves_no_temporary_file(state, tmp_path, monkeypatch, step):
    """The signal can land after every backend is done, while the staged files are synced or renamed."""
    from slocompiler.workflow import outdir

    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    before = tree(out)
    state["program"] = buildfakes.program("checkout", "search", "web")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    if step == "sync":
        monkeypatch.setattr(outdir, "sync", interrupted)
    else:
        monkeypatch.setattr(OutDir, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build.run_build(state["program"], str(out), ("prometheus", "grafana", "policy", "docs"), False)
    assert tree(out) == before


def test_leftovers_of_a_killed_build_are_reported_then_removed(state, tmp_path):
    out = tmp_path / "gen"
    slo("build", "-o", str(out))
    leftover = out / "prometheus" / ".web.rules.yml.slocompiler-0123456789abcdef.tmp"
    leftover.write_text("half")
    mine = out / "prometheus" / ".notes.tmp"
    mine.write_text("a user's file\n")
    check = slo("build", "--check", "-o", str(out))
    assert check.exit_code == 1
    assert check.stdout == f"{leftover.as_posix()}: leftover: a temporary file of an interrupted build; `slo build` removes it\n"
    result = slo("build", "-o", str(out))
    assert result.exit_code == 0
    assert f"removed 1 temporary file(s) an interrupted build left in {out.as_posix()}" in result.stderr
    assert not leftover.exists() and mine.read_text() == "a user's file\n"
    assert slo("build", "--check", "-o", str(out)).exit_code == 0


# --- 6. the same bytes however the path is spelled ----------------------------------------


def _real_slo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slocompiler", *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def project(tmp_path) -> Path:
    """A project whose pyproject.toml says where its specs and outputs are."""
    sys.path.insert(0, str(ROOT / "bench"))
    import bench

    root = tmp_path / "project"
    bench.generate(root / "specs", 2, 2)
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.slocompiler]\nspecs = "specs"\noutput = "out"\n')
    return root


def test_every_spelling_of_the_inputs_gives_the_same_bytes(project):
    runs = {
        "plain": (("build", "specs", "-o", "o1"), project),
        "dot-slash": (("build", "./specs", "-o", "o2"), project),
        "absolute": (("build", str(project / "specs"), "-o", str(project / "o3")), project),
        "from inside": (("build", ".", "-o", "../o4"), project / "specs"),
        "no arguments, from inside": (("build",), project / "specs"),
    }
    for name, (args, cwd) in runs.items():
        done = _real_slo(*args, cwd=cwd)
        assert done.returncode == 0, (name, done.stderr)
    first = tree(project / "o1")
    assert any(b"specs/svc-0001.slo" in data for data in first.values())
    for out in ("o2", "o3", "o4", "out"):
        assert tree(project / out) == first, out
    assert not any(str(project).encode() in data for data in first.values())
    # and --check agrees, however it is spelled and wherever it runs
    for args, cwd in ((("build", str(project / "specs"), "-o", str(project / "o1"), "--check"), project.parent),
                      (("build", "--check"), project / "specs")):
        done = _real_slo(*args, cwd=cwd)
        assert done.returncode == 0, done.stdout + done.stderr


def test_without_a_table_the_working_directory_is_the_root(project):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert _real_slo("build", "specs", "-o", "o1", cwd=project).returncode == 0
    assert _real_slo("build", ".", "-o", "../o2", cwd=project / "specs").returncode == 0
    assert any(b"specs/svc-0001.slo" in data for data in tree(project / "o1").values())
    assert any(b"from svc-0001.slo" in data for data in tree(project / "o2").values())


def test_the_table_gives_the_default_targets_and_a_bad_table_is_a_usage_error(project):
    (project / "pyproject.toml").write_text('[tool.slocompiler]\noutput = "out"\ntargets = ["docs"]\n')
    assert _real_slo("build", "specs", cwd=project).returncode == 0
    assert {path.split("/")[0] for path in tree(project / "out")} == {"docs", build.MANIFEST}
    (project / "pyproject.toml").write_text('[tool.slocompiler]\noutputs = "out"\n')
    done = _real_slo("check", cwd=project)
    assert done.returncode == 2
    assert "[tool.slocompiler] has unknown key(s) outputs; valid: specs, output, targets" in done.stderr


# --- 2. nothing silently skipped --------------------------------------------------------


def spec(name: str, newline: str = "\n") -> str:
    """A small valid spec for service `name`."""
    lines = [f"# the {name} service", f"service {name} {{", '  owner = "t"', "  slo up {", "    objective = 99%",
             "    indicator ratio {", f'      errors = `e{{job="{name}"}}`', f'      total  = `t{{job="{name}"}}`',
             "    }", "  }", "}", ""]
    return newline.join(lines)


def test_an_unreadable_folder_stops_the_build_and_removes_nothing():
    import unprivileged

    here = unprivileged.shared_directory()
    try:
        (here / "specs" / "locked").mkdir(parents=True)
        (here / "specs" / "a.slo").write_text(spec("a"))
        (here / "specs" / "locked" / "b.slo").write_text(spec("b"))
        for folder in (here / "specs", here / "specs" / "locked"):
            folder.chmod(0o777)
        first = unprivileged.run(["build", "specs", "-o", "out"], here)
        assert first.returncode == 0, first.stderr
        before = tree(here / "out")
        assert "prometheus/b.rules.yml" in before
        (here / "specs" / "locked").chmod(0)
        again = unprivileged.run(["build", "specs", "-o", "out"], here)
        assert again.returncode == 1
        assert again.stderr == "error: cannot read the folder specs/locked: Permission denied\n"
        assert tree(here / "out") == before
    finally:
        (here / "specs" / "locked").chmod(0o755)
        shutil.rmtree(here)


def _check(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # The bound only keeps a FIFO that blocks the reader from hanging the suite.
    return subprocess.run([sys.executable, "-m", "slocompiler", "check", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "SLO_NO_CACHE": "1"})


def _errors_of(text: str, where: Path) -> str:
    """`slo check` of a.slo holding `text`, which must fail: its stderr."""
    (where / "a.slo").write_text(text)
    done = _check("a.slo", cwd=where)
    assert done.returncode == 1, done.stderr
    return done.stderr


def test_a_fifo_named_or_found_is_refused_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "fifo.slo")
    done = _check("fifo.slo", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == "fifo.slo:1:1: error: cannot read this file: it is a FIFO, not a regular file"
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.slo").write_text(spec("a"))
    os.mkfifo(tmp_path / "specs" / "b.slo")
    done = _check("specs", cwd=tmp_path)
    assert done.returncode == 1
    assert "specs/b.slo:1:1: error: cannot read this file: it is a FIFO, not a regular file" in done.stderr


def test_a_device_named_or_linked_is_refused_not_read(tmp_path):
    done = _check("/dev/zero", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("/dev/zero:1:1: error: cannot read this file: it is a character device")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "zero.slo").symlink_to("/dev/zero")
    done = _check("specs", cwd=tmp_path)
    assert done.returncode == 1 and "specs/zero.slo:1:1: error: cannot read this file: it is a character device" in done.stderr


def test_cr_only_line_endings_end_lines(tmp_path):
    (tmp_path / "a.slo").write_text(spec("a", "\r") + spec("b", "\r"), newline="")
    done = _check("a.slo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "ok: 2 service(s), 2 SLO(s)\n"
    (tmp_path / "bad.slo").write_bytes(b"# x\r# y\rservice \0")
    assert _check("bad.slo", cwd=tmp_path).stderr.startswith("bad.slo:3:9: error: file contains a NUL byte")


# --- 5. usage errors --------------------------------------------------------------------


def test_an_empty_output_directory_is_a_usage_error(state, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", "-o", ""])
    assert result.exit_code == 2
    assert "-o/--output must name a directory, not an empty string" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_duration_of_five_thousand_digits_is_located(tmp_path):
    text = spec("a").replace("    objective = 99%", "    objective = 99%\n    window = " + "9" * 5000 + "d")
    stderr = _errors_of(text, tmp_path)
    assert stderr.startswith("a.slo:6:14: error: duration is too large: 99999999...d has 5000 digits")
    assert "internal error" not in stderr


@pytest.mark.parametrize("arguments", [["99.9%", "--window", "9" * 5000 + "d"], ["99.9%", "--window", "9" * 40 + "w"],
                                       ["99.9%", "--window", ""], ["", "--window", "30d"], ["99.9% %"]])
def test_budget_exits_2_on_any_bad_input(arguments):
    result = CliRunner().invoke(cli, ["budget", *arguments])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("slo budget: error: ")


def test_importing_a_directory_says_so(tmp_path):
    (tmp_path / "lib").mkdir()
    stderr = _errors_of('import "lib"\n' + spec("a"), tmp_path)
    assert stderr.startswith('a.slo:1:8: error: cannot import "lib": it is a directory; import a .slo file')


def test_fmt_without_a_spec_exits_like_check(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nothing").mkdir()
    for command in ("check", "fmt"):
        result = CliRunner().invoke(cli, [command, "nothing"])
        assert (result.exit_code, result.stderr) == (1, "error: no .slo files under nothing\n"), command


# --- 7. strings that reach outputs ---------------------------------------------------------


def test_a_lone_surrogate_is_a_check_error(tmp_path):
    stderr = _errors_of(spec("a").replace('owner = "t"', 'owner = "x\\ud800"'), tmp_path)
    assert stderr.startswith("a.slo:3:13: error: \\ud800 is a UTF-16 surrogate, not a character")


def test_a_file_name_with_dashes_gives_well_formed_svg_and_html_comments(tmp_path):
    import xml.etree.ElementTree as ElementTree

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a---b-.slo").write_text(spec("a"))
    done = _real_slo("build", "specs", "-o", "out", "--target", "docs", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    charts = sorted((tmp_path / "out").rglob("*.svg"))
    assert charts
    for chart in charts:
        ElementTree.parse(chart)  # raises on `--` inside a comment
    for page in (tmp_path / "out").rglob("*.md"):
        for comment in page.read_text().split("<!--")[1:]:
            assert "--" not in comment.split("-->")[0] and not comment.split("-->")[0].endswith("-")


def test_a_very_long_line_is_shown_around_the_error(tmp_path):
    line = '  owner = "t" ' + "x = 1 " * 100 + " " * 3_000_000
    (tmp_path / "a.slo").write_text(f"service a {{\n{line}\n}}\n")
    done = _check("a.slo", cwd=tmp_path)
    assert done.returncode == 1
    assert len(done.stderr) < 100 * 400  # 100 errors of a few short lines each, not 100 copies of 3 MB
    lines = done.stderr.splitlines()
    first = lines.index('a.slo:2:15: error: unknown attribute "x" in service a')
    excerpt, caret = lines[first + 1], lines[first + 2]
    assert excerpt.endswith("...") and len(excerpt) < 200
    assert excerpt[caret.index("^")] == "x"


# --- 8. names that collide ----------------------------------------------------------------


def test_slo_names_that_differ_only_in_dash_and_underscore_collide(tmp_path):
    text = spec("a").replace("  slo up {", "  slo b-c {", 1)
    second = text[text.index("  slo b-c {"):text.rindex("}")].replace("slo b-c", "slo b_c")
    stderr = _errors_of(text[:text.rindex("}")] + second + "}\n", tmp_path)
    assert stderr.startswith('a.slo:11:7: error: slo "b_c" differs from slo "b-c" at a.slo:4:7 only in "-" and "_"')


def test_fmt_formats_the_file_behind_a_link_and_keeps_the_link(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.slo").write_text('service a {\nowner="t"\n}\n')
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.slo").symlink_to("../real/a.slo")
    result = CliRunner().invoke(cli, ["fmt", "specs"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "specs" / "a.slo").is_symlink()
    assert (tmp_path / "real" / "a.slo").read_text() == 'service a {\n  owner = "t"\n}\n'


def test_a_cached_check_notices_an_import_replaced_by_a_link(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLO_NO_CACHE", raising=False)
    (tmp_path / "specs").mkdir()
    (tmp_path / "outside").mkdir()
    library = "policy lenient {\n  when budget_remaining <= 0% {\n    action = \"Talk\"\n  }\n}\n"
    (tmp_path / "specs" / "lib.slo").write_text(library)
    (tmp_path / "outside" / "lib.slo").write_text(library)
    (tmp_path / "specs" / "a.slo").write_text('import "lib.slo"\n' + spec("a"))

    def check() -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["check", "specs/a.slo"])
        return result.exit_code, result.stderr

    assert check()[0] == 0 and check()[0] == 0  # the second is answered from the cache
    (tmp_path / "specs" / "lib.slo").unlink()
    (tmp_path / "specs" / "lib.slo").symlink_to("../outside/lib.slo")
    code, stderr = check()
    assert code == 1 and 'import "lib.slo" leaves the directory tree of the inputs' in stderr


# --- 9. layering ------------------------------------------------------------------------------


def test_the_build_neither_imports_the_cli_nor_prints(tmp_path):
    (tmp_path / "a.slo").write_text(spec("a"))
    script = textwrap.dedent(f"""
        import io, sys
        from slocompiler.workflow import build, compile
        program = compile.load([{str(tmp_path / "a.slo")!r}]).program
        sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
        outcome = build.run_build(program, {str(tmp_path / "out")!r}, build.resolve_targets(()), False)
        printed = sys.stdout.getvalue() + sys.stderr.getvalue()
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        print(outcome.written, repr(printed), "slocompiler.cli" in sys.modules, "click" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout == "9 '' False False\n", done.stderr
