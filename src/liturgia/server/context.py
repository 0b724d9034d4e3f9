"""What every router of one application shares: the log, its thread pools, the write path.

:func:`liturgia.server.create_app` builds one :class:`AppContext` and hands it to each router
factory (``liturgia.server.api.<group>.router(context)``), so that a router is a module of
route functions over plain values rather than a closure inside the application factory.
"""

from __future__ import annotations

from dataclasses import dataclass

from liturgia.server.records import RecordStore
from liturgia.server.tiles import Run
from liturgia.server.webhooks import Webhooks
from liturgia.server.writes import EntryWriter
from liturgia.tlog import rekor
from liturgia.tlog.log import RekorLog

__all__ = ["AppContext"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AppContext:
    """The shared parts of one application.

    Attributes:
        log: the started transparency log.
        call: runs a library call (a write or a search) in a worker thread.
        read: runs a read on the read threads (their own pool).
        writer: the log's write path (``createLogEntry``).
        max_body_bytes: largest request body any route accepts (413 beyond).
        public_key: the log's public key, served at ``GET /api/v1/log/publicKey`` when given.
        records: the release records and tokens (``None``: the records API is not served).
        webhooks: where release events are announced (``None``: nowhere).
        private: the records, pages and metrics need a valid token to be read.
    """

    log: RekorLog
    call: Run
    read: Run
    writer: EntryWriter
    max_body_bytes: int
    public_key: rekor.PublicKey | None = None
    records: RecordStore | None = None
    webhooks: Webhooks | None = None
    private: bool = False
