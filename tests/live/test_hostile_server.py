"""A server that is not quite Prometheus, and options that are not quite right: one line, exit 2 or 3, no secret.

A local listener answers whatever a test tells it to (HTML from a login page,
JSON of the wrong shape, a redirect, a body that never ends); the commands run
in process with exceptions propagating, so an internal error fails the test.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import SPECS, run

from slocompiler.live import client as live_client
from slocompiler.live.client import Connection, LiveError, Prometheus

AT = "1700000000"
QUIET = ("--slo", "quiet-availability")


@pytest.fixture
def answer():
    """A listener; set `behaviour` to what it answers: status, body, content type, headers, trickle."""
    behaviour: dict = {"status": 200, "body": b"", "type": "application/json", "headers": (), "trickle": 0}
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            seen.append({"path": self.path, **dict(self.headers)})
            body = behaviour["body"]
            try:
                self.send_response(behaviour["status"])
                self.send_header("Content-Type", behaviour["type"])
                self.send_header("Content-Length", str(len(body)))
                for name, value in behaviour["headers"]:
                    self.send_header(name, value.replace("{port}", str(self.server.server_address[1])))
                self.end_headers()
                if behaviour["trickle"]:
                    for byte in body:  # one byte at a time: each read is quick, the whole is not
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(behaviour["trickle"])
                else:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should

        do_GET = do_POST  # noqa: N815

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", behaviour, seen
    httpd.shutdown()
    httpd.server_close()


def _ok(data) -> bytes:
    return json.dumps({"status": "success", "data": data}).encode()


def _status(url: str, *extra: str):
    return run("status", SPECS, "--prometheus", url, "--at", AT, *QUIET, *extra)


def _one_line_exit_3(result) -> str:
    assert result.exit_code == 3, (result.exit_code, result.output)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    return result.stderr


@pytest.mark.parametrize("body", [
    b"{}",
    b'{"status": "success"}',
    b'{"status": "success", "data": "hello"}',
    _ok({"resultType": "vector", "result": None}),
    _ok({"resultType": "vector", "result": [{"foo": 1}]}),
    _ok({"resultType": "vector", "result": [{"metric": {}, "value": [1, "abc"]}]}),
    _ok({"resultType": "vector", "result": [{"metric": {}, "value": 7}]}),
    _ok({"resultType": "vector", "result": [{"metric": [], "value": [1, "1"]}]}),
])
def test_json_of_the_wrong_shape_is_one_line_exit_3(answer, body):
    url, behaviour, _ = answer
    behaviour["body"] = body
    message = _one_line_exit_3(_status(url))
    assert "not the Prometheus API" in message or "malformed" in message


@pytest.mark.parametrize("body, kind", [(b"<html><body>Sign in</body></html>", "text/html"),
                                        (b"\x00\xff\xfe\x89PNG", "application/octet-stream"),
                                        (b"[]", "application/json")])
def test_a_body_that_is_not_the_api_says_so(answer, body, kind):
    url, behaviour, _ = answer
    behaviour.update(body=body, type=kind)
    message = _one_line_exit_3(_status(url))
    assert "not the Prometheus API" in message and "--prometheus" in message


def test_a_long_error_message_is_cut(answer):
    url, behaviour, _ = answer
    behaviour.update(status=422, body=json.dumps({"status": "error", "errorType": "execution",
                                                  "error": "boom " * 100_000}).encode())
    message = _one_line_exit_3(_status(url))
    assert "rejected the query (execution): boom" in message and len(message) < 1000


def test_a_redirect_is_not_followed_and_says_where(answer, tmp_path):
    url, behaviour, seen = answer
    behaviour.update(status=302, headers=[("Location", "http://user:pw@localhost:{port}/prometheus/")])
    token = tmp_path / "token"
    token.write_text("tok-secret-1")
    message = _one_line_exit_3(_status(url, "--header", "X-Api-Key: key-secret-2", "--bearer-token-file", str(token)))
    assert "redirect" in message and "/prometheus/" in message and "pw@" not in message
    assert len(seen) == 1  # the custom header, which may be a credential, went to no other host


def test_an_answer_that_never_ends_is_cut_at_the_timeout(answer):
    url, behaviour, _ = answer
    # Each byte comes quickly, so no single read times out; the whole takes 40 x 0.05 s.
    behaviour.update(body=b" " * 39 + b"x", trickle=0.05)
    message = _one_line_exit_3(_status(url, "--timeout", "0.5"))
    assert "did not answer within 0.5s (--timeout)" in message


def test_a_huge_answer_is_refused(answer, monkeypatch):
    url, behaviour, _ = answer
    monkeypatch.setattr(live_client, "MAX_BODY", 1000)
    behaviour["body"] = _ok({"resultType": "vector", "result": []}) + b" " * 5000
    message = _one_line_exit_3(_status(url))
    assert "more than" in message


def test_no_secret_in_any_message(answer, tmp_path, monkeypatch):
    url, behaviour, _ = answer
    token = tmp_path / "token"
    token.write_text("tok-secret-1")
    monkeypatch.setenv("SLO_PROMETHEUS_USER", "ann")
    monkeypatch.setenv("SLO_PROMETHEUS_PASSWORD", "pw-secret-3")
    # A proxy that echoes what it was sent.
    behaviour.update(status=400, body=json.dumps({"status": "error", "errorType": "bad_data", "error":
                                                  "got tok-secret-1 key-secret-2 pw-secret-3"}).encode())
    message = _one_line_exit_3(_status(url, "--header", "X-Api-Key: key-secret-2", "--bearer-token-file", str(token)))
    assert "secret" not in message


def test_a_token_a_header_cannot_carry_is_refused_without_showing_it(tmp_path):
    for content in (b"tok-secret\nline2\n", "tok-secret-\u20ac".encode(), b"\xff\xfetok-secret"):
        token = tmp_path / "token"
        token.write_bytes(content)
        result = run("status", SPECS, "--prometheus", "http://127.0.0.1:1", "--at", AT, *QUIET,
                     "--bearer-token-file", str(token))
        message = _one_line_exit_3(result)
        assert "secret" not in message and "bearer token file" in message


@pytest.mark.parametrize("header", ["X-Token: s\u00e9cret", "Authorization Bearer secret", "X-Token: a\x01secret"])
def test_a_bad_header_is_a_usage_error_without_its_value(header):
    result = run("status", SPECS, "--prometheus", "http://127.0.0.1:1", "--at", AT, "--header", header)
    assert result.exit_code == 2 and "--header" in result.stderr and "secret" not in result.stderr


@pytest.mark.parametrize("url", ["http://u:secret@127.0.0.1:abc/", "http://u:secret@[::1/", "http://u:secret@127.0.0.1:99999/",
                                 "http://u:secret@/", "ftp://u:secret@127.0.0.1/"])
def test_a_bad_url_is_a_usage_error_without_its_password(url):
    result = run("status", SPECS, "--prometheus", url, "--at", AT)
    assert result.exit_code == 2 and "--prometheus" in result.stderr and "secret" not in result.stderr


def test_a_ca_file_without_a_certificate_is_one_line(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("not a certificate\n")
    message = _one_line_exit_3(run("status", SPECS, "--prometheus", "https://127.0.0.1:1", "--at", AT, "--ca-file", str(ca)))
    assert "CA file" in message


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e20", "-1e12"])
def test_a_time_out_of_range_is_a_usage_error(value):
    for command in (["status"], ["gate"], ["verify"]):
        result = run(*command, SPECS, "--prometheus", "http://127.0.0.1:1", "--at", value)
        assert result.exit_code == 2 and "--at" in result.stderr, result.output
    result = run("backtest", SPECS, "--prometheus", "http://127.0.0.1:1", "--from", value, "--to", AT)
    assert result.exit_code == 2 and "--from" in result.stderr, result.output


def test_client_errors_for_a_direct_caller(answer):
    url, behaviour, _ = answer
    behaviour["body"] = _ok({"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "x"]]}]})
    with Prometheus(Connection(url)) as client, pytest.raises(LiveError):
        client.query_range("up", 0, 60, 60)


@pytest.mark.parametrize("value", ["NaN", "+Inf", "-Inf"])
def test_unlabelled_nan_and_inf_answers_do_not_crash_any_command(answer, value):
    # A proxy that answers every query with one unlabelled sample: odd, never a crash.
    url, behaviour, _ = answer
    behaviour["body"] = _ok({"resultType": "vector", "result": [{"metric": {}, "value": [1, value]}]})
    for command in ("status", "gate", "verify"):
        result = run(command, SPECS, "--prometheus", url, "--at", AT)
        assert result.exit_code in (0, 1, 3), (command, result.output)
