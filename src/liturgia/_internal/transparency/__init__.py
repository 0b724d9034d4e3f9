"""Transparency-log verification, written once below every package that needs it.

RFC 9162 hashing and proof checks (:mod:`.merkle`), C2SP signed notes and checkpoints
(:mod:`.note`) and the Rekor v1 entry wire format with its offline check (:mod:`.rekor`): pure
functions over bytes, imported by :mod:`liturgia.tlog` (the log), :mod:`liturgia.sign` (bundles
and ``sign --tlog-url``) and :mod:`liturgia.release` (``verify --online``), which import none of
each other for it (an import-linter contract in ``pyproject.toml`` holds them to it).
"""
