"""``liturgia attest`` (sign an in-toto Statement into a DSSE bundle) and ``verify-attestation``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from liturgia import provenance, sign
from liturgia._internal.files import atomic_write_bytes, read_bytes
from liturgia.cli._common import (
    KEY_OPTION_WAY_OUT,
    LOG_SIGNATURES_UNCHECKED,
    add_command,
    add_signing_key_option,
    add_tlog_options,
    explain_key_password,
    print_path,
    stderr_console,
)
from liturgia.cli.keys import password_for_key
from liturgia.errors import InputError, KeyPasswordError

__all__ = ["register", "run", "run_verify"]

#: Short names accepted by --type, as cosign's ``attest-blob --type`` spells them.
SHORT_TYPES = {
    "slsaprovenance1": provenance.PredicateType.SLSA_PROVENANCE_V1.value,
    "cyclonedx": provenance.PredicateType.CYCLONEDX.value,
    "spdx": provenance.PredicateType.SPDX.value,
    "spdxjson": provenance.PredicateType.SPDX.value,
    "vuln": provenance.PredicateType.VULNS.value,
    "test-result": provenance.PredicateType.TEST_RESULT.value,
}


def predicate_type(value: str) -> str:
    """Resolve ``--type``: a short name of :data:`SHORT_TYPES` or an absolute URI.

    Raises:
        InputError: neither a known short name nor a URI with a scheme.
    """
    if value in SHORT_TYPES:
        return SHORT_TYPES[value]
    scheme, sep, rest = value.partition(":")
    if not sep or not scheme.isalpha() or not rest:
        known = ", ".join(sorted(SHORT_TYPES))
        raise InputError(f"--type {value!r}: not a URI nor one of {known}")
    return value


def register(subparsers: Any) -> None:
    """Add the ``attest`` and ``verify-attestation`` commands."""
    parser = add_command(
        subparsers,
        "attest",
        run,
        "sign a predicate about SUBJECT files as an in-toto attestation (DSSE bundle)",
        description=(
            "Wrap the JSON predicate in an in-toto Statement v1 whose subjects are the files "
            "(name and SHA-256), sign it as a DSSE envelope and write a Sigstore bundle v0.3. "
            "Prints the bundle's path on stdout."
        ),
        show_defaults=True,
    )
    parser.add_argument("subjects", type=Path, nargs="+", metavar="SUBJECT")
    parser.add_argument("--predicate", type=Path, required=True, metavar="FILE")
    parser.add_argument(
        "--type",
        required=True,
        metavar="URI",
        help=f"predicate type URI, or one of {', '.join(sorted(SHORT_TYPES))}",
    )
    add_signing_key_option(parser)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="bundle path (default: FIRST_SUBJECT.intoto.json, a Sigstore bundle holding the "
        "DSSE envelope; not *.sigstore.json, which names artifact signatures)",
    )
    add_tlog_options(parser, what="the attestation (a dsse entry)")

    check = add_command(
        subparsers,
        "verify-attestation",
        run_verify,
        "verify an attestation bundle against a public key and its subject files",
        description=(
            "Exit 0 when the DSSE signature verifies under the key, each SUBJECT file is a "
            "subject with its SHA-256, and the predicate type is the required one; 1 naming "
            "the reason otherwise. Prints the verified Statement JSON on stdout."
        ),
        show_defaults=True,
    )
    check.add_argument("subjects", type=Path, nargs="*", metavar="SUBJECT")
    check.add_argument("--bundle", type=Path, required=True)
    check.add_argument(
        "--key",
        required=True,
        metavar="REF",
        help="public key PEM, or a key URI (hashivault://KEY, pkcs11:...) to read it from",
    )
    check.add_argument("--type", metavar="URI", help="the predicate type required")


def _predicate(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(read_bytes(path, what="predicate"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: predicate is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise InputError(f"{path}: predicate is not a JSON object")
    return document


def run(args: argparse.Namespace) -> int:
    """Attest; 0 when the bundle is written."""
    type_uri = predicate_type(args.type)
    predicate = _predicate(args.predicate)
    statement = provenance.statement_for_files(
        args.subjects, predicate_type=type_uri, predicate=predicate
    )
    try:
        signer = sign.open_signer(args.key, password=password_for_key).signer
    except KeyPasswordError as exc:
        raise explain_key_password(exc, other_key=KEY_OPTION_WAY_OUT) from exc
    log_key = sign.load_public_key(args.log_key) if args.tlog_url and args.log_key else None
    bundle = provenance.attest(statement, signer)
    if args.tlog_url:
        from liturgia.sign.tlog_upload import add_log_entry  # noqa: PLC0415 - only when asked

        bundle = add_log_entry(bundle, signer.public_key, args.tlog_url, log_key=log_key)
        sign.verify_dsse_bundle(bundle, signer.public_key)  # the entry is about this envelope
        if log_key is None:
            stderr_console().print(f"note: {LOG_SIGNATURES_UNCHECKED}", highlight=False)
    first: Path = args.subjects[0]
    target: Path = args.output or first.with_name(first.name + ".intoto.json")
    atomic_write_bytes(target, bundle)
    print_path(target)
    stderr_console().print(
        f"attested {len(statement.subjects)} subjects ({type_uri}) -> {target} "
        f"(key {signer.key_id})"
    )
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Verify an attestation; 0 when it verifies (errors raise and exit 1 or 2)."""
    public_key = sign.load_verification_key(args.key)
    bundle = read_bytes(args.bundle, what="bundle")
    required = predicate_type(args.type) if args.type else None
    statement = provenance.verify_attestation_bundle(
        bundle,
        public_key,
        artifacts=args.subjects,
        predicate_type=required,
        bundle_name=args.bundle.name,
    )
    sys.stdout.write(json.dumps(statement.to_dict(), indent=2, sort_keys=True) + "\n")
    stderr_console().print(
        f"verified: {args.bundle} ({statement.predicate_type}, key {public_key.key_id})"
    )
    return 0
