"""A throwaway PostgreSQL cluster on a free loopback port, for the tests that need one.

Debian's ``postgresql`` package is installed when missing (``apt-get``); ``initdb`` and
``pg_ctl`` refuse root, so as root they run as the package's ``postgres`` user. Used by the
storage contract suite (``conftest.py`` beside this file), the multi-process server tests and
the kill -9 chaos test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode


def pg_bindir() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``, installing Debian's PostgreSQL if missing."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=600", "postgresql"],
            check=True,
            capture_output=True,
        )
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent


def free_port() -> int:
    """A free TCP port on the loopback address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def throwaway_cluster(
    max_connections: int = 200,
    *,
    parent: Path | None = None,
    small_wal: bool = False,
) -> Iterator[str]:
    """Start a cluster on a free loopback port; yield a DSN to its ``postgres`` database.

    The cluster is stopped (``-m immediate``) and its folder removed on exit.

    Args:
        max_connections: PostgreSQL's ``max_connections``.
        parent: where the cluster's folder is made (default: the temporary folder), e.g. a
            small tmpfs for a full-disk test.
        small_wal: 1 MiB WAL segments and at most 4 MiB of WAL (a cluster of about 30 MiB).
    """
    bindir = pg_bindir()
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="liturgia-pg-", dir=parent))
    root.chmod(0o755)
    data = root / "data"
    data.mkdir()
    if as_user:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
        + (["--wal-segsize=1"] if small_wal else []),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections={max_connections}"
    )
    if small_wal:
        options += " -c max_wal_size=4MB -c min_wal_size=2MB"
    ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log")]
    subprocess.run([*ctl, "-o", options, "start"], check=True, capture_output=True)
    try:
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run([*ctl, "-m", "immediate", "stop"], check=True, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def new_schema(dsn: str) -> str:
    """Create an empty schema in ``dsn``'s database; return a DSN whose search_path is it."""
    import psycopg  # noqa: PLC0415 - only PostgreSQL tests need it

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return f"{dsn} options='-c search_path={name}'"


def pg_url(dsn: str) -> str:
    """The ``postgresql://`` URL (a ``--db`` value) of a key=value DSN, options included."""
    from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415 - PostgreSQL tests only

    info = conninfo_to_dict(dsn)
    query = urlencode({"options": info["options"]}, quote_via=quote) if "options" in info else ""
    return f"postgresql://{info['user']}@{info['host']}:{info['port']}/{info['dbname']}?{query}"
