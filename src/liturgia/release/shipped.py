"""Test reports shipped in the release folder, as the gate reads them.

A release ships every file its gate decided on, so ``SHA256SUMS`` covers it and a reader can
re-check the figures. Test reports as tools write them carry facts of the machine and the moment
that made them, which a published folder must not hold (no absolute path of the build machine)
and which would make the same test outcomes give different bytes:

* JUnit XML (pytest, Surefire): ``hostname``, ``timestamp`` and ``time`` (durations) attributes
  of suites and cases are dropped; the Ant JUnit schema's counts and outcomes are kept.
* Cobertura XML (coverage.py): the root's ``timestamp`` is dropped; ``<source>`` folders are
  written relative to the project.

Every attribute and text is then cleaned of the machine's folders: a path under the project
folder becomes relative to it, the work folders become their ``{placeholder}`` names, the home
folder becomes ``~``. The gate reads the shipped copy, so the digests in the gate report are those
of the published files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

from liturgia._internal.files import atomic_write_bytes, read_bytes
from liturgia._internal.untrusted_xml import parse_xml

__all__ = ["portable_text", "ship_report"]

#: Attributes dropped from the shipped copy, per root element of the report.
_DROPPED = {
    "testsuites": frozenset({"hostname", "timestamp", "time"}),
    "testsuite": frozenset({"hostname", "timestamp", "time"}),
    "testcase": frozenset({"time"}),
    "coverage": frozenset({"timestamp"}),
}


def portable_text(text: str, labels: Mapping[str, str]) -> str:
    """Replace the build machine's folders in ``text`` by their portable names.

    Args:
        text: any text meant for publication.
        labels: ``{absolute folder: portable name}``; longer folders are replaced first, so a
            work folder inside the project is named before the project is. A folder followed
            by a separator loses the separator with an empty name (``/p/src/x`` -> ``src/x``),
            and alone becomes ``.`` when its name is empty.

    Returns:
        The text without any of the given absolute folders.
    """
    for folder in sorted(labels, key=len, reverse=True):
        name = labels[folder]
        for sep in ("/", "\\"):
            text = text.replace(folder + sep, f"{name}{sep}" if name else "")
        # The folder itself, not a longer name that starts like it (/p/app vs /p/apple).
        text = re.sub(re.escape(folder) + r"(?![\w.-])", (name or ".").replace("\\", r"\\"), text)
    return text


def ship_report(source: Path, target: Path, labels: Mapping[str, str]) -> Path:
    """Write the portable copy of one JUnit or Cobertura report into the release folder.

    Args:
        source: the report the test commands wrote.
        target: its path in the staging folder.
        labels: the machine's folders and their portable names (see :func:`portable_text`).

    Returns:
        ``target``, or ``source`` when it is not a file (the gate then names the configured
        path and why it is unusable; nothing is shipped).

    Raises:
        InputError: the report cannot be read; StorageError: the copy cannot be written.
    """
    if not source.is_file():
        return source
    data = read_bytes(source, what="test report")
    atomic_write_bytes(target, _portable_xml(data, labels))
    return target


def _portable_xml(data: bytes, labels: Mapping[str, str]) -> bytes:
    # A document the gate will refuse (entities, not XML) is shipped with its text cleaned
    # only: the gate's failure names the problem and the reader can see the bytes.
    if b"<!ENTITY" in data:
        return _portable_bytes(data, labels)
    try:
        root = parse_xml(data)  # no entities (checked above); expat fetches none
    except ET.ParseError:
        return _portable_bytes(data, labels)
    for element in root.iter():
        for name in _DROPPED.get(element.tag, frozenset()).intersection(element.keys()):
            del element.attrib[name]
        for name, value in element.items():
            element.set(name, portable_text(value, labels))
        if element.text:
            element.text = portable_text(element.text, labels)
        if element.tail:
            element.tail = portable_text(element.tail, labels)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _portable_bytes(data: bytes, labels: Mapping[str, str]) -> bytes:
    text = data.decode("utf-8", errors="surrogateescape")
    return portable_text(text, labels).encode("utf-8", errors="surrogateescape")
