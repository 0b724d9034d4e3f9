"""Serving a log: its host name and listening socket (opening it: :mod:`liturgia.tlog.instance`).

The database URL, the log key beside it, the tree ID and the verified start-up are
:mod:`liturgia.tlog.instance`'s (shared with the release's embedded log); they are re-exported
here for the server and its callers.
"""

from __future__ import annotations

import socket

from liturgia.errors import ConfigError, NetworkError
from liturgia.tlog.instance import (
    _db_label,
    default_db_url,
    load_or_create_log_key,
    log_key_path_for_db,
    open_log,
    tree_id_for,
)

__all__ = [
    "_db_label",
    "check_log_host",
    "default_db_url",
    "listen",
    "load_or_create_log_key",
    "log_key_path_for_db",
    "open_log",
    "tree_id_for",
]


def check_log_host(host: str) -> str:
    """Return ``host`` if it can name the log in its checkpoints.

    The host is the checkpoint's key name, and C2SP signed notes (c2sp.org/signed-note) allow
    any non-empty UTF-8 key name without spaces or ``+``; the origin line also forbids line
    breaks.

    Raises:
        ConfigError: ``host`` is empty or holds a space, a line break or ``+``.
    """
    if not host or "+" in host or any(c.isspace() for c in host):
        raise ConfigError(
            f"log host {host!r} cannot name a log: it must be non-empty, without spaces or '+'"
        )
    return host


def listen(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """Bind and listen on ``host``:``port`` (TCP); port 0 picks a free one.

    The socket is inheritable, so that worker processes can serve it.

    Raises:
        ConfigError: ``port`` is not in 0..65535.
        NetworkError: the address cannot be resolved or bound (in use, not ours, no rights).
    """
    if not 0 <= port <= 65_535:
        raise ConfigError(f"--port must be between 0 and 65535, not {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise NetworkError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise NetworkError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock
