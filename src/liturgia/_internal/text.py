"""Text helpers for messages, and file-system names as text."""

from __future__ import annotations

from pathlib import PurePath

from liturgia.errors import InputError

__all__ = ["clip", "fs_text", "utf8_name"]


def clip(text: str, limit: int = 100) -> str:
    """Return ``text`` cut to ``limit`` characters for a message, saying how long it was.

    A request or file may hold megabytes where a name was expected; an error message quotes
    only its start: ``"aaa... (60000 characters)"``.
    """
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def fs_text(name: str | PurePath) -> str:
    """Return a file-system name as valid Unicode text: unchanged when it is UTF-8.

    POSIX names are bytes; Python decodes the bytes that are not UTF-8 to lone surrogates
    (PEP 383 ``surrogateescape``), which no UTF-8 document or terminal can hold. Such a byte
    becomes the four characters ``\\xNN`` here (``caf\\xe9/requirements.txt``), so a name found
    on disk is carried into SBOMs, reports and messages as readable data, never a crash.

    Args:
        name: a name or path as the file system gave it.

    Returns:
        Text that encodes to UTF-8.
    """
    text = str(name)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def utf8_name(path: str | PurePath, *, what: str) -> str:
    """Return the file name of ``path``, refusing one that is not valid UTF-8.

    A name that is published and later looked up exactly (a release artifact in the SBOM,
    SHA256SUMS and the bundles; an attestation subject) must be UTF-8 text: an escaped form
    would name another file.

    Args:
        path: the file.
        what: what the file is, for the message (``"build artifact"``).

    Raises:
        InputError: the name holds bytes that are not UTF-8 (the message shows them as ``\\xNN``
            and says to rename the file).
    """
    name = PurePath(path).name
    if fs_text(name) != name:
        raise InputError(
            f"{fs_text(path)}: {what} file name is not valid UTF-8; rename the file (names are "
            "published in UTF-8 documents and must match the file exactly)"
        )
    return name
