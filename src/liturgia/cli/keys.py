"""``liturgia keys generate|import|id`` and ``liturgia trust-root export``.

Passwords come from ``LITURGIA_PASSWORD`` (and ``LITURGIA_IMPORT_PASSWORD`` for a key being
imported) or, on a terminal, from a prompt; never from a flag or a file.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from liturgia import sign
from liturgia._internal.files import atomic_write_bytes, read_bytes
from liturgia.cli._common import add_command, add_group, env_option, stderr_console
from liturgia.errors import InputError

__all__ = ["password_for_key", "read_password", "register", "run"]

PASSWORD_ENV = "LITURGIA_PASSWORD"  # noqa: S105 - a variable name, not a password
IMPORT_PASSWORD_ENV = "LITURGIA_IMPORT_PASSWORD"  # noqa: S105 - a variable name


def read_password(*, env: str = PASSWORD_ENV, prompt: str, confirm: bool = False) -> bytes:
    """Return the password from ``env``, else prompt on the terminal (twice when ``confirm``).

    Raises:
        InputError: no variable and no terminal, or the two entries differ.
    """
    value = os.environ.get(env)
    if value is not None:
        return value.encode("utf-8")
    if not sys.stdin.isatty():
        raise InputError(f"no password: set {env} or run in a terminal to be prompted")
    first = getpass.getpass(f"{prompt}: ")
    if confirm and getpass.getpass(f"{prompt} again: ") != first:
        raise InputError("the two passwords differ")
    return first.encode("utf-8")


def password_for_key(purpose: str, confirm: bool) -> bytes:
    """The password provider of :func:`liturgia.sign.open_signer` for ``sign`` and ``attest``.

    It is asked only for an encrypted key file: from ``LITURGIA_PASSWORD``, else a prompt.
    """
    return read_password(prompt=purpose[:1].upper() + purpose[1:], confirm=confirm)


def _add_output_options(parser: argparse.ArgumentParser, *, default_prefix: str) -> None:
    """``--prefix`` (env ``LITURGIA_KEY_PREFIX``) and ``--force`` of the commands writing keys."""
    env_option(parser, "--prefix", "LITURGIA_KEY_PREFIX", "write PREFIX.key and PREFIX.pub",
               type=Path, default=Path(default_prefix))  # fmt: skip
    parser.add_argument("--force", action="store_true", help="overwrite existing key files")


def register(subparsers: Any) -> None:
    """Add the ``keys`` and ``trust-root`` commands."""
    actions = add_group(
        subparsers,
        "keys",
        "create, import and inspect signing keys (cosign's encrypted format)",
        dest="keys_action",
        description="Signing keys at rest in cosign's encrypted format (scrypt + NaCl secretbox).",
        metavar="ACTION",
    )
    generate = add_command(
        actions,
        "generate",
        run,
        "generate a key pair: PREFIX.key (encrypted, 0600) and PREFIX.pub",
        description=f"Generate a key pair. Password from {PASSWORD_ENV} or a prompt.",
        show_defaults=True,
    )
    env_option(
        generate,
        "--algorithm",
        "LITURGIA_KEY_ALGORITHM",
        "key algorithm",
        choices=[a.value for a in sign.KeyAlgorithm],
        default=sign.KeyAlgorithm.ECDSA_P256.value,
    )
    _add_output_options(generate, default_prefix="cosign")
    generate.set_defaults(keys_run=_generate)

    imported = add_command(
        actions,
        "import",
        run,
        "import a PKCS#8/SEC1 PEM or cosign key into cosign's encrypted format",
        description=(
            f"Re-encrypt an existing private key. The source's password (if encrypted) comes "
            f"from {IMPORT_PASSWORD_ENV}, the new one from {PASSWORD_ENV}; else prompts."
        ),
        show_defaults=True,
    )
    imported.add_argument("source", type=Path, metavar="KEY", help="the private key to import")
    _add_output_options(imported, default_prefix="import-cosign")
    imported.set_defaults(keys_run=_import)

    help_ = "print the key id (hex SHA-256 of the DER public key) of a public key"
    show = add_command(actions, "id", run, help_, show_defaults=True)
    show.add_argument("public", type=Path, metavar="PUBKEY", help="a public key PEM")
    show.set_defaults(keys_run=_key_id)

    help_ = "export a Sigstore TrustedRoot JSON for consumers of our releases"
    trust = add_group(subparsers, "trust-root", help_, dest="trust_action", metavar="ACTION")
    help_ = "write a TrustedRoot listing our transparency log (and nothing of the public one)"
    export = add_command(trust, "export", run, help_, show_defaults=True)
    export.add_argument(
        "--tlog-key",
        type=Path,
        action="append",
        default=[],
        metavar="PEM",
        help="public key of a transparency log to trust (repeatable)",
    )
    export.add_argument(
        "--tlog-url",
        action="append",
        default=[],
        metavar="URL",
        help="base URL of each log, in the same order; must contain its checkpoint origin",
    )
    export.add_argument(
        "--valid-from",
        type=_rfc3339,
        metavar="TIME",
        help="start of the log keys' validity, RFC 3339 (e.g. 2026-01-01T00:00:00Z); must "
        "precede every entry verifiers should accept (default: now, so entries logged "
        "earlier are refused by sigstore-js)",
    )
    export.add_argument(
        "-o", "--output", type=Path, help="write to this file instead of stdout (atomically)"
    )
    export.set_defaults(keys_run=_trust_root)


def run(args: argparse.Namespace) -> int:
    """Run the chosen ``keys`` or ``trust-root`` action; 0 on success."""
    return int(args.keys_run(args))


def _paths(prefix: Path) -> tuple[Path, Path]:
    return prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".pub")


def _generate(args: argparse.Namespace) -> int:
    private, public = _paths(args.prefix)
    if not args.force:
        for target in (private, public):
            if target.exists():
                raise InputError(f"{target}: already exists (use --force to overwrite)")
    password = read_password(prompt="Password for the new private key", confirm=True)
    info = sign.generate_key_pair(
        private, public, password=password, algorithm=args.algorithm, force=args.force
    )
    sys.stdout.write(f"{info.key_id}\n")
    stderr_console().print(
        f"wrote {info.private_path} (encrypted, 0600) and {info.public_path} "
        f"({info.algorithm}, key id {info.key_id})"
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    private, public = _paths(args.prefix)
    if not args.force:
        for target in (private, public):
            if target.exists():
                raise InputError(f"{target}: already exists (use --force to overwrite)")
    data = read_bytes(args.source, what="private key")
    source_password: bytes | None = None
    if b"ENCRYPTED" in data:
        source_password = read_password(
            env=IMPORT_PASSWORD_ENV, prompt=f"Password of {args.source}"
        )
    key = sign.parse_private_key(data, password=source_password, source=str(args.source))
    password = read_password(prompt="Password for the imported private key", confirm=True)
    info = sign.write_key_pair(key, private, public, password=password, force=args.force)
    sys.stdout.write(f"{info.key_id}\n")
    stderr_console().print(f"imported {args.source} as {private} and {public}")
    return 0


def _key_id(args: argparse.Namespace) -> int:
    sys.stdout.write(f"{sign.key_id(sign.load_public_key(args.public))}\n")
    return 0


def _rfc3339(value: str) -> datetime:
    """Parse ``--valid-from``: an RFC 3339 date-time with an offset (``Z`` or ``+hh:mm``)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in value.upper():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an RFC 3339 time with an offset (e.g. 2026-01-01T00:00:00Z)"
        )
    return moment.astimezone(UTC)


def _trust_root(args: argparse.Namespace) -> int:
    if len(args.tlog_key) != len(args.tlog_url):
        raise InputError(
            f"trust-root export: {len(args.tlog_key)} --tlog-key but {len(args.tlog_url)} "
            "--tlog-url; give one URL per log key"
        )
    logs = [
        sign.TransparencyLog(
            base_url=url, public_key=sign.load_public_key(path), valid_from=args.valid_from
        )
        for path, url in zip(args.tlog_key, args.tlog_url, strict=True)
    ]
    document = sign.trusted_root_json(logs)
    if args.output is None:
        sys.stdout.write(document.decode("utf-8"))
    else:
        atomic_write_bytes(args.output, document)
        stderr_console().print(f"wrote {args.output} ({len(logs)} transparency logs)")
    return 0
