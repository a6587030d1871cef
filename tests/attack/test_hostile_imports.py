"""`slo import` against hostile inputs and output paths (issue 23, "Fail closed").

Each test is an input that used to crash the import, hang it or take all
memory, or made it write what `slo check` refuses. The bombs run the real
`slo import` in a child process under an address-space limit and a timeout,
so a regression fails the test instead of taking the machine down with it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from attack import import_documents
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from interop_helpers import OPTIONS

from slocompiler.interop import yamlsrc
from slocompiler.interop.run import convert
from slocompiler.workflow.compile import load, render

MEMORY_LIMIT = 1 << 30  # 1 GiB of address space: far more than any import needs
TIMEOUT = 60


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def slo_import(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real `slo import ARGS` in a child process with at most 1 GiB of memory and a minute to run."""
    return subprocess.run([sys.executable, "-m", "slocompiler", "import", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=TIMEOUT, preexec_fn=_limited)


def errors_of(tmp_path: Path, text: str, tool: str = "sloth", name: str = "in.yaml") -> list[str]:
    """`file:line:column: message` of each error of importing `text`, in process."""
    path = tmp_path / name
    path.write_text(text)
    _, diagnostics, _, _ = convert(tool, [str(path)], OPTIONS)
    return [f"{d.span.file}:{d.span.line}:{d.span.column}: {d.message}" for d in diagnostics if d.is_error]


# --- YAML that expands without end ------------------------------------------------------------

# The classic "billion laughs": 9 levels of 9 aliases each, 9^9 (387 million) strings when expanded.
LAUGHS = 'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi")
)


def test_a_billion_laughs_is_a_located_error_within_memory_and_time(tmp_path):
    assert len(LAUGHS) < 600
    (tmp_path / "laughs.yaml").write_text(LAUGHS)
    result = slo_import("sloth", "laughs.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert "laughs.yaml:6:14: error: alias *e (66430 values) takes the inputs past 250000 YAML values" in result.stderr


def test_a_billion_laughs_written_to_a_file_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "laughs.yaml").write_text(LAUGHS)
    result = slo_import("sloth", "laughs.yaml", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1 and "takes the inputs past" in result.stderr
    assert not (tmp_path / "out").exists()


def test_nothing_is_written_when_one_of_the_inputs_could_not_be_read(tmp_path):
    # The other file's services could be missing what the unread one held (documents merge by service name).
    (tmp_path / "laughs.yaml").write_text(LAUGHS)
    (tmp_path / "ok.yaml").write_text('version: "prometheus/v1"\nservice: svc\nslos: []\n')
    result = slo_import("sloth", "ok.yaml", "laughs.yaml", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: an input could not be read; nothing was written" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text, where", [
    ("a: &x\n  b: *x\n", "in.yaml:2:6"),
    ("a: &x [1, [2, *x]]\n", "in.yaml:1:15"),
    ("a: &x\n  <<: *x\n", "in.yaml:2:7"),  # a merge key of itself
])
def test_a_recursive_alias_is_a_located_error_not_an_internal_error(tmp_path, text, where):
    assert errors_of(tmp_path, text) == [
        f"{tmp_path / where}: alias *x stands for a node that holds it (a recursive alias), which has no end"]


def test_the_bound_counts_values_of_every_file_of_a_run_and_stops_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlsrc, "MAX_VALUES", 100)
    paths = []
    for number in range(3):
        paths.append(tmp_path / f"{number}.yaml")
        paths[-1].write_text("a: [" + ", ".join(["x"] * 60) + "]\n")
    _, diagnostics, sources, readable = convert("sloth", [str(path) for path in paths], OPTIONS)
    assert not readable
    assert [(d.span.file, d.span.line) for d in diagnostics if d.is_error] == [(str(paths[1]), 1)]
    assert "the inputs hold more than 100 YAML values" in [d for d in diagnostics if d.is_error][0].message
    assert str(paths[2]) not in sources  # not read at all once the run's bound is spent


def test_a_small_alias_is_fine(tmp_path):
    text = """\
version: "prometheus/v1"
service: svc
slos:
  - name: a
    objective: 99.9
    sli: &sli
      events:
        error_query: sum(rate(e[{{.window}}]))
        total_query: sum(rate(t[{{.window}}]))
  - name: b
    objective: 99.5
    sli: *sli
"""
    assert errors_of(tmp_path, text) == []


def test_a_merge_key_merges_and_the_mappings_own_keys_win(tmp_path):
    path = tmp_path / "in.yaml"
    path.write_text("""\
version: "prometheus/v1"
service: svc
slos:
  - &base
    name: a
    objective: 99.9
    sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}
  - <<: *base
    name: b
    objective: 99.5
""")
    texts, diagnostics, _, _ = convert("sloth", [str(path)], OPTIONS)
    assert not diagnostics, diagnostics
    assert "slo b {\n    objective = 99.5%" in texts["svc"] and "slo a {\n    objective = 99.9%" in texts["svc"]


# --- keys, depth, size ------------------------------------------------------------------------


def test_a_duplicate_key_is_a_located_error_naming_the_key_and_the_first_line(tmp_path):
    text = 'version: "prometheus/v1"\nservice: a\nslos: []\nservice: b\n'
    assert errors_of(tmp_path, text) == [f'{tmp_path / "in.yaml"}:4:1: duplicate key "service" (first at line 2)']


def test_a_duplicate_key_deep_in_a_later_document_is_found_too(tmp_path):
    text = "a: 1\n---\nb:\n  - {x: 1, y: 2}\n  - x: 1\n    y: 2\n    x: 3\n"
    assert errors_of(tmp_path, text) == [f'{tmp_path / "in.yaml"}:7:5: duplicate key "x" (first at line 5)']


def test_a_key_that_is_a_list_is_a_located_error(tmp_path):
    assert errors_of(tmp_path, "? [a, b]\n: 1\n") == [
        f"{tmp_path / 'in.yaml'}:1:3: a key here is a list or a mapping; slo import reads plain keys only"]


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deep_nesting_is_a_located_error_not_a_recursion_error(tmp_path, depth):
    errors = errors_of(tmp_path, "a: " + "[" * depth + "]" * depth + "\n")
    assert errors == [f"{tmp_path / 'in.yaml'}:1:67: values are nested more than 64 deep; slo import reads no deeper"]


def test_nesting_64_deep_is_read(tmp_path):
    assert errors_of(tmp_path, "[" * 64 + "]" * 64 + "\n") == []


def test_a_file_over_4_mib_is_refused_before_it_is_parsed(tmp_path):
    assert errors_of(tmp_path, "a: " + "x" * (4 * 1024 * 1024) + "\n") == [
        f"{tmp_path / 'in.yaml'}:1:1: file is too large: slo import reads files of at most 4 MiB"]


def test_the_inputs_of_a_run_together_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlsrc, "MAX_INPUT_BYTES", 1000)
    paths = []
    for number in range(3):
        paths.append(tmp_path / f"{number}.yaml")
        paths[-1].write_text("a: " + "x" * 600 + "\n")
    _, diagnostics, sources, _ = convert("sloth", [str(path) for path in paths], OPTIONS)
    assert [(d.span.file, d.message) for d in diagnostics if d.is_error] == [
        (str(paths[1]), "the inputs together pass 0 MiB, the most slo import reads in one run; "
                        "import the files in smaller batches")]
    assert str(paths[2]) not in sources


def test_a_fifo_or_a_device_as_input_is_an_error_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    result = slo_import("sloth", "pipe.yaml", "/dev/zero", cwd=tmp_path)
    assert result.returncode == 1
    assert "pipe.yaml:1:1: error: cannot read this file: it is a FIFO, not a regular file" in result.stderr
    assert "/dev/zero:1:1: error: cannot read this file: it is a character device, not a regular file" in result.stderr


def test_bytes_that_are_no_utf8_and_characters_yaml_refuses_are_located(tmp_path):
    (tmp_path / "a.yaml").write_bytes(b"a: 1\nb: \xff\n")
    (tmp_path / "b.yaml").write_text("a: 1\nb: x\x01y\n")
    _, diagnostics, _, _ = convert("sloth", [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")], OPTIONS)
    assert [(d.span.line, d.span.column, d.message) for d in diagnostics] == [
        (2, 4, "file is not valid UTF-8"), (2, 5, "not valid YAML: character U+0001 is not allowed in YAML")]


def test_a_message_quoting_a_huge_value_is_cut_short(tmp_path):
    text = ("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: a}\nspec:\n"
            "  target: '99'\n  window: [" + ", ".join(["28d"] * 10_000) + "]\n"
            "  indicator: {bool_gauge: {metric: up}}\n")
    errors = errors_of(tmp_path, text, tool="pyrra")
    assert len(errors) == 1 and len(errors[0].split(": ", 1)[1]) < 300, errors


# --- output paths -----------------------------------------------------------------------------

SLOTH = """\
version: "prometheus/v1"
service: {service}
slos:
  - name: {slo}
    objective: 99.9
    sli: {{events: {{error_query: 'sum(rate(e[{{{{.window}}}}]))', total_query: 'sum(rate(t[{{{{.window}}}}]))'}}}}
"""


def sloth_file(tmp_path: Path, service: str = "svc", slo: str = "a", name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_text(SLOTH.format(service=service, slo=slo))
    return path


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_directory_or_a_fifo_where_the_output_goes_is_a_clear_error_not_a_hang(tmp_path, kind):
    sloth_file(tmp_path)
    sloth_file(tmp_path, service="other", name="other.yaml")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "svc.slo").mkdir() if kind == "directory" else os.mkfifo(tmp_path / "out" / "svc.slo")
    result = slo_import("sloth", "in.yaml", "other.yaml", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    shown = "a directory" if kind == "directory" else "a FIFO"
    assert (f"error: out/svc.slo is {shown}, not a file; nothing was written (move it, or pick another -o)"
            in result.stderr), result.stderr
    assert "internal error" not in result.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["svc.slo"]  # nothing else either


def test_an_output_directory_that_is_a_fifo_or_a_file_is_a_clear_error(tmp_path):
    sloth_file(tmp_path)
    os.mkfifo(tmp_path / "out")
    result = slo_import("sloth", "in.yaml", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: out is a FIFO, not a directory; nothing was written" in result.stderr, result.stderr
    (tmp_path / "out").unlink()
    (tmp_path / "out").write_text("x")
    result = slo_import("sloth", "in.yaml", "-o", "out", cwd=tmp_path)
    assert result.returncode == 2 and "Directory 'out' is a file" in result.stderr  # click's own check


def test_written_files_get_the_usual_mode_not_0600(tmp_path):
    sloth_file(tmp_path)
    result = subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0o022); from slocompiler.cli import main;"
                             "sys.argv = ['slo', 'import', 'sloth', 'in.yaml', '-o', 'out']; main()"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "svc.slo").stat().st_mode & 0o777 == 0o644


def test_an_existing_file_keeps_its_mode_and_one_with_the_same_text_is_left_alone(tmp_path):
    sloth_file(tmp_path)
    assert slo_import("sloth", "in.yaml", "-o", "out", cwd=tmp_path).returncode == 0
    written = tmp_path / "out" / "svc.slo"
    written.chmod(0o640)
    before = written.stat().st_mtime_ns
    again = slo_import("sloth", "in.yaml", "-o", "out", cwd=tmp_path)
    assert again.returncode == 0 and "out/svc.slo already holds this text" in again.stderr
    assert written.stat().st_mode & 0o777 == 0o640 and written.stat().st_mtime_ns == before


@pytest.mark.parametrize("which", ["service", "slo"])
def test_a_300_character_name_is_a_clear_located_error(tmp_path, which):
    long = "a" * 300
    sloth_file(tmp_path, **{which: long})
    result = slo_import("sloth", "in.yaml", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    line = 2 if which == "service" else 4
    what = "service" if which == "service" else "SLO"
    assert (f'in.yaml:{line}:{10 if which == "service" else 11}: error: {what} name "{"a" * 40}..." is 300 characters; '
            ".slo names become file names, so slo import takes at most 200") in result.stderr, result.stderr
    assert "internal error" not in result.stderr


def test_the_header_names_the_input_relative_to_the_working_directory(tmp_path):
    (tmp_path / "specs").mkdir()
    path = sloth_file(tmp_path / "specs")
    result = slo_import("sloth", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# imported from specs/in.yaml (Sloth) by slo import\n")
    assert str(tmp_path) not in result.stdout


def test_a_file_name_with_a_line_break_stays_inside_the_header_comment(tmp_path):
    path = sloth_file(tmp_path, name="x\nservice evil {}\n.yaml")
    texts, diagnostics, _, _ = convert("sloth", [str(path)], OPTIONS)
    assert list(texts) == ["svc"] and "service evil" not in texts["svc"].split("\n", 1)[1]
    assert texts["svc"].startswith("# imported from ")


# --- every import's output checks and builds ---------------------------------------------------

DOCUMENTS = {
    "sloth": st.lists(import_documents.sloth_document(), min_size=1, max_size=3),
    "pyrra": st.lists(import_documents.pyrra_document(), min_size=1, max_size=3),
    "openslo": import_documents.openslo_documents(),
}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def imported(tool: str, documents: list, folder: Path):
    """Import the documents (one YAML file); the Loaded result of checking what was written, or None if nothing was."""
    path = folder / "in.yaml"
    path.write_text(yaml.safe_dump_all(documents, allow_unicode=True, sort_keys=False), encoding="utf-8")
    texts, _, _, _ = convert(tool, [str(path)], OPTIONS)  # unreadable (a NUL, say): nothing written, also fine
    if not texts:
        return None
    out = folder / "out"
    out.mkdir()
    for name, text in texts.items():
        (out / f"{name}.slo").write_text(text, encoding="utf-8")
    loaded = load([str(out)])
    assert not [d for d in loaded.diagnostics if d.is_error], (loaded.diagnostics, texts)
    assert {service.name for service in loaded.program.services} == set(texts)
    return loaded


@pytest.mark.parametrize("tool", DOCUMENTS)
@FUZZ
@given(data=st.data())
def test_every_service_an_import_writes_passes_slo_check(tool, data):
    with tempfile.TemporaryDirectory() as folder:
        imported(tool, data.draw(DOCUMENTS[tool]), Path(folder))


@pytest.mark.parametrize("tool", DOCUMENTS)
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_sample_of_imports_builds_and_promtool_accepts_the_rules(tool, data, promtool):
    with tempfile.TemporaryDirectory() as folder:
        loaded = imported(tool, data.draw(DOCUMENTS[tool]), Path(folder))
        assume(loaded is not None and any(service.slos for service in loaded.program.services))
        outputs = render(loaded.program)
        rules = Path(folder) / "rules"
        rules.mkdir()
        for path, text in outputs.items():
            if path.endswith(".rules.yml"):
                (rules / Path(path).name).write_text(text, encoding="utf-8")
        files = sorted(str(path) for path in rules.iterdir())
        result = subprocess.run([promtool, "check", "rules", *files], capture_output=True, text=True, timeout=TIMEOUT)
        assert result.returncode == 0, result.stdout + result.stderr
