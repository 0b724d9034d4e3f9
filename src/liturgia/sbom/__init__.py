"""The SBOM engine: catalog a release's dependencies and write them as CycloneDX or SPDX.

Typical use::

    inventory = catalog([project_dir])
    artifacts = [artifact_component(p) for p in wheel_and_sdist]
    data = to_cyclonedx_json(inventory, artifacts=artifacts)
    validate_cyclonedx_json(data, source="sbom.cdx.json")

Inputs: folders (walked), lockfiles, installed Python environments (a venv or site-packages
folder), ``node_modules`` trees, built artifacts (wheel, sdist, npm tarball, archives) and
compiled Go binaries. Catalogers (one module per format under :mod:`liturgia.sbom.catalogers`:
requirements, pyproject, poetry.lock, uv.lock, Pipfile.lock, pdm.lock, installed
distributions, package-lock/npm-shrinkwrap, yarn.lock, pnpm-lock.yaml, go.mod/go.sum, Go
binaries, Cargo.lock, Gemfile.lock, composer.lock, packages.lock.json, pom.xml, gradle.lockfile)
implement :class:`Cataloger`; :func:`catalog` walks the inputs, runs them and merges what they
found (see :mod:`liturgia.sbom.inventory` for the one dev/optional/duplicate policy).
Outputs: CycloneDX 1.6 JSON and XML, SPDX 2.3 JSON, each with its validator;
:func:`read_sbom` reads any of them back (and other tools' documents);
:func:`merge_inventories` and :func:`diff_inventories` work on what it read.
"""

from __future__ import annotations

from liturgia.sbom.artifacts import artifact_component, artifact_digests
from liturgia.sbom.cataloger import Cataloger, CatalogResult
from liturgia.sbom.compare import (
    LicenceChange,
    SbomDiff,
    VersionChange,
    diff_inventories,
    merge_inventories,
)
from liturgia.sbom.formats import (
    SbomFormat,
    read_sbom,
    to_cyclonedx_json,
    to_cyclonedx_xml,
    to_spdx_json,
)
from liturgia.sbom.formats.cyclonedx import validate_cyclonedx_json, validate_cyclonedx_xml
from liturgia.sbom.formats.spdx import validate_spdx_json
from liturgia.sbom.inventory import catalog

__all__ = [
    "CatalogResult",
    "Cataloger",
    "LicenceChange",
    "SbomDiff",
    "SbomFormat",
    "VersionChange",
    "artifact_component",
    "artifact_digests",
    "catalog",
    "diff_inventories",
    "merge_inventories",
    "read_sbom",
    "to_cyclonedx_json",
    "to_cyclonedx_xml",
    "to_spdx_json",
    "validate_cyclonedx_json",
    "validate_cyclonedx_xml",
    "validate_spdx_json",
]
