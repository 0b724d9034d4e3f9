"""The one error tree of liturgia; every error carries its process exit code.

::

    LiturgiaError                      exit 4 (an internal bug, unless a subclass says otherwise)
    ├── UsageError                     exit 2
    │   ├── ConfigError                exit 2  the config file or a setting is wrong
    │   │   └── MissingExtraError      exit 2  an optional feature's extra is not installed
    │   └── InputError                 exit 2  a file the user gave us is missing or malformed
    │       └── KeyPasswordError       exit 2  an encrypted private key does not open
    ├── ExternalError                  exit 3
    │   ├── NetworkError               exit 3  the transport failed
    │   ├── StorageError               exit 3  the disk or database failed
    │   │   └── StorageFullError       exit 3  the disk or database is out of space
    │   └── AdvisorySourceError        exit 3  an advisory source answered badly
    └── VerificationError              exit 1  the answer is no
        ├── SignatureError             a signature does not verify, or under another key
        ├── DigestError                a digest does not match the bytes
        ├── BundleError                a bundle or envelope is malformed or unsupported
        ├── ProofError                 an inclusion or consistency proof does not verify
        │   └── StoredEntryError       a log's stored entry body does not hash to its leaf
        └── PolicyError                a document is valid but not what the policy requires

A failed release gate is not an error: gates return result data (``release.gates.GateReport``,
NO-GO), which the CLI turns into exit 1, as a scan's findings are.

Library code raises these and never prints or exits; ``liturgia.cli.main`` turns them into a
one-line message on stderr and the exit code (see DEVELOPERS.md "Exit codes").
"""

from __future__ import annotations

__all__ = [
    "AdvisorySourceError",
    "BundleError",
    "ConfigError",
    "DigestError",
    "ExternalError",
    "InputError",
    "KeyPasswordError",
    "LiturgiaError",
    "MissingExtraError",
    "NetworkError",
    "PolicyError",
    "ProofError",
    "SignatureError",
    "StorageError",
    "StorageFullError",
    "StoredEntryError",
    "UsageError",
    "VerificationError",
]


class LiturgiaError(Exception):
    """Base of every error liturgia raises on purpose.

    Attributes:
        exit_code: the process exit code the CLI uses for this error (class attribute).
    """

    exit_code: int = 4

    def diagnostics(self) -> str:
        """Return the message with its chain of causes, one per line, for ``-v`` output."""
        lines = [str(self)]
        cause = self.__cause__
        while cause is not None:
            lines.append(f"caused by: {type(cause).__name__}: {cause}")
            cause = cause.__cause__
        return "\n".join(lines)


class UsageError(LiturgiaError):
    """The user asked for something that cannot be done as asked (exit 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """The configuration file or a setting is invalid; the message names the file and key."""


class MissingExtraError(ConfigError):
    """An optional feature needs a package of an extra that is not installed.

    The message names the feature, the extra and the command that installs it (STYLE.md:
    "a module that needs an extra raises a clear error naming it when used").

    Attributes:
        extra: the extra of liturgia's distribution that provides the package (``"postgres"``).
        package: the importable module that is missing (``"psycopg"``).
    """

    def __init__(self, feature: str, *, extra: str, package: str) -> None:
        """Build the message from what needs it, the extra and the missing module."""
        super().__init__(
            f"{feature} needs the '{extra}' extra ({package} is not installed): "
            f"install liturgia[{extra}] (pip install 'liturgia[{extra}]')"
        )
        self.extra = extra
        self.package = package


class InputError(UsageError):
    """An input file is missing, unreadable or malformed; the message names the file and why."""


class KeyPasswordError(InputError):
    """An encrypted private key could not be opened: wrong password, or the file is corrupt.

    The two cannot be told apart (authenticated encryption fails the same way). The command that
    chose the key adds what to do, since only it knows how the key was chosen.

    Attributes:
        source: the key file (or the name used in the message), as given.
    """

    def __init__(self, source: str) -> None:
        super().__init__(f"{source}: wrong password or corrupt key")
        self.source = source


class ExternalError(LiturgiaError):
    """Something outside liturgia failed: network, storage or a remote service (exit 3)."""

    exit_code = 3


class NetworkError(ExternalError):
    """A network transport failed (connection refused, timeout, TLS)."""


class StorageError(ExternalError):
    """The disk or the database failed while reading or writing."""


class StorageFullError(StorageError):
    """A write failed because the disk or the database is out of space (``ENOSPC``,
    SQLite's ``SQLITE_FULL``, PostgreSQL's ``53100 disk_full``).

    Reads still work; writes work again once space is freed. The log's API answers it with
    507 Insufficient Storage (RFC 4918 §11.5) rather than 503.
    """


class AdvisorySourceError(ExternalError):
    """An advisory source could not answer for the components it was asked about."""


class VerificationError(LiturgiaError):
    """A verification ran and the answer is no (exit 1)."""

    exit_code = 1


class SignatureError(VerificationError):
    """A signature does not verify under the given public key."""


class DigestError(VerificationError):
    """A digest recorded in a document does not match the bytes it describes."""


class BundleError(VerificationError):
    """A bundle or envelope is malformed, of an unsupported media type, or inconsistent."""


class ProofError(VerificationError):
    """A Merkle inclusion or consistency proof, or a checkpoint, does not verify."""


class StoredEntryError(ProofError):
    """A log's stored entry body is missing or does not hash to its stored leaf hash.

    The stored tree may be intact (its leaf hashes are); the body beside it was altered or
    lost, so the entry must not be served. Attributes: ``index``, the entry's tree-local index.
    """

    def __init__(self, message: str, *, index: int) -> None:
        super().__init__(message)
        self.index = index


class PolicyError(VerificationError):
    """A document verifies but is not what the verification policy requires."""
