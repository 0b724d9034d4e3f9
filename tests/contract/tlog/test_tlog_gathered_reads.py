"""Hot reads gathered on the read threads answer exactly as the framework does, on each durable
backend: many at once, each with its own status, one storage read per gathering."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from cryptography.hazmat.primitives.asymmetric import ec
from tests.contract.tlog.conftest import Backend
from tests.rekor_requests import hashedrekord

from liturgia.server import create_app, reads
from liturgia.server.reads import Gathering, read_handler
from liturgia.tlog import rekor
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import LogStorage

HOST = "log.example"
TREE_ID = 99
OFFSET = 10
ENTRIES = 6


@pytest.fixture
def opened(durable_backend: Backend) -> Iterator[tuple[RekorLog, LogStorage]]:
    storage = durable_backend.open()
    key = ec.generate_private_key(ec.SECP256R1())
    with RekorLog(storage, key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET) as log:
        signer = ec.generate_private_key(ec.SECP256R1())
        for n in range(ENTRIES):
            log.submit(hashedrekord(signer, b"gathered %d" % n))
        yield log, storage
    storage.close()


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as running:
        yield running


def _paths(log: RekorLog) -> list[str]:
    entry = log.entry(OFFSET + 2)
    assert entry is not None
    uuid = rekor.entry_id(entry.body)
    return [
        *(f"/api/v1/log/entries?logIndex={OFFSET + n}" for n in range(ENTRIES)),
        f"/api/v1/log/entries?logIndex={OFFSET + ENTRIES}",  # 404
        "/api/v1/log/entries?logIndex=3",  # below the offset: 404
        f"/api/v1/log/entries/{uuid}",
        f"/api/v1/log/entries/{uuid.upper()}",
        f"/api/v1/log/entries/{TREE_ID:016x}{uuid}",
        f"/api/v1/log/entries/{'0' * 16}{uuid}",  # another tree: 400
        f"/api/v1/log/entries/{'ab' * 32}",  # 404
        "/api/v1/log",
        "/api/v1/log/proof?firstSize=2&lastSize=5",
        "/api/v1/log/proof?firstSize=3&lastSize=2",  # 400
        "/checkpoint",
        "/tile/0/000.p/6",
        "/tile/entries/000.p/3",
    ]


def _get_all(portal: BlockingPortal, app: Any, paths: list[str]) -> list[httpx.Response]:
    """GET every path at once (concurrently, in one event loop)."""

    async def get_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://log.example") as c:
            return list(await asyncio.gather(*(c.get(path) for path in paths)))

    return portal.call(get_all)


def _counting_submit(pool: ThreadPoolExecutor, sizes: list[int]) -> Callable[..., Any]:
    """Hand calls to ``pool``, noting how many reads each gathering answered."""

    def submit(func: Callable[[], list[Any]]) -> asyncio.Future[Any]:
        def counted() -> list[Any]:
            outcomes = func()
            sizes.append(len(outcomes))
            return outcomes

        return asyncio.get_running_loop().run_in_executor(pool, counted)

    return submit


def test_gathered_reads_answer_as_the_framework_does(
    portal: BlockingPortal, opened: tuple[RekorLog, LogStorage], monkeypatch: pytest.MonkeyPatch
) -> None:
    log, _ = opened
    framework_app = create_app(log)
    framework_app.read_asgi = None  # type: ignore[attr-defined]
    paths = _paths(log)
    expected = {path: _get_all(portal, framework_app, [path])[0] for path in paths}
    assert [expected[p].status_code for p in paths] == [
        *[200] * ENTRIES, 404, 404, 200, 200, 200, 400, 404, 200, 200, 400, 200, 200, 200,
    ]  # fmt: skip
    asked = paths * 4
    random.Random(7).shuffle(asked)  # noqa: S311 - a fixed order, not a secret

    def check(answers: list[httpx.Response]) -> None:
        for path, answer in zip(asked, answers, strict=True):
            want = expected[path]
            assert (answer.status_code, answer.content) == (want.status_code, want.content), path
            for header in ("content-type", "cache-control", "retry-after"):
                assert answer.headers.get(header) == want.headers.get(header), (path, header)

    # The server's own choice: SQLite's reads gathered on the event loop, PostgreSQL's on the
    # read threads; either way many per gathering.
    answered: list[int] = []

    def counted(log: RekorLog, jobs: list[Any]) -> list[Any]:
        answered.append(len(jobs))
        return answer_all(log, jobs)

    answer_all = reads._answer_all
    monkeypatch.setattr(reads, "_answer_all", counted)
    check(_get_all(portal, create_app(log, read_threads=2), asked))
    monkeypatch.undo()
    assert sum(answered) == len(asked)
    assert max(answered) > 1
    # Gathered on either backend: many reads per gathering, each answered as alone.
    sizes: list[int] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        gathered_app = create_app(log)
        gathered_app.read_asgi = read_handler(  # type: ignore[attr-defined]
            log, _counting_submit(pool, sizes)
        )
        check(_get_all(portal, gathered_app, asked))
    assert sum(sizes) == len(asked)
    assert max(sizes) > 1
    assert len(sizes) < len(asked) // 2


def test_a_failed_storage_read_fails_only_the_reads_that_needed_it(
    portal: BlockingPortal, opened: tuple[RekorLog, LogStorage]
) -> None:
    log, storage = opened
    sizes: list[int] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        app = create_app(log)
        app.read_asgi = read_handler(log, _counting_submit(pool, sizes))  # type: ignore[attr-defined]
        storage.close()  # every storage read fails from here on
        entries = [f"/api/v1/log/entries?logIndex={OFFSET + n % ENTRIES}" for n in range(20)]
        entries.append(f"/api/v1/log/entries/{'ab' * 32}")
        # Answered as alone, without the failed reads: refused (400) or absent (404).
        refused = {
            "/api/v1/log/proof?firstSize=3&lastSize=2": (400, "no consistency proof from size"),
            f"/api/v1/log/entries/{'0' * 16}{'ab' * 32}": (400, "is not of tree 99"),
            "/api/v1/log/entries?logIndex=3": (404, "no entry at log index 3"),
        }
        asked = [*entries, *refused] * 2
        answers = _get_all(portal, app, asked)
    for path, answer in zip(asked, answers, strict=True):
        if path in entries:
            assert answer.status_code == 503, path
            assert "closed" in answer.json()["message"]
            assert answer.headers["retry-after"]
        else:  # in the same gatherings as the failed reads: each its own answer
            status, message = refused[path]
            assert answer.status_code == status, path
            assert message in answer.json()["message"], path
    assert sum(sizes) == len(asked)


def test_a_gathering_that_cannot_be_handed_off_fails_its_reads(
    portal: BlockingPortal, opened: tuple[RekorLog, LogStorage]
) -> None:
    log, _ = opened
    pool = ThreadPoolExecutor(max_workers=1)
    pool.shutdown()

    async def ask() -> list[BaseException | None]:
        gathering = Gathering(
            log, lambda func: asyncio.get_running_loop().run_in_executor(pool, func)
        )
        asked = [gathering.run(lambda: b"never run") for _ in range(3)]
        return [
            outcome if isinstance(outcome, BaseException) else None
            for outcome in await asyncio.gather(*asked, return_exceptions=True)
        ]

    outcomes = portal.call(ask)
    assert [type(outcome) for outcome in outcomes] == [RuntimeError] * 3
    assert "shutdown" in str(outcomes[0])


def test_an_answer_a_future_refuses_fails_only_its_own_request(
    portal: BlockingPortal, opened: tuple[RekorLog, LogStorage]
) -> None:
    """A ``StopIteration`` cannot be set on a future: that request gets a RuntimeError, and
    the others of its gathering their answers (on the loop and on the read threads)."""
    log, _ = opened

    def stop() -> bytes:
        raise StopIteration

    async def ask(gathering: Gathering) -> list[Any]:
        asked = [gathering.run(lambda: b"before"), gathering.run(stop)]
        asked.append(gathering.run(lambda: b"after"))
        return list(await asyncio.wait_for(asyncio.gather(*asked, return_exceptions=True), 10))

    with ThreadPoolExecutor(max_workers=1) as pool:
        for submit in (None, _counting_submit(pool, [])):
            outcomes = portal.call(ask, Gathering(log, submit))
            assert outcomes[0] == b"before"
            assert isinstance(outcomes[1], RuntimeError)
            assert "StopIteration" in str(outcomes[1])
            assert outcomes[2] == b"after"


def test_a_gathering_lost_with_its_event_loop_does_not_stall_the_next_loop(
    opened: tuple[RekorLog, LogStorage],
) -> None:
    """An application served again on a new event loop (tests, embedders) starts afresh, even
    if a gathering of the old loop never came back."""
    log, _ = opened
    handed: list[int] = []

    def submit(func: Callable[[], list[Any]]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        handed.append(1)
        if len(handed) == 1:
            return loop.create_future()  # lost: never completes
        return loop.run_in_executor(None, func)

    gathering = Gathering(log, submit, depth=1)

    async def first() -> None:
        gathering.ask(0, OFFSET)  # its gathering is lost with this loop

    async def second() -> bytes:
        answer: bytes = await asyncio.wait_for(gathering.run(lambda: b"answered"), 10)
        return answer

    asyncio.run(first())
    assert asyncio.run(second()) == b"answered"
    assert len(handed) == 2
