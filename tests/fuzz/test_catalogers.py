"""Fuzz: mutated lockfiles never make a cataloger raise anything but InputError.

Every cataloger of ``liturgia.sbom.catalogers`` (the ``Cataloger.catalog`` contract) over byte
edits of a valid seed of its format, JSON-shape edits of the JSON formats, deep nesting, and Go
binaries' build info.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liturgia.errors import InputError
from liturgia.sbom.cataloger import Cataloger
from liturgia.sbom.catalogers import GoBinaryCataloger, default_catalogers
from tests.conftest import CORPUS
from tests.fuzz.mutations import EDITS, mutate, replace_somewhere
from tests.fuzz.profile import fuzz
from tests.unit.sbom.test_sbom_gobinary import MODINFO, fake_binary
from tests.unit.sbom.test_sbom_jvm_dotnet_pdm import NUGET, POM
from tests.unit.sbom.test_sbom_npm_go import GO_MOD
from tests.unit.sbom.test_sbom_python import POETRY_V1, UV_LOCK

SBOM_CORPUS = CORPUS / "sbom"
SEEDS: dict[str, bytes] = {
    "requirements.txt": (SBOM_CORPUS / "python/requirements/requirements-hand.txt").read_bytes(),
    "pyproject.toml": (SBOM_CORPUS / "python/poetry/pyproject.toml").read_bytes()
    + (SBOM_CORPUS / "python/uv/pyproject.toml").read_bytes().replace(b"[build-system]", b"[x]"),
    "poetry.lock": POETRY_V1.encode(),
    "uv.lock": UV_LOCK.encode(),
    "Pipfile.lock": (SBOM_CORPUS / "python/pipenv/Pipfile.lock").read_bytes(),
    "package-lock.json": json.dumps(
        {
            "lockfileVersion": 3,
            "packages": {
                "": {"name": "a", "version": "1", "dependencies": {"b": "1"}},
                "node_modules/b": {"version": "1", "integrity": "sha512-AAAA", "license": "MIT"},
                "node_modules/b/node_modules/c": {"version": "2", "dev": True},
                "node_modules/l": {"link": True, "resolved": "w"},
                "w": {"name": "w", "version": "0"},
            },
        }
    ).encode(),
    "go.mod": GO_MOD.encode(),
    "yarn.lock": (SBOM_CORPUS / "js/yarn/yarn.lock").read_bytes()[:6000],
    "pnpm-lock.yaml": (SBOM_CORPUS / "js/pnpm/pnpm-lock.yaml").read_bytes()[:3000]
    + b"\nsnapshots:\n  a@1.0.0:\n    dependencies:\n      b: 1.0.0(c@2)\n",
    "Cargo.lock": (SBOM_CORPUS / "rust/Cargo.lock").read_bytes(),
    "Gemfile.lock": (SBOM_CORPUS / "ruby/Gemfile.lock").read_bytes(),
    "composer.lock": (SBOM_CORPUS / "php/composer.lock").read_bytes(),
    "packages.lock.json": json.dumps(NUGET).encode(),
    "pom.xml": POM.encode(),
    "gradle.lockfile": b"a:b:1=compileClasspath\nc:d:2=testRuntimeClasspath\nempty=\n",
    "pdm.lock": b'[metadata]\nlock_version = "4.4"\n[[package]]\nname = "a"\nversion = "1"\n'
    b'groups = ["dev"]\ndependencies = ["b>=1"]\n[[package]]\nname = "b"\nversion = "2"\n',
    "x-1.0.dist-info/METADATA": (
        b"Metadata-Version: 2.4\nName: x\nVersion: 1.0\nLicense-Expression: MIT\n"
        b"Classifier: License :: OSI Approved :: MIT License\nRequires-Dist: y>=1; extra == 'z'\n"
        b"\nlong description\n"
    ),
    "var/lib/dpkg/status": b"Package: a\nStatus: install ok installed\nVersion: 1.0-1\n"
    b"Source: s (1.0)\nDepends: b (>= 1) | c\n description\n\nPackage: b\nVersion: 2\n"
    b"Provides: c\n",
    "lib/apk/db/installed": b"P:a\nV:1.0-r0\nA:x86_64\no:s\nD:b so:x !d\n\nP:b\nV:2-r0\np:so:x=1\n",
}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def check(cataloger: Cataloger, path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        cataloger.catalog(path, found_in=path.name)
    except InputError as exc:
        assert str(exc).startswith(path.name), exc


@pytest.mark.parametrize("cataloger", default_catalogers(), ids=lambda c: c.name)
@fuzz(0.5)
@given(edits=EDITS)
def test_byte_mutations(
    cataloger: Cataloger, tmp_path: Path, edits: list[tuple[int, int, bytes]]
) -> None:
    name = next(n for n in SEEDS if cataloger.claims(Path(n)))
    check(cataloger, tmp_path / name, mutate(SEEDS[name], edits))


JSON_NAMES = ("package-lock.json", "Pipfile.lock", "composer.lock", "packages.lock.json")
JSON_CATALOGERS = [
    c for c in default_catalogers() if any(c.claims(Path(name)) for name in JSON_NAMES)
]


@pytest.mark.parametrize("cataloger", JSON_CATALOGERS, ids=lambda c: c.name)
@fuzz(0.5)
@given(where=st.lists(st.integers(0, 50), max_size=4), value=JSON)
def test_json_shape_mutations(
    cataloger: Cataloger, tmp_path: Path, where: list[int], value: object
) -> None:
    name = next(n for n in SEEDS if cataloger.claims(Path(n)))
    doc = replace_somewhere(json.loads(SEEDS[name]), where, value)
    check(cataloger, tmp_path / name, json.dumps(doc).encode())


@pytest.mark.parametrize("cataloger", default_catalogers(), ids=lambda c: c.name)
def test_deep_nesting(cataloger: Cataloger, tmp_path: Path) -> None:
    name = next(n for n in SEEDS if cataloger.claims(Path(n)))
    check(cataloger, tmp_path / name, b"[" * 200_000 + b"]" * 200_000)
    check(cataloger, tmp_path / name, b"a = " + b"[" * 50_000)


@fuzz(2)
@given(edits=EDITS)
def test_go_binary_mutations(edits: list[tuple[int, int, bytes]]) -> None:
    data = mutate(fake_binary("go1.22.5", MODINFO, junk=4), edits)
    try:
        GoBinaryCataloger().parse(data, path=Path("app"), found_in="app")
    except InputError as exc:
        assert str(exc).startswith("app: ")
