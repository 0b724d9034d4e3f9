"""The transparency log a release records every bundle in (issue 12, item 3).

A release logs each bundle it writes — artifacts, SBOM, attestations, ``SHA256SUMS`` — so that
a consumer can check offline that the publisher's signatures were made public (signed entry
timestamp, signed checkpoint, RFC 9162 inclusion proof) and, online, that the log never
rewrote them. Two logs, one path (:func:`liturgia.sign.tlog_upload.record_in_log`):

* a **served** log (``[signing] tlog_url``, ``--tlog-url``, ``LITURGIA_TLOG_URL``): a Rekor v1
  log such as ``liturgia serve``; it is asked for its key before anything is built, so a log
  that is down fails the release at once (``NetworkError``, exit 3) and nothing is written;
* otherwise the **embedded** log: liturgia's own Merkle log (:class:`liturgia.tlog.RekorLog`)
  in an SQLite file of the user's state folder, ``$XDG_STATE_HOME/liturgia/tlog/log.db``, its
  signing key beside it (``log.db.key.pem``, 0600) and its public key as ``log.pub`` for
  consumers. ``liturgia serve --db sqlite://…/log.db`` serves the same log later.

Either way the release folder gets ``trusted-root.json``: a Sigstore TrustedRoot naming the
log (its base URL and key), valid from the release's first entry, for clients such as
sigstore-js. A consumer should still take the log key from a source they trust.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from liturgia import sign
from liturgia._internal.files import atomic_write_bytes, read_bytes
from liturgia._internal.xdg import user_dir
from liturgia.errors import NetworkError
from liturgia.sign.tlog_upload import record_in_log, upload_entry
from liturgia.tlog.client import LogClient
from liturgia.tlog.instance import open_log

__all__ = [
    "EMBEDDED_HOST",
    "TRUSTED_ROOT_NAME",
    "ReleaseLog",
    "embedded_log_dir",
    "open_release_log",
]

logger = logging.getLogger(__name__)

#: The file of the release folder holding the Sigstore TrustedRoot that names the log.
TRUSTED_ROOT_NAME = "trusted-root.json"

#: Host name of a new embedded log: its checkpoint key name and origin prefix, and the host of
#: the base URL in the trusted root (``.invalid``, RFC 2606: it names the log, never a server).
EMBEDDED_HOST = "embedded-log.liturgia.invalid"


def embedded_log_dir() -> Path:
    """``$XDG_STATE_HOME/liturgia/tlog``: the embedded log's database and keys."""
    return user_dir("state") / "tlog"


class ReleaseLog(AbstractContextManager["ReleaseLog"]):
    """The log of one release: records bundles, names itself in a trusted root.

    Made by :func:`open_release_log`; close it (or use ``with``) to stop the embedded log.

    Attributes:
        base_url: the log's base URL (the embedded log's is ``https://<host>``).
        public_key: the key its checkpoints and signed entry timestamps verify under.
        description: how progress lines name it (``"embedded log /…/log.db"`` or the URL).
    """

    def __init__(
        self,
        *,
        base_url: str,
        public_key: sign.PublicKey,
        description: str,
        submit: Any,
        closer: Any = None,
    ) -> None:
        self.base_url = base_url
        self.public_key = public_key
        self.description = description
        self._submit = submit
        self._closer = closer
        self._times: list[int] = []

    def __enter__(self) -> Self:
        """Return the log."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the log."""
        self.close()

    def close(self) -> None:
        """Stop the embedded log (storing and integrating what is queued); idempotent."""
        closer, self._closer = self._closer, None
        if closer is not None:
            closer()

    def record(self, bundle: bytes, public_key: sign.PublicKey) -> bytes:
        """Log ``bundle``'s signature; return the bundle carrying its verified entry.

        Raises:
            BundleError: the bundle cannot be logged.
            NetworkError: the log cannot be reached, or its answer does not verify under
                :attr:`public_key` (exit 3).
            StorageError: the embedded log could not store or integrate the entry.
        """
        result = record_in_log(
            bundle, public_key, self._submit, log_name=self.description, log_key=self.public_key
        )
        entries = sign.parse_bundle(result).tlog_entries
        self._times.append(int(entries[-1]["integratedTime"]))
        return result

    def record_file(self, folder: Path, name: str, public_key: sign.PublicKey) -> None:
        """Log the bundle ``folder/name.sigstore.json`` and rewrite it with its entry."""
        target = folder / f"{name}{sign.BUNDLE_SUFFIX}"
        atomic_write_bytes(target, self.record(read_bytes(target, what="bundle"), public_key))

    def trusted_root(self) -> bytes:
        """A Sigstore TrustedRoot naming this log, valid from the first entry recorded.

        The start is the earliest ``integratedTime`` this release got (or now, before any), so
        that the document is the same for the same entries.
        """
        start = datetime.fromtimestamp(min(self._times), UTC) if self._times else None
        log = sign.TransparencyLog(
            base_url=self.base_url, public_key=self.public_key, valid_from=start
        )
        return sign.trusted_root_json([log])


def open_release_log(
    tlog_url: str | None,
    *,
    log_key: Path | None = None,
    timeout: float = 30.0,
    embedded_dir: Path | None = None,
) -> ReleaseLog:
    """Open the release's log: the served one at ``tlog_url``, else the embedded one.

    Args:
        tlog_url: a Rekor v1 log's base URL, or ``None`` for the embedded log.
        log_key: with ``tlog_url``, the log's public key PEM to hold it to; ``None``: the key it
            serves (``GET /api/v1/log/publicKey``), which the trusted root then records.
        timeout: seconds per HTTP exchange with a served log.
        embedded_dir: the embedded log's folder (default :func:`embedded_log_dir`).

    Returns:
        The opened log; the caller closes it.

    Raises:
        ConfigError: a bad URL or log key file.
        InputError: ``log_key`` is not a public key.
        NetworkError: the served log cannot be reached or serves no key (exit 3).
        StorageError: the embedded log's files cannot be read or written, or its stored tree
            does not match its signed checkpoint.
    """
    if tlog_url is not None:
        return _served(tlog_url, log_key, timeout)
    return _embedded(embedded_dir or embedded_log_dir())


def _served(url: str, log_key: Path | None, timeout: float) -> ReleaseLog:
    client = LogClient(url, timeout=timeout)
    try:
        client.checkpoint()  # reachable and answering, before anything is built
        key = (
            sign.load_public_key(log_key)
            if log_key is not None
            else sign.parse_public_key(client.public_key_pem(), source=f"{url} public key")
        )
    except NetworkError as exc:
        raise NetworkError(
            f"the configured transparency log cannot be reached, so the release cannot be "
            f"logged: {exc} (start it, or unset [signing].tlog_url / --tlog-url / "
            "LITURGIA_TLOG_URL to use the embedded log)"
        ) from exc
    base = client.base_url

    def submit(proposed: Mapping[str, Any]) -> Mapping[str, Any]:
        return upload_entry(base, proposed, timeout=timeout)

    return ReleaseLog(base_url=base, public_key=key, description=base, submit=submit)


def _embedded(folder: Path) -> ReleaseLog:
    database = folder / "log.db"
    folder.mkdir(parents=True, exist_ok=True)
    log, storage = open_log(f"sqlite://{database}", host=None, default_host=EMBEDDED_HOST)
    try:
        public_key = sign.PublicKey.from_key(log.public_key)
        published = folder / "log.pub"
        if not published.is_file() or published.read_bytes() != public_key.pem:
            atomic_write_bytes(published, public_key.pem)
    except BaseException:
        log.close()
        storage.close()
        raise

    def submit(proposed: Mapping[str, Any]) -> Mapping[str, Any]:
        entry, _ = log.submit(dict(proposed))
        (value,) = entry.to_api_json(tree_id=log.tree_id).values()
        return dict(value)

    def closer() -> None:
        try:
            log.close()
        finally:
            storage.close()

    logger.debug("embedded transparency log %s (origin %s)", database, log.origin)
    return ReleaseLog(
        base_url=f"https://{log.host}",
        public_key=public_key,
        description=f"embedded log {database}",
        submit=submit,
        closer=closer,
    )
