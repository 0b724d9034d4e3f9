"""``liturgia sign FILE... [--key REF]``: write ``FILE.sigstore.json`` beside each file.

Sign each FILE with a key (a path, file:PATH or another registered key URI) and write
FILE.sigstore.json atomically. The password comes from LITURGIA_PASSWORD or a prompt. Prints each
bundle's path on stdout.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from liturgia import sign
from liturgia._internal.files import atomic_write_bytes
from liturgia._internal.text import fs_text
from liturgia.cli._common import (
    KEY_OPTION_WAY_OUT,
    LOG_SIGNATURES_UNCHECKED,
    add_command,
    add_signing_key_option,
    add_tlog_options,
    doc_body,
    explain_key_password,
    print_path,
    stderr_console,
)
from liturgia.cli.keys import password_for_key
from liturgia.errors import InputError, KeyPasswordError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``sign`` command."""
    help_ = "sign files: a Sigstore bundle v0.3 beside each (FILE.sigstore.json)"
    parser = add_command(
        subparsers, "sign", run, help_, description=doc_body(__doc__), show_defaults=True
    )
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE")
    add_signing_key_option(parser)
    parser.add_argument(
        "--output-dir",
        type=Path,
        help="write bundles here instead of beside each file",
    )
    add_tlog_options(parser, what="each signature")


def run(args: argparse.Namespace) -> int:
    """Sign every file; 0 when all are signed (nothing is written if a file is missing)."""
    files: list[Path] = args.files
    for path in files:
        if not path.is_file():
            raise InputError(f"{path}: file not found")
    try:
        signer = sign.open_signer(args.key, password=password_for_key).signer
    except KeyPasswordError as exc:
        raise explain_key_password(exc, other_key=KEY_OPTION_WAY_OUT) from exc
    log_key = sign.load_public_key(args.log_key) if args.tlog_url and args.log_key else None
    console = stderr_console()
    for path in files:
        bundle = sign.sign_file(path, signer)
        if args.tlog_url:
            from liturgia.sign.tlog_upload import add_log_entry  # noqa: PLC0415 - only when asked

            bundle = add_log_entry(bundle, signer.public_key, args.tlog_url, log_key=log_key)
            sign.verify_file_bundle(path, bundle, signer.public_key)  # the entry is about it
        folder = args.output_dir or path.parent
        target = folder / (path.name + sign.BUNDLE_SUFFIX)
        atomic_write_bytes(target, bundle)
        print_path(target)
        console.print(f"signed {fs_text(path)} -> {fs_text(target)} (key {signer.key_id})")
    if args.tlog_url and log_key is None:
        console.print(f"note: {LOG_SIGNATURES_UNCHECKED}", highlight=False)
    return 0
