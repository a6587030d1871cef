"""The HTTP client against the real server: queries, chunked ranges, errors as one line."""

from __future__ import annotations

import threading

import history
import pytest

from slocompiler.live.client import Connection, LiveError, Prometheus, parse_header, safe_url
from slocompiler.live.options import parse_time


def test_instant_query_reads_known_counts(prometheus_url):
    with Prometheus(Connection(prometheus_url)) as client:
        samples = client.query('sum(increase(http_requests_total{job="checkout",region="eu"}[1h]))', history.AT)
    bad, total = history.window_counts("checkout", ("eu",), history.AT, 3600)
    assert samples[0].value == pytest.approx(total, rel=1e-9)


def test_range_query_is_chunked_and_merged(prometheus_url):
    start = history.START + 86400
    end = start + 12_000 * 60  # more than 11,000 steps: two requests
    with Prometheus(Connection(prometheus_url)) as client:
        series = client.query_range('http_requests_total{job="quiet",code="200"}', start, end, 60)
    assert len(series) == 1
    times = [t for t, _ in series[0].points]
    assert len(times) == 12_001 and times == sorted(times) and len(set(times)) == len(times)


def test_promql_error_is_one_line(prometheus_url):
    with Prometheus(Connection(prometheus_url)) as client, pytest.raises(LiveError) as raised:
        client.query("sum(rate(x[5m]", history.AT)
    assert "rejected the query (bad_data)" in str(raised.value) and "\n" not in str(raised.value)


def test_unreachable_server_is_one_line():
    with Prometheus(Connection("http://user:secret@127.0.0.1:1", timeout=2)) as client, pytest.raises(LiveError) as raised:
        client.query("up", 0)
    message = str(raised.value)
    assert message.startswith("cannot reach Prometheus at http://127.0.0.1:1") and "secret" not in message


def test_http_error_names_status(prometheus_url):
    with Prometheus(Connection(prometheus_url + "/nothing-here")) as client, pytest.raises(LiveError) as raised:
        client.query("up", history.AT)
    assert "answered HTTP 404" in str(raised.value)


def test_headers_token_and_basic_auth_are_sent(tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    connection = Connection("http://127.0.0.1:1", (("X-Scope-OrgID", "t"),), str(token),
                            env={"SLO_PROMETHEUS_USER": "u", "SLO_PROMETHEUS_PASSWORD": "p"})
    client = Prometheus(connection)
    headers = client._http.headers
    assert headers["X-Scope-OrgID"] == "t" and headers["Authorization"] == "Bearer s3cret"
    assert client._http.auth is None  # the token wins over basic auth
    client.close()
    basic = Prometheus(Connection("http://127.0.0.1:1", env={"SLO_PROMETHEUS_USER": "u", "SLO_PROMETHEUS_PASSWORD": "p"}))
    assert basic._http.auth is not None
    basic.close()


def test_parsing_helpers():
    assert parse_header("X-Scope-OrgID: tenant-1") == ("X-Scope-OrgID", "tenant-1")
    with pytest.raises(ValueError):
        parse_header("no colon")
    assert safe_url("https://a:b@host:9090/prom") == "https://host:9090/prom"
    assert parse_time("1700000000") == 1700000000
    assert parse_time("2023-11-14T22:13:20Z") == 1700000000
    assert parse_time("2023-11-15T00:13:20+02:00") == 1700000000
    with pytest.raises(ValueError):
        parse_time("2023-11-14T22:13:20")


def test_a_rejected_query_names_the_query(prometheus_url):
    # With a hundred SLOs, "many-to-many matching not allowed" alone does not say whose query failed.
    expr = 'sum by (region) (http_requests_total) / on(job) sum by (region, job) (http_requests_total)'
    with Prometheus(Connection(prometheus_url)) as client, pytest.raises(LiveError) as raised:
        client.query(expr, history.AT)
    message = str(raised.value)
    assert "rejected the query (execution)" in message and "in: sum by (region) (http_requests_total)" in message


def test_a_failure_does_not_wait_for_the_queries_in_flight():
    # One query fails (or Ctrl-C arrives) while another hangs until --timeout:
    # the command must end now, not after the slow one.
    started, released, done = threading.Event(), threading.Event(), threading.Event()

    def query(item: int) -> int:
        if item == 0:
            started.wait(5)
            raise LiveError("first query failed")
        started.set()
        released.wait(5)  # the bound only keeps a regression from hanging the suite
        done.set()
        return item

    client = Prometheus(Connection("http://127.0.0.1:1", concurrency=2))
    with pytest.raises(LiveError):
        client.map(query, [0, 1])
    finished_first = done.is_set()
    released.set()
    client.close()
    assert not finished_first
