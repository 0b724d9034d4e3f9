"""The in-process app fixtures of :mod:`test_server_app`, shared by the other server tests."""

from __future__ import annotations

from tests.unit.server.test_server_app import log, log_key, portal, signer

__all__ = ["log", "log_key", "portal", "signer"]
