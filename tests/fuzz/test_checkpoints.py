"""Fuzz: signed notes and checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint).

``SignedNote.parse`` and ``Checkpoint.from_text`` raise only ProofError; ``open_checkpoint``
only ProofError or SignatureError, over byte edits of real checkpoints signed with Ed25519 and
ECDSA P-256 keys, and over notes assembled from arbitrary lines.
"""

from __future__ import annotations

import base64
import contextlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import example, given
from hypothesis import strategies as st

from liturgia.errors import ProofError, SignatureError
from liturgia.tlog.checkpoint import (
    Checkpoint,
    SignedNote,
    open_checkpoint,
    sign_checkpoint,
    signer_for,
    verifier_for,
)
from tests.fuzz.mutations import EDITS, mutate
from tests.fuzz.profile import fuzz

ORIGIN = "log.example - 1"
_ED = ed25519.Ed25519PrivateKey.generate()
_EC = ec.generate_private_key(ec.SECP256R1())
VERIFIERS = (verifier_for("ed", _ED.public_key()), verifier_for("ec", _EC.public_key()))
CHECKPOINT = Checkpoint(origin=ORIGIN, size=12345, root_hash=bytes(range(32)))
SEEDS = {
    "ed25519": sign_checkpoint(CHECKPOINT, (signer_for("ed", _ED),)),
    "ecdsa": sign_checkpoint(CHECKPOINT, (signer_for("ec", _EC), signer_for("ed", _ED))),
}


def open_any(data: bytes) -> None:
    with contextlib.suppress(ProofError):
        SignedNote.parse(data)
    with contextlib.suppress(ProofError):
        Checkpoint.from_text(data)
    try:
        opened = open_checkpoint(data, VERIFIERS, origin=ORIGIN)
    except (ProofError, SignatureError):
        return
    assert opened == CHECKPOINT  # a note that still verifies says what was signed


def test_seeds_open() -> None:
    for seed in SEEDS.values():
        assert open_checkpoint(seed, VERIFIERS, origin=ORIGIN) == CHECKPOINT


@pytest.mark.parametrize("name", sorted(SEEDS))
@fuzz(2)
@given(edits=EDITS)
def test_byte_mutations(name: str, edits: list[tuple[int, int, bytes]]) -> None:
    open_any(mutate(SEEDS[name], edits))


LINES = st.one_of(
    st.sampled_from([ORIGIN, "", "0", "12345", "-1", "00", "18446744073709551616"]),
    st.from_regex(r"[0-9]{1,30}", fullmatch=True),
    st.binary(min_size=0, max_size=40).map(lambda b: base64.b64encode(b).decode()),
    st.text(max_size=20),
    st.builds(
        lambda name, blob: f"\u2014 {name} {base64.b64encode(blob).decode()}",
        st.sampled_from(["ed", "ec", "x", "", "a b"]),
        st.binary(max_size=80),
    ),
)


@fuzz(2)
@given(text=st.lists(LINES, max_size=5), signatures=st.lists(LINES, max_size=3))
@example(text=[ORIGIN, "9" * 5000, base64.b64encode(bytes(32)).decode()], signatures=["x"])
def test_assembled_notes(text: list[str], signatures: list[str]) -> None:
    note = "\n".join(text) + "\n\n" + "\n".join(signatures) + "\n"
    open_any(note.encode("utf-8", "surrogatepass"))
