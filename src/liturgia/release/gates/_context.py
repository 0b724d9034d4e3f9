"""What a gate check reads: the release folder and the facts the stages before it found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from liturgia import sign
from liturgia._internal.clock import now
from liturgia.config import LoadedConfig
from liturgia.release.build import CommandResult
from liturgia.release.stages import ScanOutcome
from liturgia.release.version import Version

__all__ = ["GateContext"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GateContext:
    """The evidence of one release, as every check sees it.

    Checks only read: nothing here is changed or written by a check.

    Attributes:
        config: the project's configuration (settings, the file's name for evidence).
        release: the release folder being judged (the staging folder during a release); every
            file a check names is in it.
        version: the version being released.
        junit: the JUnit XML reports, as shipped into ``release`` (or the configured path when
            there was nothing to ship, so the check names it).
        coverage: the coverage report, as shipped, or ``None`` when none is configured.
        test_runs: the test commands' results (a non-zero exit fails the tests check).
        scan: the scan stage's outcome; ``None`` when no scan ran (the vulnerabilities check
            then fails: what was not checked is never clean).
        scan_report: the scan's ``vulnerabilities.json`` when it is not the one in ``release``
            (``liturgia gate`` scans a shipped SBOM again, leaving the release untouched).
        signed: the names of the files in ``release`` that were signed.
        public_key: the key their bundles must verify under; ``None`` when unknown (the
            signatures check then fails).
        inputs: the SBOM stage's warnings, each naming a file that could not be read.
        labels: the machine's folders and their portable names (nothing published names the
            build machine's absolute paths).
        artifacts: the names of the built artifacts in ``release``.
        previous: the last released version, or ``None`` for a first release.
        today: the release's date (``SOURCE_DATE_EPOCH`` when set), for waivers' expiry.
    """

    config: LoadedConfig
    release: Path
    version: Version
    scan: ScanOutcome | None = None
    scan_report: Path | None = None
    signed: tuple[str, ...] = ()
    public_key: sign.PublicKey | None = None
    junit: tuple[Path, ...] = ()
    coverage: Path | None = None
    test_runs: tuple[CommandResult, ...] = ()
    inputs: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    artifacts: tuple[str, ...] = ()
    previous: Version | None = None
    today: date = field(default_factory=lambda: now().date())
