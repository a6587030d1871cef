"""Partial answers (a success answer with `warnings`) from a real Prometheus: shown by every command, failing the gate.

The warning is a real one: a second Prometheus, with no data of its own,
reads the shared server's series through remote read, and a second remote
read endpoint that refuses connections. Prometheus then answers each query
with the data and `"warnings": ["remote_read: error sending request: ..."]`,
the same shape as a Thanos partial response or a Mimir limit warning.
"""

from __future__ import annotations

import json

import history
import pytest
import server
from helpers import SPECS, run

from slocompiler.live.partial import notes_of

AT = str(history.AT)
# A port nobody listens on: connection refused at once, no timeout to wait for.
CONFIG = """remote_read:
  - url: {shared}/api/v1/read
    read_recent: true
  - url: http://127.0.0.1:{dead}/api/v1/read
    read_recent: true
"""


@pytest.fixture(scope="module")
def partial_url(prometheus_url, tmp_path_factory) -> str:
    binary, _ = server.find_binaries()
    directory = tmp_path_factory.mktemp("partial")
    config = CONFIG.format(shared=prometheus_url, dead=server.free_port()).replace("{", "{{").replace("}", "}}")
    running = server.Server(binary, directory / "data", directory, config)
    yield running.url
    running.stop()


def gate(url: str, *extra: str):
    return run("gate", SPECS, "--prometheus", url, "--at", AT, "--service", "payments", "--service", "quiet", *extra)


def test_the_shared_server_passes_these_slos(prometheus_url):
    # The control: the same gate on complete answers passes, with nothing on stderr.
    result = gate(prometheus_url)
    assert result.exit_code == 0 and "partial" not in result.stderr


def test_gate_on_a_partial_answer_is_exit_3_and_names_the_warning(partial_url):
    result = gate(partial_url)
    assert result.exit_code == 3, result.output
    assert "release: no complete answer" in result.stdout and "pass (" not in result.stdout
    assert "warning: partial answer from Prometheus at" in result.stderr and "remote_read" in result.stderr


def test_allow_partial_passes_on_the_figures_at_hand(partial_url):
    result = gate(partial_url, "--allow-partial")
    assert result.exit_code == 0 and result.stdout.startswith("release: pass (2 SLO(s)")
    assert "remote_read" in result.stderr  # still shown


def test_gate_json_says_partial_and_lists_the_warnings(partial_url):
    result = gate(partial_url, "--format", "json")
    document = json.loads(result.stdout)
    assert result.exit_code == 3 and document["result"] == "partial"
    assert any("remote_read" in text for text in document["warnings"])


def test_status_and_verify_show_the_warnings(partial_url):
    status = run("status", SPECS, "--prometheus", partial_url, "--at", AT, "--service", "payments", "--source", "raw")
    assert status.exit_code == 0 and "remote_read" in status.stderr
    assert status.stderr.count("warning: partial answer") == 1  # one line per distinct warning, not per query
    verify = run("verify", SPECS, "--prometheus", partial_url, "--at", AT, "--service", "payments")
    assert "warning: partial answer" in verify.stderr


def test_infos_count_as_notes_and_other_shapes_are_ignored():
    # Prometheus 2.45+ sends PromQL annotations as `infos`; the installed 2.42 sends none, hence a literal answer.
    answer = {"status": "success", "data": {}, "warnings": ["store down", 3], "infos": ["metric might not be a counter"]}
    assert notes_of(answer) == ["store down", "info: metric might not be a counter"]
    assert notes_of({"warnings": "not a list", "isPartial": "yes"}) == []
    # A VictoriaMetrics cluster's partial answer is a flag (`-search.denyPartialResponse` off, its default).
    assert notes_of({"status": "success", "isPartial": True})[0].startswith("isPartial: true")


def test_github_and_markdown_say_no_complete_answer_not_pass(partial_url):
    github = gate(partial_url, "--format", "github")
    assert github.exit_code == 3 and github.stdout.startswith("::error title=slo gate::release: no complete answer")
    markdown = gate(partial_url, "--format", "markdown")
    header = markdown.stdout.splitlines()[0]
    assert markdown.exit_code == 3 and header.endswith(": **no complete answer** (partial)"), header
