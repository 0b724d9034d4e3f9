"""Signing: keys in cosign's encrypted format, Sigstore bundles v0.3, DSSE envelopes.

Typical use::

    generate_key_pair(Path("cosign.key"), Path("cosign.pub"), password=b"...")
    signer = load_signer("cosign.key", password=b"...")       # or hashivault://K, pkcs11:...
    bundle = sign_file(Path("dist/app.whl"), signer)          # -> bundle JSON bytes
    verify_file_bundle(Path("dist/app.whl"), bundle, load_public_key(Path("cosign.pub")))

Interoperability, as tested (tests/integration/sign, tests/unit/sign):

* cosign's own encrypted test keys load here and derive its ``.pub`` files byte for byte; the
  SEC1 key cosign refuses is refused. Our keys use the same container (scrypt N=32768, r=8,
  p=1; NaCl secretbox; PKCS#8 inside; label ``ENCRYPTED SIGSTORE PRIVATE KEY``).
* sigstore-js (@sigstore/verify 3.1.1) verifies our P-256 message-signature and DSSE bundles
  offline with ``--tlog 0 --ts 0`` and rejects every tampered variant. It verifies DSSE with
  SHA-256 whatever the curve (so P-384 DSSE fails there) and cannot verify Ed25519 message
  signatures: P-256, the default, is the interoperable choice. With a log entry made from
  :func:`tlog_entry_from_rekor` (a Rekor-v1-shaped answer: SET, inclusion proof, checkpoint)
  and :func:`trusted_root_json` listing the log's key, it passes with its default policy and
  fails an entry about other content, a bad SET, proof or checkpoint, or another log's key.
* securesystemslib verifies our DSSE envelopes; sigstore-protobuf-specs reads every bundle and
  TrustedRoot field we write and writes the same JSON back.
* sigstore-python (4.5) accepts only certificate-based bundles: it refuses key-based bundles
  like ours when loading them ("expected certificate in bundle"), so it cannot verify them.
"""

from __future__ import annotations

from liturgia.sign.artifact import digest_file, sign_bytes, sign_file
from liturgia.sign.bundle import (
    BUNDLE_MEDIA_TYPE,
    BUNDLE_SUFFIX,
    READABLE_MEDIA_TYPES,
    Bundle,
    HashAlgorithm,
    MessageSignature,
    dsse_bundle,
    message_signature_bundle,
    parse_bundle,
)
from liturgia.sign.dsse import (
    INTOTO_PAYLOAD_TYPE,
    DsseSignature,
    Envelope,
    pae,
    sign_dsse,
    verify_dsse,
)
from liturgia.sign.keys import (
    KeyAlgorithm,
    KeyPairInfo,
    PublicKey,
    generate_key_pair,
    key_id,
    load_public_key,
    parse_private_key,
    parse_public_key,
    write_key_pair,
)
from liturgia.sign.rekor import check_entry_bodies, proposed_entry, tlog_entry_from_rekor
from liturgia.sign.signer import (
    KeyPair,
    OpenedKey,
    PasswordProvider,
    Signer,
    key_file_of,
    load_signer,
    load_verification_key,
    open_key_pair,
    open_signer,
    register_scheme,
)
from liturgia.sign.tlog_verify import (
    load_log_keys,
    log_keys_from_trusted_root,
    verify_tlog_entries,
)
from liturgia.sign.trust_root import TRUSTED_ROOT_MEDIA_TYPE, TransparencyLog, trusted_root_json
from liturgia.sign.verify import verify_bytes_bundle, verify_dsse_bundle, verify_file_bundle

__all__ = [
    "BUNDLE_MEDIA_TYPE",
    "BUNDLE_SUFFIX",
    "INTOTO_PAYLOAD_TYPE",
    "READABLE_MEDIA_TYPES",
    "TRUSTED_ROOT_MEDIA_TYPE",
    "Bundle",
    "DsseSignature",
    "Envelope",
    "HashAlgorithm",
    "KeyAlgorithm",
    "KeyPair",
    "KeyPairInfo",
    "MessageSignature",
    "OpenedKey",
    "PasswordProvider",
    "PublicKey",
    "Signer",
    "TransparencyLog",
    "check_entry_bodies",
    "digest_file",
    "dsse_bundle",
    "generate_key_pair",
    "key_file_of",
    "key_id",
    "load_log_keys",
    "load_public_key",
    "load_signer",
    "load_verification_key",
    "log_keys_from_trusted_root",
    "message_signature_bundle",
    "open_key_pair",
    "open_signer",
    "pae",
    "parse_bundle",
    "parse_private_key",
    "parse_public_key",
    "proposed_entry",
    "register_scheme",
    "sign_bytes",
    "sign_dsse",
    "sign_file",
    "tlog_entry_from_rekor",
    "trusted_root_json",
    "verify_bytes_bundle",
    "verify_dsse",
    "verify_dsse_bundle",
    "verify_file_bundle",
    "verify_tlog_entries",
    "write_key_pair",
]
