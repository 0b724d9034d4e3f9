"""C2SP checkpoints in signed notes: a real Rekor checkpoint, round trips, a table of tampering."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from liturgia.errors import ProofError, SignatureError
from liturgia.tlog import checkpoint as cp
from liturgia.tlog import merkle

# Production rekor.sigstore.dev (v1) log key and one of its signed tree heads: public data,
# the known answer for Rekor's ECDSA key ID (SHA-256 of the SPKI DER) and signature format.
REKOR_PUBLIC_KEY_PEM = b"""-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwr
kBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==
-----END PUBLIC KEY-----
"""
REKOR_CHECKPOINT = (
    "rekor.sigstore.dev - 1193050959916656506\n266676745\n"
    "3ZhLKI3mKUlpedQ9hiIMbJIjKr3vTc+ueViyxWqwQGA=\n\n"
    "\u2014 rekor.sigstore.dev wNI9ajBEAiAE7ER4yd8Waq4ZzLQt9BIUyfAvbizhv5PCcxk5Glf28AIgWT6LH4Vlk"
    "rI8VhZnqCPigxEVzdlwVQpuRo0OsISdPGs=\n"
).encode()

ROOT = merkle.leaf_hash(b"root")


def rekor_verifier() -> cp.EcdsaNoteVerifier:
    key = serialization.load_pem_public_key(REKOR_PUBLIC_KEY_PEM)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return cp.EcdsaNoteVerifier("rekor.sigstore.dev", key)


def test_real_rekor_checkpoint_verifies() -> None:
    verifier = rekor_verifier()
    # Rekor's log ID is SHA-256 of the key's SPKI DER; its first 4 bytes are the key ID.
    assert verifier.key_id.hex() == "c0d23d6a"
    body = cp.open_checkpoint(
        REKOR_CHECKPOINT,
        [verifier],
        origin=cp.rekor_origin("rekor.sigstore.dev", 1193050959916656506),
    )
    assert body.size == 266676745
    assert (
        body.root_hash.hex() == "dd984b288de629496979d43d86220c6c92232abdef4dcfae7958b2c56ab04060"
    )
    assert body.extensions == ()
    # Re-serialising the parsed note gives the same bytes.
    assert cp.SignedNote.parse(REKOR_CHECKPOINT).to_bytes() == REKOR_CHECKPOINT


def test_real_rekor_checkpoint_tampered_size_fails() -> None:
    tampered = REKOR_CHECKPOINT.replace(b"266676745", b"266676746")
    with pytest.raises(SignatureError, match=r"ECDSA note signature by rekor\.sigstore\.dev"):
        cp.open_checkpoint(tampered, [rekor_verifier()])


# The documented example of golang.org/x/mod/sumdb/note (the signed-note reference code):
# its private key, verifier key and signed note. Public test data.
GO_NOTE_SKEY_SEED = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_NOTE_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_NOTE = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n\n"
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNX"
    "gKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
).encode()


def test_ed25519_matches_go_sumdb_note_example() -> None:
    seed = base64.b64decode(GO_NOTE_SKEY_SEED)
    assert seed[0] == cp.ED25519_SIGNATURE_TYPE
    signer = cp.Ed25519NoteSigner(
        "PeterNeumann", ed25519.Ed25519PrivateKey.from_private_bytes(seed[1:])
    )
    verifier = signer.verifier()
    assert verifier.vkey() == GO_NOTE_VKEY
    raw = verifier.public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert signer.key_id == hashlib.sha256(b"PeterNeumann\n\x01" + raw).digest()[:4]
    opened = cp.open_note(GO_NOTE, [verifier])
    assert opened.text.startswith(b"If you think")
    # Ed25519 is deterministic: signing the same text gives the same bytes.
    assert cp.sign_note(opened.text, [signer]) == GO_NOTE


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa"])
def test_sign_and_open_round_trip(kind: str) -> None:
    key = (
        ed25519.Ed25519PrivateKey.generate()
        if kind == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    signer = cp.signer_for("log.example/one", key)
    body = cp.Checkpoint(
        origin="log.example/one", size=42, root_hash=ROOT, extensions=("Timestamp: 1",)
    )
    note = cp.sign_checkpoint(body, [signer])
    text = note.decode()
    assert text.startswith(
        f"log.example/one\n42\n{base64.b64encode(ROOT).decode()}\nTimestamp: 1\n\n"
        "\u2014 log.example/one "
    )
    assert text.endswith("\n") and text.count("\n") == 6
    verifier = cp.verifier_for("log.example/one", key.public_key())
    assert cp.open_checkpoint(note, [verifier]) == body
    # Deterministic text; ECDSA signatures are randomised, Ed25519 ones are not.
    assert cp.SignedNote.parse(note).text == body.to_text()


def test_unknown_signatures_are_ignored_and_known_bad_one_rejects() -> None:
    log = cp.Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.generate())
    witness = cp.EcdsaNoteSigner("witness.example", ec.generate_private_key(ec.SECP256R1()))
    body = cp.Checkpoint(origin="log.example", size=1, root_hash=ROOT)
    note = cp.sign_checkpoint(body, [witness, log])
    opened = cp.open_note(note, [log.verifier()])
    assert [s.name for s in opened.signatures] == ["log.example"]
    # Same name, other key (other key ID): ignored, so no known signature is left.
    impostor = cp.Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(SignatureError, match=r"no signature by a known key \(log.example\)"):
        cp.open_note(note, [impostor.verifier()])
    # Known name and key ID but a broken signature: the whole note is rejected.
    parsed = cp.SignedNote.parse(note)
    bad = parsed.signatures[1]
    broken = cp.SignedNote(
        text=parsed.text,
        signatures=(
            parsed.signatures[0],
            cp.NoteSignature(name=bad.name, key_id=bad.key_id, signature=bytes(64)),
        ),
    ).to_bytes()
    with pytest.raises(SignatureError, match=r"Ed25519 note signature by log\.example does not"):
        cp.open_note(broken, [log.verifier(), witness.verifier()])
    with pytest.raises(SignatureError, match=r"\(none\)"):
        cp.open_note(note, [])


def test_origin_mismatch() -> None:
    signer = cp.Ed25519NoteSigner("a.example", ed25519.Ed25519PrivateKey.generate())
    note = cp.sign_checkpoint(
        cp.Checkpoint(origin="a.example", size=0, root_hash=merkle.EMPTY_ROOT), [signer]
    )
    with pytest.raises(ProofError, match=r"origin is 'a\.example', expected 'b\.example'"):
        cp.open_checkpoint(note, [signer.verifier()], origin="b.example")


SIG = REKOR_CHECKPOINT.decode().split("\n\n")[1]


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (b"\xff\n\n" + SIG.encode(), "not valid UTF-8"),
        ("a\tb\n\n" + SIG, "control character"),
        ("origin\n1\nroot\n" + SIG, "no blank line"),
        ("origin\n1\nroot\n\n" + SIG[:-1], "does not end with a signature line"),
        ("origin\n\n- name AAAAAAA=\n", "is not '— <name> <base64>'"),
        ("origin\n\n\u2014 name AAAAAAA= extra\n", "is not '— <name> <base64>'"),
        ("origin\n\n\u2014 na+me AAAAAAA=\n", "key name 'na\\+me'"),
        ("origin\n\n\u2014  AAAAAAA=\n", "key name ''"),
        ("origin\n\n\u2014 name AAAA*AA=\n", "not valid base64"),
        ("origin\n\n\u2014 name AAAAAAB=\n", "not canonical base64"),
        ("origin\n\n\u2014 name AAAAAA==\n", "4 bytes, too short"),
        ("o\n\n" + "\u2014 n AAAAAAA=\n" * 101, "101 signatures, over 100"),
        ("o\n\n" + "\u2014 n " + "A" * (1 << 20) + "\n", "over 1048576"),
    ],
)
def test_malformed_notes(note: str | bytes, message: str) -> None:
    data = note.encode() if isinstance(note, str) else note
    with pytest.raises(ProofError, match=message):
        cp.SignedNote.parse(data)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\xfe", "not valid UTF-8"),
        (b"o\n1\n" + b64(ROOT).encode(), "does not end with a newline"),
        (b"o\n1\n", "has 2 lines, expected at least 3"),
        (f"\n1\n{b64(ROOT)}\n".encode(), "origin '' is empty"),
        (f"o\n01\n{b64(ROOT)}\n".encode(), "tree size '01' is not a decimal uint64"),
        (f"o\n-1\n{b64(ROOT)}\n".encode(), "tree size '-1'"),
        (f"o\n{1 << 64}\n{b64(ROOT)}\n".encode(), "is not a decimal uint64"),
        # Found under faults (issue 16): int() refuses over 4,300 digits with a ValueError.
        (f"o\n{'9' * 4301}\n{b64(ROOT)}\n".encode(), "is not a decimal uint64"),
        (f"o\n1\n{b64(ROOT[:31])}\n".encode(), "root hash is 31 bytes"),
        (b"o\n1\n!!\n", "root hash is not valid base64"),
        (f"o\n1\n{b64(ROOT)}\n\n".encode(), "extension line '' is empty"),
    ],
)
def test_malformed_checkpoints(text: bytes, message: str) -> None:
    with pytest.raises(ProofError, match=message):
        cp.Checkpoint.from_text(text)


def test_checkpoint_field_validation_and_zero() -> None:
    empty = cp.Checkpoint(origin="o", size=0, root_hash=merkle.EMPTY_ROOT)
    assert cp.Checkpoint.from_text(empty.to_text()) == empty
    assert empty.to_text() == b"o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    with pytest.raises(ProofError, match="not a uint64"):
        cp.Checkpoint(origin="o", size=-1, root_hash=ROOT)
    with pytest.raises(ProofError, match="origin 'a\\\\nb'"):
        cp.Checkpoint(origin="a\nb", size=1, root_hash=ROOT)


def test_signer_argument_errors() -> None:
    with pytest.raises(SignatureError, match="P-256, not secp384r1"):
        cp.EcdsaNoteSigner("n", ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(SignatureError, match="unsupported note key type RSAPrivateKey"):
        cp.signer_for("n", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(SignatureError, match="unsupported note key type str"):
        cp.verifier_for("n", "key")
    with pytest.raises(ProofError, match="key name 'a b'"):
        cp.Ed25519NoteSigner("a b", ed25519.Ed25519PrivateKey.generate())
    signer = cp.Ed25519NoteSigner("n", ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(ProofError, match="at least one signer"):
        cp.sign_note(b"text\n", [])
    with pytest.raises(ProofError, match="must end with a newline"):
        cp.sign_note(b"text", [signer])
    with pytest.raises(ProofError, match="control character"):
        cp.sign_note(b"te\x00xt\n", [signer])


def test_checkpoint_consistency_as_a_monitor_checks_it() -> None:
    leaves = [merkle.leaf_hash(b"%d" % i) for i in range(10)]

    def head(n: int, origin: str = "o") -> cp.Checkpoint:
        return cp.Checkpoint(origin=origin, size=n, root_hash=merkle.root_hash(leaves[:n]))

    cp.verify_checkpoint_consistency(head(3), head(10), merkle.consistency_proof(leaves, 3))
    cp.verify_checkpoint_consistency(head(0), head(10), ())
    cp.verify_checkpoint_consistency(head(7), head(7), ())
    with pytest.raises(ProofError, match="shrank from 10 to 3 entries"):
        cp.verify_checkpoint_consistency(head(10), head(3), ())
    with pytest.raises(ProofError, match="different logs"):
        cp.verify_checkpoint_consistency(head(3, "a"), head(10, "b"), ())
    forked = cp.Checkpoint(origin="o", size=7, root_hash=merkle.leaf_hash(b"fork"))
    with pytest.raises(ProofError, match="roots differ"):
        cp.verify_checkpoint_consistency(head(7), forked, ())
    with pytest.raises(ProofError, match="yields root2"):
        cp.verify_checkpoint_consistency(
            head(3),
            cp.Checkpoint(origin="o", size=10, root_hash=forked.root_hash),
            merkle.consistency_proof(leaves, 3),
        )
