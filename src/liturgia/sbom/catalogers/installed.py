"""Installed Python distributions: ``*.dist-info/METADATA`` and ``*.egg-info/PKG-INFO``.

Core metadata (PyPA "Core metadata specifications", versions 1.0-2.4) is read as RFC 822 headers
only. Each distribution gives one component (PEP 503 name, ``Version``); its licences, first
found of:

1. ``License-Expression`` (metadata 2.4, PEP 639): an SPDX expression, kept as written;
2. ``License`` when it is a valid SPDX expression (``MIT``, ``Apache-2.0``...);
3. ``Classifier: License :: ...`` trove classifiers, mapped to SPDX identifiers when the
   classifier names one licence unambiguously, else kept as a licence name
   (``BSD License`` does not say which BSD, ``Apache Software License`` which version);
4. ``License`` as a name when it is one short line (not the full licence text some projects
   paste there);
5. only when none of the above says anything: the licence files' text, identified by
   :func:`liturgia.sbom._licence_text.identify_licence_text`. The files are those
   ``License-File`` names (PEP 639: under ``.dist-info/licenses/``; older wheels put them at the
   top of ``.dist-info``), else the folder's files named ``LICENSE*``, ``LICENCE*`` or
   ``COPYING*``, plus a full licence text pasted into ``License``. Every one must be identified
   as the same single SPDX licence (a second file is often a bundled project's licence, and
   two licences cannot say whether they combine with AND or OR); otherwise none is reported.

Dependencies: ``Requires-Dist``, and for ``.egg-info`` folders setuptools' ``requires.txt``.
``direct_url.json`` (PEP 610) beside it marks VCS installs (``vcs_url`` purl qualifier) and
archive-URL installs (``download_url``). ``Requires-Dist`` become edges to the version-less purl
of each requirement; merging resolves them to the distribution installed in the same
environment and drops the rest (requirements for extras or platforms not installed).
"""

from __future__ import annotations

import json
import re
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path
from typing import ClassVar

from packaging.requirements import InvalidRequirement, Requirement

from liturgia.errors import InputError
from liturgia.model import Dependency
from liturgia.sbom._licence import is_spdx_expression
from liturgia.sbom._licence_text import identify_licence_text
from liturgia.sbom._purl import pypi_purl
from liturgia.sbom.cataloger import Cataloger, CatalogResult, first_line
from liturgia.sbom.catalogers._python import ECOSYSTEM, VCS_PREFIXES, pypi_component

__all__ = [
    "CLASSIFIER_LICENCES",
    "InstalledPythonCataloger",
    "licences_from_files",
    "licences_from_metadata",
    "parse_metadata",
]

#: Trove classifiers that name exactly one SPDX licence.
CLASSIFIER_LICENCES = {
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "Python Software Foundation License": "PSF-2.0",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "The Unlicense (Unlicense)": "Unlicense",
    "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "zlib/libpng License": "Zlib",
    "Universal Permissive License (UPL)": "UPL-1.0",
    "CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)": "CECILL-2.1",
    "European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "PostgreSQL License": "PostgreSQL",
}
_CLASSIFIER_PREFIXES = ("License :: OSI Approved :: ", "License :: ")
_NOT_A_LICENCE = {"OSI Approved", "Other/Proprietary License", "UNKNOWN", "Freely Distributable"}


def licences_from_metadata(message: Message) -> tuple[str, ...]:
    """The licences core metadata states (see the module docstring for the order)."""
    expression = (message.get("License-Expression") or "").strip()
    if expression:
        return (expression,)
    field = " ".join((message.get("License") or "").split())
    if field and len(field) <= 100 and is_spdx_expression(field):
        return (field,)
    from_classifiers: list[str] = []
    for classifier in message.get_all("Classifier") or []:
        for prefix in _CLASSIFIER_PREFIXES:
            if classifier.startswith(prefix):
                name = classifier.removeprefix(prefix).strip()
                if name and name not in _NOT_A_LICENCE:
                    from_classifiers.append(CLASSIFIER_LICENCES.get(name, name))
                break
    if from_classifiers:
        return tuple(dict.fromkeys(from_classifiers))
    raw = (message.get("License") or "").strip()
    if raw and "\n" not in raw and len(raw) <= 100 and raw != "UNKNOWN":
        return (raw,)
    return ()


_LICENCE_FILE_NAME = re.compile(r"(?i)(licen[cs]e|copying)")
#: Read at most this many licence files of this many bytes each (a licence is a few KB).
_MAX_LICENCE_FILES = 16
_MAX_LICENCE_BYTES = 256 * 1024


def _licence_files(folder: Path, message: Message) -> list[Path] | None:
    """The distribution's licence files (rule 5); ``None`` when one cannot be read safely."""
    declared = [" ".join(v.split()) for v in message.get_all("License-File") or []]
    found: list[Path] = []
    for name in declared:
        parts = Path(name).parts
        if not name or Path(name).is_absolute() or ".." in parts:
            return None
        candidates = (folder / "licenses" / name, folder / name)
        match = next((c for c in candidates if c.is_file() and not c.is_symlink()), None)
        if match is not None:
            found.append(match)
    if declared:
        return found
    for base in (folder, folder / "licenses"):
        try:
            entries = sorted(base.iterdir())
        except OSError:
            continue
        found.extend(
            entry
            for entry in entries
            if _LICENCE_FILE_NAME.match(entry.name) and entry.is_file() and not entry.is_symlink()
        )
    return found


def licences_from_files(folder: Path, message: Message) -> tuple[str, ...]:
    """Rule 5 of the module docstring: the one SPDX licence all licence texts agree on.

    Args:
        folder: the ``.dist-info`` / ``.egg-info`` folder.
        message: its core metadata.

    Returns:
        ``(spdx_id,)``, or ``()`` when there is no licence text, a text is not identified
        unambiguously, texts disagree, or a file is too large, too many or unreadable.
    """
    files = _licence_files(folder, message)
    if files is None or len(files) > _MAX_LICENCE_FILES:
        return ()
    texts: list[str] = []
    pasted = (message.get("License") or "").strip()
    if "\n" in pasted or len(pasted) > 100:
        texts.append(pasted)
    for file in files:
        try:
            with file.open("rb") as handle:
                data = handle.read(_MAX_LICENCE_BYTES + 1)
        except OSError:
            return ()
        if len(data) > _MAX_LICENCE_BYTES:
            return ()
        texts.append(data.decode("utf-8", errors="replace"))
    identified = {identify_licence_text(text) for text in texts}
    if len(identified) != 1 or None in identified:
        return ()
    return (str(identified.pop()),)


def parse_metadata(data: bytes) -> Message:
    """Core metadata headers. The file is UTF-8 (core metadata spec); parsing text rather than
    bytes keeps non-ASCII values (an author's name, a licence) plain strings."""
    # HeaderParser's default policy is compat32 (plain strings; email.policy costs an import).
    return HeaderParser().parsestr(data.decode("utf-8", errors="replace"))


def _direct_url(folder: Path) -> dict[str, str] | None:
    """PEP 610 ``direct_url.json`` as purl qualifiers (``vcs_url`` / ``download_url``)."""
    try:
        doc = json.loads((folder / "direct_url.json").read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("url"), str):
        return None
    url = doc["url"]
    vcs = doc.get("vcs_info")
    if isinstance(vcs, dict) and isinstance(vcs.get("vcs"), str):
        commit = vcs.get("commit_id")
        base = url if url.startswith(VCS_PREFIXES) else f"{vcs['vcs']}+{url}"
        return {"vcs_url": f"{base}@{commit}" if isinstance(commit, str) else base}
    if isinstance(doc.get("archive_info"), dict):
        return {"download_url": url}
    return None  # dir_info: a local folder; the plain purl names the distribution


def _egg_requires(path: Path) -> list[str]:
    """setuptools' ``requires.txt``: requirements before any ``[section]`` and in ``[:marker]``.

    ``[extra]`` sections hold requirements of an extra, which need not be installed.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out: list[str] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith("#") and (not section or section.startswith(":")):
            out.append(line)
    return out


class InstalledPythonCataloger(Cataloger):
    """``METADATA`` in ``*.dist-info`` and ``PKG-INFO`` in ``*.egg-info`` folders."""

    name: ClassVar[str] = "python-installed"
    ecosystem: ClassVar[str] = ECOSYSTEM

    def claims(self, path: Path) -> bool:
        """Claim ``X.dist-info/METADATA`` and ``X.egg-info/PKG-INFO``."""
        parent = path.parent.name
        return (path.name == "METADATA" and parent.endswith(".dist-info")) or (
            path.name == "PKG-INFO" and parent.endswith(".egg-info")
        )

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """One component with licences and ``Requires-Dist`` edges (see the module docstring)."""
        message = parse_metadata(data)
        name = " ".join((message.get("Name") or "").split())
        version = " ".join((message.get("Version") or "").split())
        if not name or not version:
            raise InputError(f"{found_in}: core metadata without Name or Version")
        component = pypi_component(
            name,
            version,
            found_in=found_in,
            licenses=licences_from_metadata(message) or licences_from_files(path.parent, message),
            qualifiers=_direct_url(path.parent),
        )
        targets: set[str] = set()
        warnings: list[str] = []
        requires = list(message.get_all("Requires-Dist") or [])
        if path.name == "PKG-INFO":
            requires.extend(_egg_requires(path.parent / "requires.txt"))
        for line in requires:
            try:
                req = Requirement(line)
            except InvalidRequirement as exc:
                warnings.append(f"{found_in}: invalid Requires-Dist {line!r}: {first_line(exc)}")
                continue
            targets.add(pypi_purl(req.name, None))
        targets.discard(pypi_purl(name, None))
        return CatalogResult(
            components=(component,),
            dependencies=(Dependency(ref=component.ref, depends_on=tuple(sorted(targets))),),
            warnings=tuple(warnings),
        )
