"""RFC 9162 Merkle functions: published vectors, a brute-force reference, tampered proofs.

Verification is the one shared implementation (liturgia._internal.transparency.merkle, which
liturgia.tlog.merkle re-exports); the published vectors run against it by its own name.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import CORPUS

from liturgia._internal.transparency import merkle as shared
from liturgia.errors import ProofError
from liturgia.tlog import merkle

VECTORS = CORPUS / "tlog" / "merkle-vectors" / "testdata"

MAX_SIZE = 300
LEAVES = tuple(merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(MAX_SIZE))


# --- brute-force reference, written straight from RFC 9162 §2.1 over explicit lists ----------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@functools.cache
def ref_mth(lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) over LEAVES, by the RFC's recursive definition."""
    n = hi - lo
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return LEAVES[lo]
    k = _k(n)
    return hashlib.sha256(b"\x01" + ref_mth(lo, lo + k) + ref_mth(lo + k, hi)).digest()


def ref_path(m: int, lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, lo, lo + k), ref_mth(lo + k, hi)]
    return [*ref_path(m - k, lo + k, hi), ref_mth(lo, lo + k)]


def ref_subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if b else [ref_mth(lo, hi)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, lo, lo + k, b), ref_mth(lo + k, hi)]
    return [*ref_subproof(m - k, lo + k, hi, False), ref_mth(lo, lo + k)]


# --- published vectors (transparency-dev/merkle) ------------------------------------------------


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _cases(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    assert len(files) > 40, f"vectors missing under {VECTORS / kind}"
    return [pytest.param(f, id=str(f.relative_to(VECTORS / kind))) for f in files]


@pytest.mark.parametrize("path", _cases("inclusion"))
def test_inclusion_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    kwargs = {
        "leaf_hash": _b64(case["leafHash"]),
        "index": case["leafIdx"],
        "tree_size": case["treeSize"],
        "proof": [_b64(p) for p in case["proof"] or []],
        "root": _b64(case["root"]),
    }
    if case["wantErr"]:
        with pytest.raises(ProofError):
            shared.verify_inclusion(**kwargs)
    else:
        assert path.name in {"happy-path.json", "matching-root-and-leaf.json"}
        shared.verify_inclusion(**kwargs)


@pytest.mark.parametrize("path", _cases("consistency"))
def test_consistency_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    kwargs = {
        "size1": case["size1"],
        "size2": case["size2"],
        "proof": [_b64(p) for p in case["proof"] or []],
        "root1": _b64(case["root1"]),
        "root2": _b64(case["root2"]),
    }
    if case["wantErr"]:
        with pytest.raises(ProofError):
            shared.verify_consistency(**kwargs)
    else:
        assert path.name in {"happy-path.json", "sizes-are-equal-one-and-proof-is-empty.json"}
        shared.verify_consistency(**kwargs)


def test_happy_path_vectors_are_also_generated_by_us() -> None:
    """The vectors' 8-leaf tree is RFC 6962's test tree; our generator reproduces its proofs."""
    leaves = [
        merkle.leaf_hash(bytes.fromhex(h))
        for h in (
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        )
    ]
    case = json.loads((VECTORS / "inclusion" / "1" / "happy-path.json").read_text())
    assert merkle.root_hash(leaves) == _b64(case["root"])
    assert merkle.inclusion_proof(leaves, case["leafIdx"]) == tuple(_b64(p) for p in case["proof"])
    cons = json.loads((VECTORS / "consistency" / "1" / "happy-path.json").read_text())
    assert merkle.consistency_proof(leaves, cons["size1"]) == tuple(_b64(p) for p in cons["proof"])


# --- known answers ----------------------------------------------------------------------------


def test_hash_prefixes() -> None:
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert (
        merkle.node_hash(b"a" * 32, b"b" * 32)
        == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert (
        merkle.EMPTY_ROOT.hex()
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert merkle.root_hash([]) == merkle.EMPTY_ROOT
    assert merkle.root_hash(LEAVES[:1]) == LEAVES[0]


# --- against the reference: exhaustive for every size up to MAX_SIZE ----------------------------


def test_roots_match_reference_for_every_size() -> None:
    for n in range(MAX_SIZE + 1):
        assert merkle.root_hash(LEAVES[:n]) == ref_mth(0, n)


def test_compact_range_matches_reference_for_every_size() -> None:
    acc = merkle.CompactRange()
    assert acc.root() == merkle.EMPTY_ROOT
    for n in range(1, MAX_SIZE + 1):
        acc.append(LEAVES[n - 1])
        assert (acc.size, acc.root()) == (n, ref_mth(0, n))
    other = merkle.CompactRange()
    other.extend(LEAVES[:MAX_SIZE])
    assert other.root() == acc.root()


def test_every_leaf_of_every_size_up_to_max() -> None:
    reader = merkle.leaf_node_reader(LEAVES)
    for n in range(1, MAX_SIZE + 1):
        root = ref_mth(0, n)
        for m in range(n):
            proof = merkle.inclusion_proof_from(m, n, reader)
            assert list(proof) == ref_path(m, 0, n)
            merkle.verify_inclusion(
                leaf_hash=LEAVES[m], index=m, tree_size=n, proof=proof, root=root
            )


def test_every_pair_of_sizes_up_to_max() -> None:
    reader = merkle.leaf_node_reader(LEAVES)
    for n in range(1, MAX_SIZE + 1):
        root2 = ref_mth(0, n)
        for m in range(1, n + 1):
            proof = merkle.consistency_proof_from(m, n, reader)
            assert list(proof) == ref_subproof(m, 0, n, True)
            merkle.verify_consistency(
                size1=m, size2=n, proof=proof, root1=ref_mth(0, m), root2=root2
            )


# --- properties: tampering anything makes verification fail -----------------------------------

sizes = st.integers(min_value=1, max_value=MAX_SIZE)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=sizes)
def test_tampered_inclusion_fails(data: st.DataObject, n: int) -> None:
    m = data.draw(st.integers(0, n - 1), label="index")
    proof = list(merkle.inclusion_proof(LEAVES[:n], m))
    root = ref_mth(0, n)
    what = data.draw(st.sampled_from(["bit", "index", "size", "leaf", "root", "drop", "extra"]))
    kwargs: dict[str, Any] = {
        "leaf_hash": LEAVES[m],
        "index": m,
        "tree_size": n,
        "proof": proof,
        "root": root,
    }
    if what == "bit":
        if not proof:
            return
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        flipped = bytearray(proof[i])
        flipped[bit // 8] ^= 1 << (bit % 8)
        proof[i] = bytes(flipped)
    elif what == "index":
        if n == 1:
            return
        other = data.draw(st.integers(0, n - 1).filter(lambda x: x != m))
        kwargs["index"] = other
    elif what == "size":
        other = data.draw(st.integers(1, MAX_SIZE + 5).filter(lambda x: x != n))
        if m < other and len(merkle.inclusion_proof_ranges(m, other)) == len(proof):
            # Same path shape: RFC 6962 hashes do not commit to the size, so this is
            # indistinguishable from a real tree of that size. Only other shapes must fail.
            return
        kwargs["tree_size"] = other
    elif what == "leaf":
        kwargs["leaf_hash"] = LEAVES[(m + 1) % MAX_SIZE]
    elif what == "root":
        kwargs["root"] = ref_mth(0, n - 1) if n > 1 else merkle.EMPTY_ROOT
    elif what == "drop":
        if not proof:
            return
        proof.pop()
    else:
        proof.append(LEAVES[0])
    with pytest.raises(ProofError):
        merkle.verify_inclusion(**kwargs)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(min_value=2, max_value=MAX_SIZE))
def test_tampered_consistency_fails(data: st.DataObject, n: int) -> None:
    m = data.draw(st.integers(1, n - 1), label="size1")
    proof = list(merkle.consistency_proof(LEAVES[:n], m))
    kwargs: dict[str, Any] = {
        "size1": m,
        "size2": n,
        "proof": proof,
        "root1": ref_mth(0, m),
        "root2": ref_mth(0, n),
    }
    what = data.draw(
        st.sampled_from(["bit", "size1", "size2", "root1", "root2", "drop", "extra", "swap"])
    )
    if what == "bit":
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        flipped = bytearray(proof[i])
        flipped[bit // 8] ^= 1 << (bit % 8)
        proof[i] = bytes(flipped)
    elif what == "size1":
        kwargs["size1"] = data.draw(st.integers(0, n).filter(lambda x: x != m))
    elif what == "size2":
        other = data.draw(st.integers(m, MAX_SIZE + 5).filter(lambda x: x != n))
        if other > m and len(merkle.consistency_proof_ranges(m, other)) == len(proof):
            return  # same proof shape: indistinguishable by design (see the inclusion test)
        kwargs["size2"] = other
    elif what == "root1":
        kwargs["root1"] = ref_mth(1, m + 1)
    elif what == "root2":
        kwargs["root2"] = ref_mth(0, n - 1)
    elif what == "drop":
        proof.pop(data.draw(st.integers(0, len(proof) - 1)))
    elif what == "extra":
        proof.insert(data.draw(st.integers(0, len(proof))), LEAVES[0])
    else:
        kwargs["size1"], kwargs["size2"] = n, m
        kwargs["root1"], kwargs["root2"] = kwargs["root2"], kwargs["root1"]
    with pytest.raises(ProofError):
        merkle.verify_consistency(**kwargs)


@settings(max_examples=200, deadline=None)
@given(n=sizes, data=st.data())
def test_subtree_hash_matches_reference(n: int, data: st.DataObject) -> None:
    level = data.draw(st.integers(0, (n - 1).bit_length()))
    width = 1 << level
    start = data.draw(st.integers(0, (n - 1) // width)) * width
    end = min(start + width, n)
    assert merkle.subtree_hash(start, end, merkle.leaf_node_reader(LEAVES)) == ref_mth(start, end)


# --- messages and argument errors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"index": 3, "tree_size": 3}, "leaf index 3 is not in a tree of size 3"),
        ({"index": 0, "tree_size": 0}, "not in a tree of size 0"),
        ({"leaf_hash": b"short"}, "leaf hash is 5 bytes, expected 32"),
        ({"root": b""}, "root hash is 0 bytes"),
        ({"proof": ()}, "inclusion proof has 0 hashes, expected 3"),
        ({"proof": (b"x",) * 3}, "inclusion proof hash [0] is 1 bytes"),
        ({"root": b"\x00" * 32}, "yields root"),
    ],
)
def test_inclusion_reasons(kwargs: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {
        "leaf_hash": LEAVES[2],
        "index": 2,
        "tree_size": 7,
        "proof": merkle.inclusion_proof(LEAVES[:7], 2),
        "root": ref_mth(0, 7),
    }
    with pytest.raises(ProofError, match=message.replace("[", r"\[").replace("]", r"\]")):
        merkle.verify_inclusion(**(base | kwargs))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size1": 8, "size2": 7}, "size1 8 is greater than size2 7"),
        ({"size1": 0}, "tree of size 0 proves nothing"),
        ({"size1": 7, "proof": (LEAVES[0],)}, "sizes are equal \\(7\\) but the proof has 1 hashes"),
        ({"size1": 7, "proof": ()}, "sizes are equal \\(7\\) but the roots differ"),
        ({"root1": b"x"}, "root1 is 1 bytes"),
        ({"root2": b"x"}, "root2 is 1 bytes"),
        ({"proof": ()}, "consistency proof has 0 hashes, expected 4"),
        ({"root1": b"\x00" * 32}, "yields root1"),
        ({"root2": b"\x00" * 32}, "yields root2"),
    ],
)
def test_consistency_reasons(kwargs: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {
        "size1": 3,
        "size2": 7,
        "proof": merkle.consistency_proof(LEAVES[:7], 3),
        "root1": ref_mth(0, 3),
        "root2": ref_mth(0, 7),
    }
    with pytest.raises(ProofError, match=message):
        merkle.verify_consistency(**(base | kwargs))


def test_generation_argument_errors() -> None:
    reader = merkle.leaf_node_reader(LEAVES)
    with pytest.raises(ValueError, match="not in a tree of size 4"):
        merkle.inclusion_proof_ranges(4, 4)
    with pytest.raises(ValueError, match="no consistency proof from size 0"):
        merkle.consistency_proof_ranges(0, 4)
    with pytest.raises(ValueError, match="empty subtree"):
        merkle.subtree_hash(3, 3, reader)
    with pytest.raises(ValueError, match="not aligned"):
        merkle.subtree_hash(1, 3, reader)
    with pytest.raises(ValueError, match="negative tree size"):
        merkle.root_from(-1, reader)
