"""Parse XML that comes from outside (lockfiles, SBOMs, test and coverage reports), one way.

The standard library's parser (expat) is the one used: since Python 3.7.1 it refuses entity
expansion bombs and fetches no external entity or DTD. What it lacks is one error for every way
a document can be malformed: an XML declaration naming an encoding Python does not know
(``encoding="u-tf-8"``) or a codec that is not a text encoding (``encoding="hex"``) raises
``LookupError``, not ``ParseError`` (found by tests/fuzz). :func:`parse_xml` turns both into
``ParseError``, so each reader's ``except ET.ParseError`` covers every malformed document.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

__all__ = ["parse_xml"]


def parse_xml(data: bytes) -> ET.Element:
    """Parse ``data`` as an XML document and return its root element.

    Raises:
        xml.etree.ElementTree.ParseError: not well-formed XML, or an XML declaration naming an
            encoding that is unknown or not a text encoding (the message says which).
    """
    try:
        return ET.fromstring(data)  # noqa: S314 - expat: no external entities, no bombs
    except LookupError as exc:
        raise ET.ParseError(f"XML declaration names an unusable encoding: {exc}") from exc
