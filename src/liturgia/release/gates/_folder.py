"""``liturgia gate``: the policy's checks alone, on the evidence a release folder already holds.

Nothing is built, tested or signed, and the release folder is never changed (it may be a
signed release): the SBOM it ships is scanned again against the configured advisory database
into the output folder, and every other check reads the folder's files (JUnit and coverage
reports as shipped, bundles verified under its ``release-key.pub``, ``CHANGELOG.md``, the
artifacts) and the project's documents.
"""

from __future__ import annotations

import json
from pathlib import Path

from liturgia import sbom, sign
from liturgia._internal.files import read_bytes
from liturgia.config import LoadedConfig
from liturgia.errors import InputError, LiturgiaError
from liturgia.release import stages
from liturgia.release.gates._context import GateContext
from liturgia.release.version import Version

__all__ = ["context_from_release", "latest_release"]

#: Files of a release folder that are liturgia's own, not artifacts.
_OWN = {
    stages.SBOM_NAME,
    stages.VULNERABILITIES_NAME,
    stages.PUBLIC_KEY_NAME,
    stages.CHANGELOG_NAME,
    "SHA256SUMS",
}


def _version_of(config: LoadedConfig, folder: Path) -> Version:
    prefix = f"{config.settings.project.name}-"
    if folder.name.startswith(prefix):
        try:
            return Version.parse(folder.name.removeprefix(prefix))
        except LiturgiaError:
            pass
    report = folder / "gate-report.json"
    try:
        return Version.parse(str(json.loads(read_bytes(report, what="gate report"))["version"]))
    except (LiturgiaError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{folder}: not a release folder of {config.settings.project.name} (its name is not "
            f"{prefix}VERSION and no gate-report.json names the version)"
        ) from exc


def _releases(config: LoadedConfig, out: Path) -> list[tuple[Version, Path]]:
    prefix = f"{config.settings.project.name}-"
    found = []
    for folder in out.glob(f"{prefix}*") if out.is_dir() else ():
        try:
            found.append((Version.parse(folder.name.removeprefix(prefix)), folder))
        except LiturgiaError:
            continue
    return sorted(found)


def latest_release(config: LoadedConfig, out: Path) -> Path:
    """The newest ``<out>/<name>-<version>`` folder.

    Raises:
        InputError: there is none (name the folder with ``--release``).
    """
    found = _releases(config, out)
    if not found:
        raise InputError(
            f"{out}: no release folder of {config.settings.project.name} in it; run "
            "`liturgia release` first or name the folder with --release DIR"
        )
    return found[-1][1]


def context_from_release(config: LoadedConfig, folder: Path, work: Path) -> GateContext:
    """The gate's evidence from an existing release folder.

    Args:
        config: the project's configuration (its policy, advisory database, documents).
        folder: the release folder (``dist/<name>-<version>``); read only.
        work: where the fresh scan's ``vulnerabilities.json`` is written.

    Raises:
        InputError: not a release folder, its SBOM or public key is unreadable, or the advisory
            database cannot be opened.
        ConfigError: no advisory database is configured.
    """
    if not folder.is_dir():
        raise InputError(f"{folder}: release folder not found")
    version = _version_of(config, folder)
    inventory = sbom.read_sbom(
        read_bytes(folder / stages.SBOM_NAME, what="SBOM"), source=stages.SBOM_NAME
    )
    scan = stages.run_scan(stages.open_advisories(config), work, inventory)
    public_key = sign.load_public_key(folder / stages.PUBLIC_KEY_NAME)
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    signed = tuple(n for n in names if f"{n}{sign.BUNDLE_SUFFIX}" in names and n != "SHA256SUMS")
    artifacts = tuple(n for n in signed if n not in _OWN and not n.endswith(".cdx.json"))
    junit = tuple(folder / n for n in names if n.startswith("junit") and n.endswith(".xml"))
    coverage = folder / "coverage.xml"
    earlier = [v for v, _ in _releases(config, folder.parent) if v < version and not v.prerelease]
    return GateContext(
        config=config,
        release=folder,
        version=version,
        scan=scan,
        scan_report=work / stages.VULNERABILITIES_NAME,
        signed=signed,
        public_key=public_key,
        junit=junit,
        coverage=coverage if coverage.is_file() else None,
        inputs=tuple(inventory.warnings),
        labels={**scan.labels, **stages.machine_labels(config, {}, staging=folder)},
        artifacts=artifacts,
        previous=earlier[-1] if earlier else None,
    )
