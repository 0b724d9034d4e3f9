"""Fixtures for provenance tests: a real in-memory signer factory."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia.sign.backends.file import FileSigner


@pytest.fixture
def make_signer() -> Callable[[], FileSigner]:
    """Factory: a fresh P-256 signer."""
    return lambda: FileSigner(ec.generate_private_key(ec.SECP256R1()))
