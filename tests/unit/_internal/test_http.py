"""The one HTTP client: retries within a deadline, per-call redirects, a size cap."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from liturgia._internal.http import (
    AnswerTooLargeError,
    HttpClient,
    HttpRequest,
    HttpResponse,
    check_base_url,
)
from liturgia.errors import ConfigError, NetworkError

HOST = "127.0.0.1"


class _Script:
    """A transport answering from a list (an OSError instance is raised), recording requests."""

    def __init__(self, *answers: HttpResponse | OSError) -> None:
        self.answers = list(answers)
        self.seen: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.seen.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer


def _client(script: _Script, **kwargs: Any) -> tuple[HttpClient, list[float]]:
    delays: list[float] = []
    kwargs.setdefault("jitter", lambda: 0.5)
    return HttpClient(transport=script, sleep=delays.append, **kwargs), delays


def test_idempotent_requests_are_retried_with_backoff_and_jitter() -> None:
    script = _Script(
        HttpResponse(status=503, body=b""),
        ConnectionResetError("reset"),
        HttpResponse(status=200, body=b"ok"),
    )
    client, delays = _client(script, backoff=0.5)
    answer = client.send("GET", "http://x/a")
    assert (answer.status, answer.body, answer.attempts) == (200, b"ok", 3)
    # 0.5 then 1.0, each made uniform in [d/2, d]: with the jitter draw 0.5, 3/4 of d.
    assert delays == [0.375, 0.75]
    assert client.requests == 3
    assert script.seen[0].headers["User-Agent"] == "liturgia"


def test_retry_after_is_honoured_and_capped() -> None:
    script = _Script(
        HttpResponse(status=429, body=b"", headers={"retry-after": "2"}),
        HttpResponse(status=503, body=b"", headers={"retry-after": "3600"}),
        HttpResponse(status=200, body=b"ok"),
    )
    client, delays = _client(script, deadline=1000.0)
    assert client.send("GET", "http://x/a").status == 200
    assert delays == [2.0, 60.0]
    # An HTTP-date (RFC 9110 §10.2.3), against the wall clock; a date past is no wait.
    script = _Script(
        *(
            HttpResponse(status=503, body=b"", headers={"retry-after": when})
            for when in ("Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:30 GMT", "soon")
        ),
        HttpResponse(status=200, body=b"ok"),
    )
    client, delays = _client(
        script, attempts=4, deadline=1000.0, backoff=1.0, wall_clock=lambda: 784111772.0
    )
    assert client.send("GET", "http://x/a").status == 200
    assert delays == [5.0, 0.0, 3.0]  # the invalid one falls back to backoff: 4 s, jittered


def test_a_post_is_retried_only_when_the_caller_says_so() -> None:
    script = _Script(HttpResponse(status=503, body=b"down"))
    client, delays = _client(script)
    answer = client.send("POST", "http://x/log", body=b"{}")
    assert (answer.status, answer.attempts, delays) == (503, 1, [])
    script = _Script(ConnectionRefusedError("refused"))
    client, _ = _client(script)
    with pytest.raises(NetworkError, match=r"^http://x/log: unreachable: refused after 1 attempts"):
        client.send("POST", "http://x/log", body=b"{}")
    # A log that deduplicates: the repeat of a POST whose answer was lost is safe.
    script = _Script(TimeoutError("timed out"), HttpResponse(status=409, body=b""))
    client, delays = _client(script)
    assert client.send("POST", "http://x/log", body=b"{}", retry=True).status == 409
    assert [r.body for r in script.seen] == [b"{}", b"{}"] and len(delays) == 1


def test_every_attempt_failing_names_the_last_reason() -> None:
    script = _Script(*[ConnectionRefusedError("refused")] * 3)
    client, delays = _client(script)
    with pytest.raises(NetworkError, match="unreachable: refused after 3 attempts"):
        client.send("GET", "http://x/a")
    assert len(delays) == 2
    script = _Script(*[HttpResponse(status=502, body=b"")] * 3)
    client, _ = _client(script)
    answer = client.send("GET", "http://x/a")
    assert (answer.status, answer.attempts) == (502, 3)


def test_no_retry_starts_past_the_deadline() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    script = _Script(*[HttpResponse(status=503, body=b"")] * 10)
    client = HttpClient(
        transport=script,
        attempts=10,
        backoff=1.0,
        deadline=5.0,
        sleep=sleep,
        clock=lambda: now[0],
        jitter=lambda: 0.999,
    )
    answer = client.send("GET", "http://x/a")
    # Waits of ~1 and ~2 s fit in 5 s; the next (~4 s) would end past it: 3 attempts.
    assert answer.attempts == 3 and now[0] < 5.0
    # Each exchange's timeout is what is left of the deadline when it is shorter.
    assert [round(r.timeout, 2) for r in script.seen] == [5.0, 4.0, 2.0]


# -- the urllib transport against real sockets -----------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        status, headers, body = self.routes[self.path]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.routes, _Handler.hits = {}, []
    httpd = ThreadingHTTPServer((HOST, 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def test_redirects_are_a_per_call_choice(server: str) -> None:
    _Handler.routes["/old"] = (302, {"Location": "/new"}, b"")
    _Handler.routes["/new"] = (200, {}, b"moved here")
    client = HttpClient(attempts=1)
    kept = client.send("GET", server + "/old")
    assert (kept.status, kept.headers["location"]) == (302, "/new")
    followed = client.send("GET", server + "/old", follow_redirects=True)
    assert (followed.status, followed.body) == (200, b"moved here")
    assert _Handler.hits == ["/old", "/old", "/new"]


def test_an_answer_over_the_cap_is_not_read_nor_retried(server: str) -> None:
    _Handler.routes["/big"] = (200, {}, b"x" * 101)
    _Handler.routes["/small"] = (404, {}, b"x" * 100)
    client = HttpClient(max_bytes=100, sleep=lambda _s: None)
    with pytest.raises(AnswerTooLargeError, match="answer over 100 bytes; not read"):
        client.send("GET", server + "/big")
    assert _Handler.hits == ["/big"]
    answer = client.send("GET", server + "/small")  # error statuses are answers, capped too
    assert (answer.status, len(answer.body)) == (404, 100)
    with pytest.raises(AnswerTooLargeError):
        client.send("GET", server + "/big", max_bytes=50)


RawServer = tuple[str, list[int], Callable[[], None]]


def _raw_server(reply: Callable[[socket.socket], None]) -> RawServer:
    listener = socket.create_server((HOST, 0))
    listener.settimeout(0.1)
    count = [0]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            count[0] += 1
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    def answer(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            reply(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def close() -> None:
        stop.set()
        listener.close()
        thread.join(timeout=5)

    return f"http://{HOST}:{listener.getsockname()[1]}", count, close


def test_broken_and_silent_answers_are_retried_transport_failures() -> None:
    url, count, close = _raw_server(
        lambda c: c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
    )
    try:
        client = HttpClient(attempts=2, sleep=lambda _s: None)
        with pytest.raises(NetworkError, match=r"broken HTTP answer: .* after 2 attempts"):
            client.send("GET", url + "/x")
        assert count[0] == 2
    finally:
        close()
    url, count, close = _raw_server(lambda c: threading.Event().wait(1.0))
    try:
        client = HttpClient(attempts=2, timeout=0.2, sleep=lambda _s: None)
        with pytest.raises(NetworkError, match="timed out after 2 attempts"):
            client.send("GET", url + "/x")
        assert count[0] == 2
    finally:
        close()


def test_refused_connections_and_other_schemes() -> None:
    with socket.create_server((HOST, 0)) as probe:
        port = probe.getsockname()[1]
    client = HttpClient(attempts=1)
    with pytest.raises(NetworkError, match=r"unreachable: .*refused"):
        client.send("GET", f"http://{HOST}:{port}/")
    with pytest.raises(NetworkError, match="only http"):
        client.send("GET", "file:///etc/passwd")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x", "is not an http"),
        ("http://", "is not an http"),
        ("http://x:0", "is not an http"),
        ("http://x:99999", "is not a valid URL"),
        ("http://x/a b", "contains spaces"),
    ],
)
def test_base_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"log URL: .*{message}"):
        check_base_url(url, what="log URL")
    assert check_base_url("https://log.example/", what="x") == "https://log.example"
