"""A server that takes its time or names absurd times: every live command ends within --timeout, exit 3, one line.

Each case runs the real `slo` in a child (fake_server.run_slo) with a wall
clock and an address-space limit: before the fixes, these hung for as long
as the server liked, or grew without bound.
"""

from __future__ import annotations

import json
import math
import threading
import time

import pytest

from attack.fake_server import (  # noqa: F401
    AT,
    SPECS,
    Reply,
    Request,
    error,
    fake_server,
    matrix,
    ok,
    run_in_process,
    run_slo,
    vector,
)
from slocompiler.live.client import Connection, LiveError, Prometheus, range_chunks
from slocompiler.live.limits import MAX_RANGE_STEPS

PAD = "x" * 400  # a header of 400 bytes: 20 s at 0.05 s a byte


def _one_line_exit_3(result) -> str:
    assert result.returncode == 3, (result.returncode, result.stdout[-500:], result.stderr[-500:])
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    return result.stderr


@pytest.mark.parametrize("command", ["status", "verify"])
def test_a_status_line_and_headers_sent_a_byte_at_a_time_are_cut_at_the_timeout(fake_server, command):
    # Each byte arrives well within a read timeout; the whole head would take 20 s.
    fake_server.reply = Reply(vector(), head_delay=0.05, headers=[("X-Pad", PAD)])
    started = time.monotonic()
    result = run_slo(command, SPECS, "--prometheus", fake_server.url, "--at", AT, "--timeout", "1", seconds=30)
    elapsed = time.monotonic() - started
    assert "did not answer within 1s (--timeout)" in _one_line_exit_3(result)
    assert elapsed < 12, elapsed  # the interpreter's start, the spec, one cut request: not the server's 20 s


def test_a_body_sent_a_byte_at_a_time_is_cut_at_the_timeout(fake_server):
    fake_server.reply = Reply(vector() + b" " * 400, body_delay=0.05)
    started = time.monotonic()
    result = run_slo("status", SPECS, "--prometheus", fake_server.url, "--at", AT, "--timeout", "1", seconds=30)
    assert "did not answer within 1s (--timeout)" in _one_line_exit_3(result)
    assert time.monotonic() - started < 12


def test_the_deadline_covers_the_whole_request_in_process(fake_server):
    # The same bound for a direct caller of the client: headers trickled, then a body trickled.
    fake_server.reply = Reply(vector(), head_delay=0.02, headers=[("X-Pad", PAD)])
    with Prometheus(Connection(fake_server.url, timeout=0.5)) as client:
        started = time.monotonic()
        with pytest.raises(LiveError, match=r"did not answer within 0\.5s"):
            client.query("up", 1700000000)
        assert time.monotonic() - started < 4  # the server would take 8 s


def _deployed_with_timestamp(stamp: str):
    """A server whose deployed 1h ratio of shop-checkout has `timestamp()` = stamp; every other query is empty."""
    def reply(request: Request) -> Reply:
        query = request.query
        if request.path.endswith("/series"):
            return Reply(ok([{"__name__": "http_requests_total", "job": "shop", "region": "eu"}]))
        if request.path.endswith("/metadata"):
            return Reply(ok({}))
        if request.path.endswith("/values"):
            return Reply(ok(["http_requests_total"]))
        if query.startswith('{__name__=~"slo:.+"'):
            return Reply(vector(({"__name__": "slo:sli_error:ratio_rate1h", "slo_id": "shop-checkout",
                                  "region": "eu"}, "0.001")))
        if query.startswith("timestamp("):
            return Reply(vector(({"region": "eu"}, stamp)))
        return Reply(vector())
    return reply


@pytest.mark.parametrize("stamp", ["+Inf", "-Inf", "NaN", "1e300", "0", "1800000000"])
def test_verify_refuses_a_timestamp_that_is_not_a_time_of_the_window(fake_server, stamp):
    # +Inf made the chunk loop of the tiled window's range query endless (and eat memory).
    fake_server.reply = _deployed_with_timestamp(stamp)
    result = run_slo("verify", SPECS, "--prometheus", fake_server.url, "--at", AT, seconds=30, memory_mib=400)
    message = _one_line_exit_3(result)
    assert "answered timestamp(slo:sli_error:ratio_rate1h)" in message and "not a time in the SLO window" in message


def test_verify_reads_a_timestamp_in_the_window(fake_server):
    # The control: a sensible time goes on to the range query (answered empty), no error.
    fake_server.reply = _deployed_with_timestamp("1699999980")
    result = run_slo("verify", SPECS, "--prometheus", fake_server.url, "--at", AT, seconds=30)
    assert result.returncode == 0, result.stderr
    assert any(r.path.endswith("query_range") for r in fake_server.requests)


@pytest.mark.parametrize("when", ["1e999", "-1", "253402300800", "1e20"])
def test_a_range_answer_at_a_time_that_is_not_one_is_refused(fake_server, when):
    # Backtest steps through the grid by each point's time: int(+Inf) crashed it.
    def reply(request: Request) -> Reply:
        if request.path.endswith("query_range"):
            body = ('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"region":"eu"},'
                    f'"values":[[1699999980,"0.1"],[{when},"0.1"]]}}]}}}}')
            return Reply(body.encode())
        return Reply(vector())
    fake_server.reply = reply
    result = run_slo("backtest", SPECS, "--prometheus", fake_server.url, "--from", "1699996400", "--to", AT,
                     seconds=30, memory_mib=400)
    message = _one_line_exit_3(result)
    assert f"answered a sample at time {json.loads(when)}, not a time between 1970 and 9999" in message


def test_nan_and_infinity_are_not_json_times(fake_server):
    fake_server.reply = Reply(b'{"status":"success","data":{"resultType":"vector","result":'
                              b'[{"metric":{},"value":[Infinity,"1"]}]}}')
    result = run_slo("status", SPECS, "--prometheus", fake_server.url, "--at", AT, seconds=30)
    assert "not the Prometheus API's JSON" in _one_line_exit_3(result)


def test_range_chunks_are_counted_not_added_up():
    # At 2.5e11 s a step of a microsecond is lost to rounding: adding it never passes `end`.
    start = 2.5e11
    assert range_chunks(start, start, 1e-6) == [(start, start)]
    assert len(range_chunks(0, 12_000 * 60, 60)) == 2
    for bad in ((0, math.inf, 60), (math.nan, 60, 60), (0, 60, 0), (60, 0, 60), (0, 60, -1)):
        with pytest.raises(ValueError):
            range_chunks(*bad)
    with pytest.raises(ValueError, match="more than"):
        range_chunks(0, (MAX_RANGE_STEPS + 1) * 60, 60)


@pytest.mark.parametrize("value", ["nan", "inf", "1e9"])
def test_a_timeout_that_is_not_a_bound_is_a_usage_error(value):
    result = run_slo("status", SPECS, "--prometheus", "http://127.0.0.1:1", "--at", AT, "--timeout", value, seconds=30)
    assert result.returncode == 2 and "--timeout" in result.stderr, result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e20", "-1e12"])
def test_a_time_out_of_range_is_a_usage_error(value):
    for command in ("status", "gate", "verify"):
        result = run_in_process(command, SPECS, "--prometheus", "http://127.0.0.1:1", "--at", value)
        assert result.exit_code == 2 and "--at" in result.stderr, result.output
    result = run_in_process("backtest", SPECS, "--prometheus", "http://127.0.0.1:1", "--from", value, "--to", AT)
    assert result.exit_code == 2 and "--from" in result.stderr, result.output


def test_a_failure_ends_the_queries_at_once_whichever_fails():
    # The first query waits on a slow server; the second fails (a cap passed, say): the command ends
    # now, not once the first is done, up to --timeout later.
    released = threading.Event()

    def query(item: int) -> int:
        if item == 0:
            released.wait(10)  # bounded, so a regression fails rather than hangs
            return 0
        raise LiveError("the second query failed")

    client = Prometheus(Connection("http://127.0.0.1:1", concurrency=2))
    started = time.monotonic()
    try:
        with pytest.raises(LiveError, match="second query failed"):
            client.map(query, [0, 1])
        elapsed = time.monotonic() - started
    finally:
        released.set()
        client.close()
    assert elapsed < 5, elapsed
    assert client.map(lambda item: item * 2, [3, 1, 2]) == [6, 2, 4]  # in order when all succeed


def test_closing_ends_the_requests_a_failure_left_in_flight(fake_server):
    # `map` does not wait for the other queries when one fails; the client is closed while one of them is still
    # reading. Closed under that thread, its socket's number would go to the next socket opened, which the
    # thread would then read or write (answers crossed between requests, seen as a wrong figure or "Bad file
    # descriptor" in later tests). Closing must end that request first.
    release = threading.Event()
    fake_server.reply = Reply(vector(), hold_after=10, hold=lambda: release.wait(10))
    ended = threading.Event()
    client = Prometheus(Connection(fake_server.url, concurrency=2, timeout=30))

    def query(item: int) -> None:
        if item == 1:
            for _ in range(500):  # fail once the other request is being answered (bounded)
                if fake_server.requests:
                    break
                time.sleep(0.01)
            time.sleep(0.2)
            raise LiveError("the other query failed")
        try:
            client.query("up", 1700000000)
        finally:
            ended.set()

    try:
        with client, pytest.raises(LiveError, match="other query failed"):
            client.map(query, [0, 1])
        assert ended.is_set()  # closed: the held request is over, not reading a socket closed under it
    finally:
        release.set()
