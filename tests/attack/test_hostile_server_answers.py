"""A server that answers too much or the wrong thing: one line and exit 3, memory bounded, never a crash.

Sizes are checked on the real `slo` in a child under an address-space limit
(fake_server.run_slo): before the caps, a 600 KB gzip answer inflated past
any limit, and a 40 MiB answer took over 600 MiB to parse.
"""

from __future__ import annotations

import functools
import threading

import pytest

from attack.fake_server import (  # noqa: F401
    AT,
    SPECS,
    Reply,
    Request,
    error,
    fake_server,
    gzip_reply,
    gzipped,
    ok,
    run_in_process,
    run_slo,
    vector,
)
from slocompiler.live import client as live_client
from slocompiler.live import http
from slocompiler.live.client import Connection, LiveError, Prometheus

SAMPLE = b'{"metric":{},"value":[1700000000,"1"]}'
VECTOR_START = b'{"status":"success","data":{"resultType":"vector","result":['
VECTOR_END = SAMPLE + b"]}}"


@functools.cache
def vector_of(mib: int) -> bytes:
    """A valid vector answer of about `mib` MiB of one-line samples, gzip-compressed (a few hundred KB)."""
    return gzipped(VECTOR_START, SAMPLE + b",", mib << 20, VECTOR_END)


def _one_line_exit_3(result) -> str:
    code = getattr(result, "returncode", getattr(result, "exit_code", None))
    assert code == 3, (code, result.stdout[-500:], result.stderr[-500:])
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    return result.stderr


def _first_then_500(body: Reply):
    """The first request gets `body`; the others HTTP 500, which ends the command after it read the first."""
    count = {"n": 0}
    lock = threading.Lock()

    def reply(request: Request) -> Reply:
        with lock:
            count["n"] += 1
            first = count["n"] == 1
        return body if first else Reply(b"boom", status=500, reason="Internal Server Error")
    return reply


# -- size -------------------------------------------------------------------
@pytest.mark.parametrize("command", ["status", "verify"])
def test_a_gzip_bomb_stops_at_the_cap_on_one_answer(fake_server, command):
    # 600 KB on the wire, 200 MiB inflated: read up to 64 MiB and refused, in far less than 400 MiB.
    fake_server.reply = gzip_reply(vector_of(200))
    result = run_slo(command, SPECS, "--prometheus", fake_server.url, "--at", AT, memory_mib=400)
    message = _one_line_exit_3(result)
    assert "answered more than 64 MiB (the cap on one answer, after decompression)" in message


def test_an_answer_under_the_cap_is_parsed_without_multiplying_it(fake_server):
    # 40 MiB of samples: once parsed into the client's samples (about 6x), never held twice over as JSON too.
    fake_server.reply = _first_then_500(gzip_reply(vector_of(40)))
    result = run_slo("verify", SPECS, "--prometheus", fake_server.url, "--at", AT, memory_mib=400)
    assert "answered HTTP 500 Internal Server Error" in _one_line_exit_3(result)  # past the 40 MiB answer


def test_a_plain_answer_stops_at_the_cap_too(fake_server, monkeypatch):
    monkeypatch.setattr(live_client, "MAX_ANSWER", 1000)
    fake_server.reply = Reply(vector() + b" " * 5000)
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT))
    assert "answered more than 1,000 bytes (the cap on one answer, after decompression)" in message


def test_a_declared_length_past_the_cap_is_refused_before_reading():
    answer = http.InFlight(per_answer=100, total=1000)
    with answer.answer() as held:
        response = type("R", (), {"headers": {"Content-Length": "101"}})()
        with pytest.raises(http.TooLarge):
            http.read_body(response, held)  # type: ignore[arg-type]


def test_answers_in_flight_at_once_are_capped(fake_server, monkeypatch):
    # Each raw query's answer stops after 300 KB, under the cap on one answer; two of them read at
    # once pass the cap on all. The batched query that comes first, alone, is answered at once.
    monkeypatch.setattr(live_client, "MAX_ANSWER", 1 << 20)
    monkeypatch.setattr(live_client, "MAX_IN_FLIGHT", 500_000)
    release = threading.Event()
    body = vector() + b" " * 400_000

    def reply(request: Request) -> Reply:
        if request.query.startswith('{__name__=~"slo:'):
            return Reply(vector())
        return Reply(body, hold_after=300_000, hold=lambda: release.wait(10))
    fake_server.reply = reply
    try:
        message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT,
                                                  "--concurrency", "8", "--timeout", "10"))
    finally:
        release.set()
    assert "answers in flight at once passed 500,000 bytes" in message and "lower --concurrency" in message


def test_the_in_flight_count_is_given_back():
    counter = http.InFlight(per_answer=600, total=1000)
    with counter.answer() as first:
        first.add(600)
        with counter.answer() as second, pytest.raises(http.TooLarge) as raised:
            second.add(500)
        assert raised.value.in_flight
    with counter.answer() as third:
        third.add(600)  # the first gave its 600 back
        with pytest.raises(http.TooLarge) as raised:
            third.add(1)
        assert not raised.value.in_flight


@pytest.mark.parametrize("encoding, body, says", [
    ("br", b"\x1b\x00", "Content-Encoding 'br', which was not asked for"),
    ("gzip", b"not gzip at all", "does not inflate"),
])
def test_a_body_in_an_encoding_not_asked_for_is_refused(fake_server, encoding, body, says):
    fake_server.reply = Reply(body, headers=[("Content-Encoding", encoding)])
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT))
    assert says in message


def test_only_gzip_is_asked_for(fake_server):
    fake_server.reply = gzip_reply(gzipped(b"", b" ", 10, vector()))
    result = run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT)
    assert result.exit_code == 0, result.output
    assert {r.headers.get("accept-encoding") for r in fake_server.requests} == {"gzip"}


# -- shape --------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    b"{}",
    b'{"status": "success"}',
    b'{"status": "success", "data": "hello"}',
    ok({"resultType": "vector", "result": None}),
    ok({"resultType": "vector", "result": [{"foo": 1}]}),
    ok({"resultType": "vector", "result": [{"metric": {}, "value": [1, "abc"]}]}),
    ok({"resultType": "vector", "result": [{"metric": {}, "value": 7}]}),
    ok({"resultType": "vector", "result": [{"metric": [], "value": [1, "1"]}]}),
    ok({"resultType": "vector", "result": [{"metric": {"a": 1}, "value": [1, "1"]}]}),
    ok({"resultType": "vector", "result": [{"metric": {}, "value": ["1", "1"]}]}),
])
def test_json_of_the_wrong_shape_is_one_line_exit_3(fake_server, body):
    fake_server.reply = Reply(body)
    for command in ("status", "verify", "gate"):
        message = _one_line_exit_3(run_in_process(command, SPECS, "--prometheus", fake_server.url, "--at", AT))
        assert "not the Prometheus API" in message or "malformed" in message


@pytest.mark.parametrize("body, kind", [(b"<html><body>Sign in</body></html>", "text/html"),
                                        (b"\x00\xff\xfe\x89PNG", "application/octet-stream"),
                                        (b"[]", "application/json")])
def test_a_body_that_is_not_the_api_says_so(fake_server, body, kind):
    fake_server.reply = Reply(body, content_type=kind)
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT))
    assert "not the Prometheus API" in message and "--prometheus" in message and kind in message


def test_a_long_error_message_is_cut(fake_server):
    fake_server.reply = Reply(error("boom " * 100_000, "execution"), status=422)
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT))
    assert "rejected the query (execution): boom" in message and len(message) < 1000


def test_series_of_the_wrong_shape_are_malformed_not_a_crash(fake_server):
    def reply(request: Request) -> Reply:
        if request.path.endswith("/series"):
            return Reply(ok([{"__name__": "http_requests_total", "region": 7}]))
        return Reply(vector())
    fake_server.reply = reply
    message = _one_line_exit_3(run_in_process("verify", SPECS, "--prometheus", fake_server.url, "--at", AT))
    assert "malformed series result" in message


def test_client_errors_for_a_direct_caller(fake_server):
    fake_server.reply = Reply(ok({"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "x"]]}]}))
    with Prometheus(Connection(fake_server.url)) as client, pytest.raises(LiveError):
        client.query_range("up", 0, 60, 60)


@pytest.mark.parametrize("value", ["NaN", "+Inf", "-Inf"])
def test_unlabelled_nan_and_inf_answers_do_not_crash_any_command(fake_server, value):
    # A proxy that answers every query with one unlabelled sample: odd, never a crash.
    fake_server.reply = Reply(vector(({}, value)))
    for command in ("status", "gate", "verify"):
        result = run_in_process(command, SPECS, "--prometheus", fake_server.url, "--at", AT)
        assert result.exit_code in (0, 1, 3), (command, result.output)


def test_a_ca_file_without_a_certificate_is_one_line(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("not a certificate\n")
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", "https://127.0.0.1:1", "--at", AT,
                                              "--ca-file", str(ca)))
    assert "CA file" in message
