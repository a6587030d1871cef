"""What real deployments need: tenant headers, bearer tokens, basic auth, timeouts, no secret in messages.

Prometheus ignores these headers, so a small local HTTP listener records what
arrives and answers as the Prometheus API does (or fails as a proxy would).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import SPECS, run

from slocompiler.live.client import Connection, LiveError, Prometheus

EMPTY = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}).encode()


@pytest.fixture
def listener():
    seen: list[dict[str, str]] = []
    behaviour = {"status": 200, "delay": 0.0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(dict(self.headers))
            time.sleep(behaviour["delay"])
            try:
                self.send_response(behaviour["status"])
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(EMPTY if behaviour["status"] == 200 else b"<html>denied</html>")
            except BrokenPipeError:
                pass  # the client gave up (the timeout test)

        do_GET = do_POST  # noqa: N815

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen, behaviour
    httpd.shutdown()
    httpd.server_close()


def test_headers_and_bearer_token_reach_the_server(listener, tmp_path):
    url, seen, _ = listener
    token = tmp_path / "token"
    token.write_text("tok-123\n")
    result = run("status", SPECS, "--prometheus", url, "--at", "1700000000", "--slo", "quiet-availability",
                 "--header", "X-Scope-OrgID: tenant-a", "--header", "X-Extra: 1", "--bearer-token-file", str(token))
    assert result.exit_code == 0, result.output
    assert all(h["X-Scope-OrgID"] == "tenant-a" and h["X-Extra"] == "1" for h in seen)
    assert all(h["Authorization"] == "Bearer tok-123" for h in seen)


def test_basic_auth_from_the_environment(listener):
    url, seen, _ = listener
    with Prometheus(Connection(url, env={"SLO_PROMETHEUS_USER": "ann", "SLO_PROMETHEUS_PASSWORD": "pw"})) as client:
        client.query("up", 0)
    assert seen[0]["Authorization"] == "Basic " + base64.b64encode(b"ann:pw").decode()


def test_an_http_error_is_one_line_without_secrets(listener, monkeypatch):
    url, _, behaviour = listener
    behaviour["status"] = 401
    monkeypatch.setenv("SLO_PROMETHEUS_USER", "ann")
    monkeypatch.setenv("SLO_PROMETHEUS_PASSWORD", "hunter2")
    result = run("gate", SPECS, "--prometheus", url.replace("http://", "http://ann:hunter2@"))
    assert result.exit_code == 3
    assert result.stderr == (f"error: Prometheus at {url} answered HTTP 401 Unauthorized "
                             "(check --header, --bearer-token-file or SLO_PROMETHEUS_USER)\n")


def test_a_timeout_is_one_line(listener):
    url, _, behaviour = listener
    behaviour["delay"] = 1.5
    with Prometheus(Connection(url, timeout=0.2)) as client, pytest.raises(LiveError) as raised:
        client.query("up", 0)
    assert str(raised.value) == f"Prometheus at {url} did not answer within 0.2s (--timeout)"


def test_a_malformed_header_or_url_is_a_usage_error():
    bad = run("status", SPECS, "--prometheus", "http://127.0.0.1:1", "--header", "no-colon")
    assert bad.exit_code == 2 and "a header is 'Name: value'" in bad.stderr
    assert run("status", SPECS, "--prometheus", "localhost:9090").exit_code == 2


def test_the_url_comes_from_the_environment(listener, monkeypatch):
    url, seen, _ = listener
    monkeypatch.setenv("SLO_PROMETHEUS_URL", url)
    assert run("status", SPECS, "--at", "1700000000", "--slo", "quiet-availability").exit_code == 0
    assert seen


def test_a_missing_ca_file_or_token_file_is_one_line(tmp_path):
    result = run("status", SPECS, "--prometheus", "https://127.0.0.1:1", "--ca-file", str(tmp_path / "ca.pem"))
    assert result.exit_code == 3 and result.stderr == f"error: the CA file {tmp_path / 'ca.pem'} does not exist\n"
    result = run("status", SPECS, "--prometheus", "http://127.0.0.1:1", "--bearer-token-file", str(tmp_path / "t"))
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: cannot read the bearer token file {tmp_path / 't'}: ")
