"""Reading XML reports safely, for the checks that read JUnit and Cobertura files.

XML is parsed with the standard library's expat-based ElementTree, which never fetches external
entities; documents declaring entities (``<!ENTITY``) are refused outright so no entity-expansion
("billion laughs") document is expanded, whatever the expat version.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

from liturgia._internal.untrusted_xml import parse_xml as untrusted_xml
from liturgia.release.gates._model import EvidenceFile

__all__ = ["ReportError", "int_attr", "load_bytes", "load_xml", "parse_xml"]


class ReportError(Exception):
    """A report file cannot be used; the message says why (internal, becomes evidence)."""


def load_bytes(path: Path, what: str) -> tuple[bytes, EvidenceFile]:
    """Read one report file; return its bytes and digest (internal).

    Raises:
        ReportError: missing, a folder, or unreadable (the message names the file).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ReportError(f"{path}: {what} not found") from exc
    except IsADirectoryError as exc:
        raise ReportError(f"{path}: {what} is a folder, expected a file") from exc
    except OSError as exc:
        raise ReportError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    return data, EvidenceFile(name=str(path), sha256=digest, source=path)


def parse_xml(data: bytes, path: Path, what: str) -> ET.Element:
    """Parse a report's bytes, refusing entity declarations (internal).

    Raises:
        ReportError: entities declared, or not well-formed XML.
    """
    if b"<!ENTITY" in data:
        raise ReportError(f"{path}: {what} declares XML entities, which are refused")
    try:
        return untrusted_xml(data)  # no entities (checked above); expat fetches none
    except ET.ParseError as exc:
        raise ReportError(f"{path}: {what} is not well-formed XML: {exc}") from exc


def load_xml(path: Path, what: str) -> tuple[ET.Element, EvidenceFile]:
    """Parse one report; return its root and the file's digest (internal)."""
    data, file = load_bytes(path, what)
    return parse_xml(data, path, what), file


def int_attr(element: ET.Element, name: str, path: Path) -> int:
    raw = element.get(name, "0").strip() or "0"
    try:
        value = int(raw)
    except ValueError:
        raise ReportError(f"{path}: <{element.tag}> {name}={raw!r} is not a count") from None
    if value < 0:
        raise ReportError(f"{path}: <{element.tag}> {name}={raw!r} is negative")
    return value
