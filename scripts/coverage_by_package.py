"""Line and branch coverage per subpackage of liturgia, read from a Cobertura ``coverage.xml``.

``.ci/run`` runs it after ``scripts/test.sh`` (which writes ``coverage.xml`` with
``--cov-branch`` and keeps the 85 % floor for the whole package)::

    .venv/bin/python scripts/coverage_by_package.py coverage.xml [--json FILE]

Prints one row per subpackage (``liturgia.sbom``, ``liturgia.tlog``, ...; modules directly under
``liturgia/`` are the row ``liturgia``), sorted by name, then the package total:

    subpackage   lines covered/valid  branches covered/valid  line %  branch %  combined %

"combined" is coverage.py's own total with branches: (lines covered + branches covered) /
(lines valid + branches valid), the figure the 85 % floor is checked on. Counts are taken from
each ``<line>`` element (``hits``, and ``condition-coverage="50% (1/2)"`` for a branch line), so
subpackages nested deeper (``liturgia.sbom.catalogers``) count in their top-level subpackage.

``--json FILE`` also writes ``{"total": ROW, "subpackages": {NAME: ROW}}`` where ROW is
``{"lines_valid", "lines_covered", "branches_valid", "branches_covered", "line_percent",
"branch_percent", "combined_percent"}`` (percentages ``null`` when nothing is valid).

Exit codes: 0 printed; 2 the file is missing, not XML, or not a coverage.py Cobertura report
(a one-line message naming the file and why).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

_BRANCHES = re.compile(r"\((\d+)/(\d+)\)")
PACKAGE = "liturgia"


class ReportError(Exception):
    """The coverage report cannot be read; the message names the file and why."""


@dataclass
class Counts:
    """Lines and branches, valid and covered, of one subpackage or the whole package."""

    lines_valid: int = 0
    lines_covered: int = 0
    branches_valid: int = 0
    branches_covered: int = 0

    def add(self, other: Counts) -> None:
        self.lines_valid += other.lines_valid
        self.lines_covered += other.lines_covered
        self.branches_valid += other.branches_valid
        self.branches_covered += other.branches_covered

    def as_json(self) -> dict[str, int | float | None]:
        return {
            "lines_valid": self.lines_valid,
            "lines_covered": self.lines_covered,
            "branches_valid": self.branches_valid,
            "branches_covered": self.branches_covered,
            "line_percent": _percent(self.lines_covered, self.lines_valid),
            "branch_percent": _percent(self.branches_covered, self.branches_valid),
            "combined_percent": _percent(
                self.lines_covered + self.branches_covered,
                self.lines_valid + self.branches_valid,
            ),
        }


def _percent(covered: int, valid: int) -> float | None:
    return round(100.0 * covered / valid, 2) if valid else None


def subpackage_of(filename: str) -> str | None:
    """``src/liturgia/sbom/catalogers/npm.py`` -> ``liturgia.sbom``; outside the package: None."""
    parts = Path(filename).parts
    if PACKAGE not in parts:
        return None
    inner = parts[parts.index(PACKAGE) + 1 :]
    return PACKAGE if len(inner) <= 1 else f"{PACKAGE}.{inner[0]}"


def read_report(path: Path) -> dict[str, Counts]:
    """Counts per subpackage of the coverage.py Cobertura report at ``path``.

    Raises:
        ReportError: the file is missing or unreadable, not XML, declares entities, is not a
            ``<coverage>`` report, has a malformed ``hits`` or ``condition-coverage``, or holds
            no file of the package.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"{path}: cannot read the coverage report: {exc.strerror}") from exc
    if b"<!ENTITY" in data:
        raise ReportError(f"{path}: declares XML entities, which are refused")
    try:
        root = ET.fromstring(data)  # noqa: S314 - entities refused above
    except (ET.ParseError, LookupError) as exc:  # LookupError: encoding="u-tf-8"
        raise ReportError(f"{path}: not well-formed XML: {exc}") from exc
    if root.tag != "coverage":
        raise ReportError(f"{path}: not a Cobertura report (root <{root.tag}>, not <coverage>)")
    found: dict[str, Counts] = {}
    for element in root.iter("class"):
        name = subpackage_of(element.get("filename", ""))
        if name is None:
            continue
        counts = found.setdefault(name, Counts())
        for line in element.iter("line"):
            hits = line.get("hits", "")
            if not hits.isdigit():
                raise ReportError(f"{path}: {element.get('filename')}: hits={hits!r} not a count")
            counts.lines_valid += 1
            counts.lines_covered += int(hits) > 0
            if line.get("branch") == "true":
                match = _BRANCHES.search(line.get("condition-coverage", ""))
                if match is None:
                    raise ReportError(
                        f"{path}: {element.get('filename')} line {line.get('number')}: "
                        "branch line without condition-coverage '(covered/valid)'"
                    )
                counts.branches_covered += int(match[1])
                counts.branches_valid += int(match[2])
    if not found:
        raise ReportError(f"{path}: no file of the '{PACKAGE}' package in the report")
    return found


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def render(found: dict[str, Counts]) -> str:
    """The table printed to stdout: one row per subpackage, sorted, then the total."""
    total = Counts()
    rows = []
    for name in sorted(found):
        total.add(found[name])
        rows.append((name, found[name]))
    rows.append(("TOTAL", total))
    width = max(len(name) for name, _ in rows)
    lines = [
        f"{'subpackage':<{width}}  {'lines':>13}  {'branches':>11}  "
        f"{'line %':>7}  {'branch %':>8}  {'combined %':>10}"
    ]
    for name, counts in rows:
        figures = counts.as_json()
        lines.append(
            f"{name:<{width}}  {counts.lines_covered:>6}/{counts.lines_valid:<6}  "
            f"{counts.branches_covered:>5}/{counts.branches_valid:<5}  "
            f"{_fmt(figures['line_percent']):>7}  {_fmt(figures['branch_percent']):>8}  "
            f"{_fmt(figures['combined_percent']):>10}"
        )
    return "\n".join(lines) + "\n"


def to_json(found: dict[str, Counts]) -> str:
    """The ``--json`` document (sorted keys, so the same report gives the same bytes)."""
    total = Counts()
    for counts in found.values():
        total.add(counts)
    document = {
        "total": total.as_json(),
        "subpackages": {name: found[name].as_json() for name in sorted(found)},
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _write_atomically(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", delete=False, encoding="utf-8"
    ) as handle:
        handle.write(text)
    Path(handle.name).replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("report", type=Path, help="coverage.py's Cobertura XML (coverage.xml)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    try:
        found = read_report(args.report)
    except ReportError as exc:
        print(f"coverage_by_package: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render(found))
    if args.json is not None:
        _write_atomically(args.json, to_json(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
