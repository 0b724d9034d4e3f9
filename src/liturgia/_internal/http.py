"""The one HTTP client: injectable transport, timeouts, a size cap, redirects per call, retries.

Every HTTP caller in liturgia goes through :class:`HttpClient` (advisory services in
:mod:`liturgia.vuln`, a transparency log's readers in :mod:`liturgia.tlog` and its writer in
:mod:`liturgia.sign`), so they share one policy:

* **Transport.** A :data:`Transport` sends one :class:`HttpRequest` and returns the
  :class:`HttpResponse` whatever its status; it raises :class:`OSError` when the exchange failed
  (refused, reset, timed out, broken off) and :class:`AnswerTooLargeError` when the answer is
  over the request's size cap. The default, :func:`urllib_transport`, uses the standard library
  (signing needs no extra); tests inject their own.
* **Redirects** are a per-call choice (``follow_redirects``): a reader follows them, a writer
  does not (urllib would re-send a POST as a GET, and a log has one URL): the 3xx is returned.
* **Retries** (RFC 9110 §9.2.2): an idempotent request (GET, HEAD, PUT, DELETE, OPTIONS), or one
  the caller marks ``retry=True``, is retried after a transport failure or a 429, 500, 502, 503
  or 504, with exponential backoff and jitter, honouring ``Retry-After`` (delta-seconds or an
  HTTP-date, capped), and never past the client's overall ``deadline``. A POST is retried only
  when the caller knows that a repeat cannot add a second record: a read-only query (OSV's
  ``querybatch``), or a write the server deduplicates, as a Rekor log does, answering a repeat
  with 409 and the existing entry's ``Location``. **A 503 or a timeout does not mean "not
  stored"**: the first attempt may have been stored before the answer was lost, which is why
  such a POST must be deduplicated by the server and the caller must take a 409 as success.
* **Circuit breaker** (:class:`CircuitBreaker`, one per client, per origin): after
  ``threshold`` connection failures in a row to one scheme/host/port (refused, reset, timed
  out; an HTTP answer of any status is not one) the client stops calling it for ``cooldown``
  seconds and fails at once (:class:`CircuitOpenError`, a :class:`NetworkError`), so a dead
  server is not hammered by every retry of every caller; then one trial request goes through
  (half-open): an answer closes the circuit, a failure opens it again for another cooldown.
"""

from __future__ import annotations

import email.utils
import http.client
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from liturgia._internal.counted import CountedBody
from liturgia.errors import ConfigError, NetworkError

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "AnswerTooLargeError",
    "CircuitBreaker",
    "CircuitOpenError",
    "HttpClient",
    "HttpRequest",
    "HttpResponse",
    "Transport",
    "check_base_url",
    "urllib_transport",
]

#: Methods RFC 9110 §9.2.2 calls idempotent: retried without the caller asking.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: Statuses that say "try again later": rate limited, or the server or a proxy failed.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Longest wait a ``Retry-After`` may ask for, in seconds.
MAX_RETRY_AFTER = 60.0


class AnswerTooLargeError(NetworkError):
    """An answer over the request's size cap: not read, and not retried.

    Attributes:
        url: the request's URL.
        limit: the cap, in bytes.
    """

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(f"{url}: answer over {limit} bytes; not read")
        self.url = url
        self.limit = limit


class CircuitOpenError(NetworkError):
    """A request refused without a try: its origin failed to connect too often lately.

    Attributes:
        origin: ``scheme://host:port`` of the request.
        retry_in: seconds until a trial request will be let through.
    """

    def __init__(self, url: str, origin: str, failures: int, retry_in: float) -> None:
        super().__init__(
            f"{url}: not tried: {origin} failed to connect {failures} times in a row "
            f"(circuit open; next try in {retry_in:.1f} s)"
        )
        self.origin = origin
        self.retry_in = retry_in


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port or default}"


class CircuitBreaker:
    """Stops calling an origin after ``threshold`` connection failures in a row.

    States per origin (``scheme://host:port``), the classic three (Nygard, *Release It!*):
    **closed** (requests go through; connection failures are counted, any answer resets the
    count), **open** (for ``cooldown`` seconds every request fails at once with
    :class:`CircuitOpenError`), **half-open** (after the cooldown one trial request goes
    through while the others still fail at once; its answer closes the circuit, its failure
    opens it again). Thread-safe.

    Args:
        threshold: connection failures in a row that open the circuit (>= 1).
        cooldown: seconds the circuit stays open before a trial request.
        clock: monotonic seconds (injectable for tests).

    Raises:
        ValueError: ``threshold`` below 1 or a negative ``cooldown``.
    """

    def __init__(
        self,
        *,
        threshold: int = 5,
        cooldown: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1 or cooldown < 0:
            raise ValueError(
                f"threshold must be >= 1 and cooldown >= 0, not {threshold}, {cooldown}"
            )
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._opened: dict[str, float] = {}  # origin -> when it opened
        # Origins whose trial request is in flight, since when (a trial never reported, as
        # after an interrupt, is given up after a cooldown).
        self._trial: dict[str, float] = {}

    def before(self, url: str) -> None:
        """Let a request to ``url`` go, or refuse it while its origin's circuit is open.

        Raises:
            CircuitOpenError: the circuit is open, or half-open with its trial in flight.
        """
        origin = _origin(url)
        with self._lock:
            opened = self._opened.get(origin)
            if opened is None:
                return
            now = self._clock()
            wait = opened + self.cooldown - now
            trial = self._trial.get(origin)
            if wait > 0 or (trial is not None and now - trial < self.cooldown):
                failures = self._failures.get(origin, self.threshold)
                raise CircuitOpenError(url, origin, failures, max(wait, 0.0))
            self._trial[origin] = now  # half-open: this request is the trial

    def succeeded(self, url: str) -> None:
        """The origin answered (any status): close its circuit."""
        origin = _origin(url)
        with self._lock:
            self._failures.pop(origin, None)
            self._opened.pop(origin, None)
            self._trial.pop(origin, None)

    def failed(self, url: str) -> None:
        """A connection to the origin failed: count it; open the circuit at the threshold
        (at once after a failed trial)."""
        origin = _origin(url)
        with self._lock:
            count = self._failures.get(origin, 0) + 1
            self._failures[origin] = count
            if count >= self.threshold or origin in self._trial:
                self._opened[origin] = self._clock()
            self._trial.pop(origin, None)

    def is_open(self, url: str) -> bool:
        """Whether requests to ``url``'s origin are being refused (open or half-open)."""
        with self._lock:
            return _origin(url) in self._opened


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpRequest:
    """One HTTP exchange to make.

    Attributes:
        method: the method, upper case.
        url: the absolute http(s) URL.
        body: the request body, or ``None``.
        headers: request headers.
        timeout: seconds the exchange may take (connect and each read).
        follow_redirects: follow 3xx answers (else return them).
        max_bytes: largest answer body read; a larger one raises :class:`AnswerTooLargeError`.
        sent: called with the count of body bytes handed to the network as they go (0 first,
            ``len(body)`` last; again from 0 on a retry), or ``None``.
    """

    method: str
    url: str
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    follow_redirects: bool = False
    max_bytes: int = 1 << 20
    sent: Callable[[int], None] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpResponse:
    """An HTTP answer: status, body and headers (names lower-cased).

    Attributes:
        status: the status code.
        body: the body bytes.
        headers: the headers, names lower-cased.
        attempts: how many exchanges :meth:`HttpClient.send` made to get it (1 without retry).
    """

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    attempts: int = 1


#: Sends one request; returns the answer of any status; raises OSError when the exchange failed.
Transport = Callable[[HttpRequest], HttpResponse]


def check_base_url(url: str, *, what: str) -> str:
    """Return ``url`` (without a trailing slash) when it is an absolute http(s) URL with a host.

    Args:
        url: the URL given by the user.
        what: how to name it in the message (``"--source-url"``, ``"transparency log URL"``).

    Raises:
        ConfigError: another scheme, no host, an invalid port, or spaces (names ``what``).
    """
    try:
        parts = urllib.parse.urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as exc:
        raise ConfigError(f"{what}: {url!r} is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ConfigError(f"{what}: {url!r} is not an http(s) URL with a host")
    if any(char.isspace() for char in url):
        raise ConfigError(f"{what}: {url!r} contains spaces")
    return url.rstrip("/")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Follow no redirect: the 3xx reaches the caller as an answer."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        """Return no new request, so urllib hands the 3xx back."""
        del args, kwargs


_FOLLOWING = urllib.request.build_opener()
_NOT_FOLLOWING = urllib.request.build_opener(_NoRedirects)


def _read_capped(answer: Any, request: HttpRequest) -> bytes:
    body: bytes = answer.read(request.max_bytes + 1)
    if len(body) > request.max_bytes:
        raise AnswerTooLargeError(request.url, request.max_bytes)
    missing = getattr(answer, "length", None)
    if missing:  # read(n) stops quietly at EOF: a shorter body than Content-Length broke off
        raise OSError(f"broken HTTP answer: {missing} bytes short of its Content-Length")
    return body


def urllib_transport(request: HttpRequest) -> HttpResponse:
    """Send one request with :mod:`urllib`; HTTP error statuses are returned, not raised.

    Raises:
        OSError: the connection failed (refused, reset, timeout, DNS) or the answer broke off.
        AnswerTooLargeError: the answer is over ``request.max_bytes``.
    """
    if not request.url.startswith(("http://", "https://")):
        raise OSError(f"only http(s) URLs are supported: {request.url}")
    opener = _FOLLOWING if request.follow_redirects else _NOT_FOLLOWING
    data: bytes | CountedBody | None = request.body
    headers = dict(request.headers)
    if request.body and request.sent is not None:
        # http.client streams an iterable body chunk by chunk when its length is given.
        data = CountedBody(request.body, request.sent)
        headers["Content-Length"] = str(len(request.body))
    prepared = urllib.request.Request(  # noqa: S310 - http(s) checked above
        request.url,
        data=data,  # urllib takes any iterable of bytes
        method=request.method,
        headers=headers,
    )
    try:
        with opener.open(prepared, timeout=request.timeout) as answer:
            return HttpResponse(
                status=answer.status,
                body=_read_capped(answer, request),
                headers={k.lower(): v for k, v in answer.headers.items()},
            )
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpResponse(
                status=exc.code,
                body=_read_capped(exc, request),
                headers={k.lower(): v for k, v in (exc.headers or {}).items()},
            )
    except urllib.error.URLError as exc:
        raise OSError(str(exc.reason)) from exc
    except http.client.HTTPException as exc:  # e.g. IncompleteRead: the answer broke off
        raise OSError(f"broken HTTP answer: {type(exc).__name__}: {exc}") from exc


def _retry_after(response: HttpResponse, now: Callable[[], float]) -> float | None:
    """``Retry-After`` (RFC 9110 §10.2.3) in seconds, capped; ``None`` when absent or invalid.

    Either delta-seconds or an HTTP-date (compared with ``now``, seconds since the epoch).
    """
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 §5.6.7: an HTTP-date is UTC
        return None
    return min(max(0.0, when.timestamp() - now()), MAX_RETRY_AFTER)


class HttpClient:
    """Sends requests through a transport, retrying what may be retried within a deadline.

    Args:
        transport: sends one request (default :func:`urllib_transport`).
        timeout: seconds per exchange (shortened to what is left of the deadline).
        max_bytes: default size cap of an answer body, in bytes.
        attempts: most exchanges per :meth:`send` (>= 1).
        backoff: base delay before the second attempt, in seconds; doubled each time, then
            "equal jitter" applied (a delay ``d`` becomes uniform in ``[d/2, d]``).
        deadline: seconds one :meth:`send` may take in all, waits included; no retry starts
            after it.
        sleep: the delay function (injectable for tests).
        clock: a monotonic clock in seconds (injectable for tests).
        jitter: returns a float in ``[0, 1)`` (injectable for tests).
        wall_clock: seconds since the epoch, for a ``Retry-After`` HTTP-date.
        user_agent: the ``User-Agent`` header.
        breaker: the circuit breaker (default: a new :class:`CircuitBreaker` of this client
            on ``clock``); share one between clients calling the same servers.
    """

    def __init__(
        self,
        *,
        transport: Transport = urllib_transport,
        timeout: float = 30.0,
        max_bytes: int = 1 << 20,
        attempts: int = 3,
        backoff: float = 0.5,
        deadline: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
        user_agent: str = "liturgia",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._transport = transport
        self.breaker = breaker or CircuitBreaker(clock=clock)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.attempts = max(1, attempts)
        self._backoff = backoff
        self._deadline = deadline
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._wall_clock = wall_clock
        self._user_agent = user_agent
        #: Exchanges made so far (every attempt counts).
        self.requests = 0

    def _delay(self, attempt: int, response: HttpResponse | None) -> float:
        after = None if response is None else _retry_after(response, self._wall_clock)
        if after is not None:
            return after
        full = self._backoff * 2.0**attempt
        return full / 2 + full / 2 * self._jitter()

    def send(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = False,
        retry: bool | None = None,
        max_bytes: int | None = None,
        sent: Callable[[int], None] | None = None,
    ) -> HttpResponse:
        """Send ``method url`` and return the answer, whatever its status.

        Args:
            method: the HTTP method.
            url: the absolute http(s) URL.
            body: the request body.
            headers: extra headers (``User-Agent`` is added unless given).
            follow_redirects: follow 3xx answers; else a 3xx is returned to the caller.
            retry: retry after failures; default: only for idempotent methods. Pass ``True``
                for a POST only when a repeat cannot add a second record (see the module
                docstring: a 503 or timeout does not mean "not stored").
            max_bytes: size cap of the answer (default: the client's).
            sent: told the count of body bytes handed to the network as they go (upload
                progress; each attempt counts from 0), through the default transport.

        Returns:
            The last answer; with retries, a 429/5xx answer means every attempt got one
            (``attempts`` says how many were made).

        Raises:
            NetworkError: the exchange failed on every attempt ("<url>: unreachable: <why>
                after N attempts").
            CircuitOpenError: the origin failed to connect too often lately; not tried (or
                no longer retried once the circuit opened).
            AnswerTooLargeError: the answer is over the size cap (not retried).
        """
        method = method.upper()
        retrying = method in IDEMPOTENT_METHODS if retry is None else retry
        tries = self.attempts if retrying else 1
        outgoing = {"User-Agent": self._user_agent, **(headers or {})}
        start = self._clock()
        last_error = ""
        attempt = 0
        while True:
            remaining = self._deadline - (self._clock() - start)
            request = HttpRequest(
                method=method,
                url=url,
                body=body,
                headers=outgoing,
                timeout=max(0.001, min(self.timeout, remaining)),
                follow_redirects=follow_redirects,
                max_bytes=self.max_bytes if max_bytes is None else max_bytes,
                sent=sent,
            )
            self.breaker.before(url)
            self.requests += 1
            attempt += 1
            response: HttpResponse | None
            try:
                response = self._transport(request)
            except AnswerTooLargeError:
                self.breaker.succeeded(url)  # it answered
                raise
            except OSError as exc:
                self.breaker.failed(url)
                response, last_error = None, str(exc) or type(exc).__name__
            else:
                self.breaker.succeeded(url)
                if response.status not in RETRYABLE_STATUSES or not retrying:
                    return _with_attempts(response, attempt)
            delay = self._delay(attempt - 1, response)
            out_of_time = self._clock() - start + delay >= self._deadline
            if attempt >= tries or out_of_time:
                if response is not None:
                    return _with_attempts(response, attempt)
                raise NetworkError(f"{url}: unreachable: {last_error} after {attempt} attempts")
            self._sleep(delay)


def _with_attempts(response: HttpResponse, attempts: int) -> HttpResponse:
    if response.attempts == attempts:
        return response
    return HttpResponse(
        status=response.status, body=response.body, headers=response.headers, attempts=attempts
    )
