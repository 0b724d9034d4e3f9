"""Signer backends; each registers its key-reference scheme on import."""
