"""A real ``liturgia serve`` for the chaos tests, and the signed entries they send.

:class:`Serve` is :class:`tests.serving.Server` with the log key's path given (every restart
of one log uses the same key); it is stopped with SIGKILL (the kill -9 experiment's fault) or
SIGTERM. :func:`signed_bundles` makes distinct bundles signed by one real P-256 key
(``liturgia.sign``), the way ``liturgia sign`` makes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from liturgia import sign
from tests.serving import HOST, Server

__all__ = ["HOST", "Serve", "signed_bundles"]


class Serve(Server):
    """``liturgia serve --db DB --key KEY`` on a free loopback port (``db``: a ``--db`` URL)."""

    def __init__(
        self, db: str, key: Path, home: Path, *extra: str, prefix: Sequence[str] = ()
    ) -> None:
        super().__init__(db, home, "--key", str(key), *extra, prefix=prefix)


def signed_bundles(folder: Path, count: int) -> tuple[list[bytes], sign.Signer]:
    """``count`` distinct bundles signed by one new P-256 key (password ``pw``), and the signer."""
    sign.generate_key_pair(folder / "signer.key", folder / "signer.pub", password=b"pw")
    signer = sign.load_signer(str(folder / "signer.key"), password=b"pw")
    return [sign.sign_bytes(b"release %d\n" % n * 16, signer) for n in range(count)], signer
