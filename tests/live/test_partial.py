"""Partial answers (a success answer with `warnings`) from a real Prometheus: shown by every command, failing the gate.

The warning is a real one: a second Prometheus, with no data of its own,
reads the shared server's series through remote read, and a second remote
read endpoint that refuses connections. Prometheus then answers each query
with the data and `"warnings": ["remote_read: error sending request: ..."]`,
the same shape as a Thanos partial response or a Mimir limit warning.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import history
import httpx
import pytest
import server
from helpers import SPECS, run

from slocompiler.live.partial import flags_of

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


def test_infos_are_informational_and_other_shapes_are_partial():
    # Prometheus 2.45+ sends PromQL annotations as `infos`; the installed 2.42 sends none, hence a literal answer.
    answer = {"status": "success", "data": {}, "warnings": ["store down", 3], "infos": ["metric might not be a counter"]}
    assert flags_of(answer) == (["store down", "unreadable warning: 3"], ["metric might not be a counter"])
    assert flags_of({"status": "success", "infos": ["a note"]}) == ([], ["a note"])
    # A flag the client cannot read may be the one that says a cluster is missing: it counts, shown as it came.
    assert flags_of({"warnings": "not a list", "isPartial": "yes"})[0] == [
        "unreadable isPartial: 'yes'", "unreadable warnings: 'not a list'"]
    assert flags_of({"warnings": [{"message": "store down"}]})[0] == ["unreadable warning: {'message': 'store down'}"]
    assert flags_of({"infos": "x"}) == (["unreadable infos: 'x'"], [])
    assert len(flags_of({"warnings": "x" * 10_000})[0][0]) < 500
    # "None" in the shapes servers send it: no flag.
    for none in ({}, {"warnings": None, "infos": [], "isPartial": False}, {"warnings": "", "isPartial": None}):
        assert flags_of(none) == ([], []), none
    # A VictoriaMetrics cluster's partial answer is a flag (`-search.denyPartialResponse` off, its default).
    assert flags_of({"status": "success", "isPartial": True})[0][0].startswith("isPartial: true")


@pytest.fixture(scope="module")
def proxy(prometheus_url):
    """The shared server behind a proxy that adds `added`'s keys to every success answer (set per test)."""
    added: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            upstream = httpx.request(self.command, prometheus_url + self.path, content=body,
                                     headers={"Content-Type": self.headers.get("Content-Type", "")})
            answer = upstream.json()
            if answer.get("status") == "success":
                answer.update(added)
            data = json.dumps(answer).encode()
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST  # noqa: N815

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", added
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("extra, shown", [
    ({"isPartial": "true"}, "unreadable isPartial: 'true'"),
    ({"warnings": [{"message": "store eu down"}]}, "unreadable warning: {'message': 'store eu down'}"),
    ({"warnings": "store eu down"}, "unreadable warnings: 'store eu down'"),
    ({"isPartial": 1}, "unreadable isPartial: 1"),
    ({"warnings": ["\x1b[31mstore down"]}, "\\x1b[31mstore down"),
])
def test_a_flag_in_an_unexpected_shape_is_a_partial_answer(proxy, extra, shown):
    url, added = proxy
    added.clear()
    added.update(extra)
    result = gate(url)
    assert result.exit_code == 3, result.output
    assert "release: no complete answer" in result.stdout
    assert f"warning: partial answer from Prometheus at {url}: {shown}" in result.stderr.splitlines()
    assert gate(url, "--allow-partial").exit_code == 0


def test_infos_are_shown_but_do_not_fail_the_gate(proxy):
    url, added = proxy
    added.clear()
    added.update(infos=['PromQL info: metric might not be a counter, name does not end in _total: "http_requests"'])
    result = gate(url, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["result"] == "pass" and "warnings" not in document
    assert f"info: Prometheus at {url} noted: PromQL info: metric might not be a counter" in result.stderr
    assert "partial" not in result.stderr
    # Beside a warning, the warning still fails it.
    added.update(warnings=["store eu down"])
    assert gate(url).exit_code == 3


def test_github_and_markdown_say_no_complete_answer_not_pass(partial_url):
    github = gate(partial_url, "--format", "github")
    assert github.exit_code == 3 and github.stdout.startswith("::error title=slo gate::release: no complete answer")
    markdown = gate(partial_url, "--format", "markdown")
    header = markdown.stdout.splitlines()[0]
    assert markdown.exit_code == 3 and header.endswith(": **no complete answer** (partial)"), header
