"""One reader for every SBOM format liturgia writes: what it writes, it reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liturgia.cli import main
from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Dependency, Hash, Inventory, Scope
from liturgia.sbom import catalog
from liturgia.sbom.formats import (
    SbomFormat,
    read_sbom,
    to_cyclonedx_json,
    to_cyclonedx_xml,
    to_spdx_json,
)

WRITERS = {
    SbomFormat.CYCLONEDX_JSON: to_cyclonedx_json,
    SbomFormat.CYCLONEDX_XML: to_cyclonedx_xml,
    SbomFormat.SPDX_JSON: to_spdx_json,
}
# Licence sets each writer keeps apart (several SPDX ids or names, or one expression); a joined
# expression of several is one value once written, in CycloneDX as in SPDX.
LICENCES = st.one_of(
    st.lists(st.sampled_from(["MIT", "Apache-2.0", "BSD-3-Clause", "Custom Licence"]), unique=True),
    st.sampled_from([["GPL-2.0-only OR MIT"], ["MIT AND Apache-2.0"]]),
).map(tuple)
HASHES = st.lists(
    st.builds(
        Hash,
        algorithm=st.sampled_from(["SHA-256", "SHA-512"]),
        value=st.sampled_from(["ab" * 32, "cd" * 32, "ef" * 64]),
    ),
    unique_by=lambda h: h.algorithm,
    max_size=2,
).map(tuple)


@st.composite
def inventories(draw: st.DrawFn, *, with_root: bool) -> Inventory:
    """Inventories with unique names (SPDX ids are not bom-refs: names pair the two sides)."""
    names = draw(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), min_size=2,
                          max_size=7, unique=True))  # fmt: skip
    components = []
    for name in names[1:]:
        version = draw(
            st.none() | st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}(\.[0-9])?", fullmatch=True)
        )
        kind = draw(st.sampled_from(list(ComponentType)))
        purl = f"pkg:npm/{name}@{version}" if version and kind is ComponentType.LIBRARY else None
        components.append(
            Component(
                name=name,
                version=version,
                type=kind,
                purl=purl,
                ecosystem="npm" if purl else None,
                licenses=draw(LICENCES),
                hashes=draw(HASHES),
                scope=draw(st.sampled_from(list(Scope))),
                found_in=draw(st.none() | st.sampled_from(["package-lock.json", "a/b/yarn.lock"])),
                bom_ref=purl or f"ref-{name}",
            )
        )
    root = None
    if with_root or draw(st.booleans()):
        root = Component(name=names[0], version="1.0.0", type=ComponentType.APPLICATION,
                         purl=f"pkg:pypi/{names[0]}@1.0.0", ecosystem="PyPI",
                         bom_ref=f"pkg:pypi/{names[0]}@1.0.0")  # fmt: skip
    refs = [c.ref for c in components]
    dependencies = []
    for source in ([root] if root else []) + components:
        targets = draw(st.lists(st.sampled_from(refs), unique=True, max_size=3))
        targets = [t for t in targets if t != source.ref]
        if targets:
            dependencies.append(Dependency(ref=source.ref, depends_on=tuple(targets)))
    return Inventory(root=root, components=tuple(components), dependencies=tuple(dependencies))


def _key(component: Component) -> tuple[object, ...]:
    return (component.name, component.version, component.type, component.purl,
            component.ecosystem, tuple(sorted(component.licenses)), frozenset(component.hashes),
            component.scope, component.found_in)  # fmt: skip


def _edges(inventory: Inventory) -> set[tuple[str, str]]:
    names = {c.ref: c.name for c in (*inventory.components, inventory.root) if c is not None}
    return {(names[d.ref], names[t]) for d in inventory.dependencies for t in d.depends_on}


def _check(inventory: Inventory, back: Inventory, *, exact_refs: bool) -> None:
    assert (back.root and _key(back.root)) == (inventory.root and _key(inventory.root))
    assert sorted(map(_key, back.components), key=repr) == sorted(
        map(_key, inventory.components), key=repr
    )
    if exact_refs:
        assert {c.ref for c in back.components} == {c.ref for c in inventory.components}
    wrote, read = _edges(inventory), _edges(back)
    # SPDX relates a development-only or optional component no edge reaches to the root (so its
    # scope shows): read back, that is one more edge from the root, and the only difference.
    extra = read - wrote
    assert wrote <= read
    unreached = {c.name for c in inventory.components if c.scope is not Scope.REQUIRED} - {
        b for _, b in wrote
    }
    assert inventory.root is not None or not extra
    assert all(a == inventory.root.name and b in unreached for a, b in extra)  # type: ignore[union-attr]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventory=inventories(with_root=False))
def test_cyclonedx_json_and_xml_round_trip(inventory: Inventory) -> None:
    for fmt in (SbomFormat.CYCLONEDX_JSON, SbomFormat.CYCLONEDX_XML):
        back = read_sbom(WRITERS[fmt](inventory), source=fmt.value)
        _check(inventory, back, exact_refs=True)


@settings(max_examples=40, deadline=None)
@given(inventory=inventories(with_root=True))
def test_spdx_json_round_trip(inventory: Inventory) -> None:
    back = read_sbom(to_spdx_json(inventory), source="sbom.spdx.json")
    _check(inventory, back, exact_refs=False)
    assert all(c.bom_ref.startswith("SPDXRef-Package-") for c in back.components)


def test_every_format_of_a_real_project_reads_back_alike(corpus: Path) -> None:
    inventory = catalog([corpus / "js/npm"])
    read = {fmt: read_sbom(write(inventory), source=fmt.value) for fmt, write in WRITERS.items()}
    assert len(read[SbomFormat.SPDX_JSON].components) == len(inventory.components) > 20
    for back in read.values():
        assert {_key(c) for c in back.components} == {_key(c) for c in inventory.components}


def _spdx(packages: list[dict[str, object]], relationships: list[tuple[str, str, str]],
          **extra: object) -> bytes:  # fmt: skip
    return json.dumps({
        "spdxVersion": "SPDX-2.3", "packages": packages, **extra,
        "relationships": [{"spdxElementId": a, "relationshipType": k, "relatedSpdxElement": b}
                          for a, k, b in relationships],
    }).encode()  # fmt: skip


def test_spdx_relationships_of_other_tools() -> None:
    packages = [{"SPDXID": f"SPDXRef-{n}", "name": n, "licenseDeclared": "NOASSERTION"}
                for n in ("app", "a", "b", "c", "d")]  # fmt: skip
    data = _spdx(packages, [
        ("SPDXRef-a", "DEPENDENCY_OF", "SPDXRef-app"),
        ("SPDXRef-b", "DEV_DEPENDENCY_OF", "SPDXRef-app"),
        ("SPDXRef-b", "DEPENDENCY_OF", "SPDXRef-a"),       # required somewhere: required
        ("SPDXRef-c", "DEV_DEPENDENCY_OF", "SPDXRef-a"),
        ("SPDXRef-d", "OPTIONAL_DEPENDENCY_OF", "SPDXRef-a"),
        ("SPDXRef-d", "DEV_DEPENDENCY_OF", "SPDXRef-c"),   # optional is stronger than dev
        ("SPDXRef-a", "CONTAINS", "SPDXRef-x"),            # unknown element: skipped
        ("SPDXRef-a", "CONTAINS", "SPDXRef-b"),            # not a dependency: skipped
    ], documentDescribes=["SPDXRef-app"])  # fmt: skip
    document = json.loads(data)
    document["relationships"].append(5)
    data = json.dumps(document).encode()
    inventory = read_sbom(data, source="s")
    assert inventory.root is not None and inventory.root.name == "app"
    assert {c.name: c.scope for c in inventory.components} == {
        "a": Scope.REQUIRED, "b": Scope.REQUIRED, "c": Scope.EXCLUDED, "d": Scope.OPTIONAL,
    }  # fmt: skip
    assert {d.ref: d.depends_on for d in inventory.dependencies} == {
        "SPDXRef-app": ("SPDXRef-a", "SPDXRef-b"),
        "SPDXRef-a": ("SPDXRef-b", "SPDXRef-c", "SPDXRef-d"),
        "SPDXRef-c": ("SPDXRef-d",),
    }
    assert all(c.licenses == () for c in inventory.components)


def test_spdx_checksums_licences_and_purposes() -> None:
    package = {
        "SPDXID": "SPDXRef-p", "name": "p", "versionInfo": "2.0",
        "primaryPackagePurpose": "APPLICATION", "sourceInfo": "from a friend",
        "checksums": [{"algorithm": "SHA256", "checksumValue": "AB" * 32},
                      {"algorithm": "ADLER32", "checksumValue": "1"}, "x"],
        "licenseDeclared": "(MIT) AND LicenseRef-Mine AND (Apache-2.0 OR BSD-2-Clause)",
        "externalRefs": [{"referenceType": "cpe23Type", "referenceLocator": "cpe:x"},
                         {"referenceType": "purl", "referenceLocator": "pkg:cargo/p@2.0"}],
    }  # fmt: skip
    extracted = [{"licenseId": "LicenseRef-Mine", "extractedText": "my own terms"}]
    (p,) = read_sbom(
        _spdx([package], [], hasExtractedLicensingInfos=extracted), source="s"
    ).components
    assert (p.type, p.purl, p.ecosystem, p.found_in) == (
        ComponentType.APPLICATION, "pkg:cargo/p@2.0", "crates.io", None,
    )  # fmt: skip
    assert p.hashes == (Hash(algorithm="SHA-256", value="ab" * 32),)
    assert p.licenses == ("MIT", "my own terms", "Apache-2.0 OR BSD-2-Clause")


def test_cyclonedx_nested_components_are_read_in_document_order() -> None:
    doc = {"bomFormat": "CycloneDX", "components": [
        {"name": "a", "components": [{"name": "a1"},
                                     {"name": "a2", "components": [{"name": "x"}]}]},
        {"name": "b"},
    ]}  # fmt: skip
    names = [c.name for c in read_sbom(json.dumps(doc).encode(), source="s").components]
    assert names == ["a", "a1", "a2", "x", "b"]


XML_HEAD = b'<?xml version="1.0"?>\n'


def test_cyclonedx_xml_of_other_tools() -> None:
    data = b"""<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">
      <metadata><tools/><component type="application" bom-ref="app"><name>app</name></component>
      </metadata>
      <components><component type="library" bom-ref="g"><group>org.example</group>
        <name>lib</name><version>1.0</version><description>ignored</description>
        <licenses><license><text>no id, no name</text></license>
          <license><name>Custom</name></license></licenses>
        <evidence><occurrences><occurrence location="pom.xml"/></occurrences></evidence>
        <purl>pkg:maven/org.example/lib@1.0</purl></component></components>
      <dependencies><dependency ref="app"><dependency ref="g"/></dependency></dependencies>
      <properties/>
    </bom>"""
    inventory = read_sbom(data, source="bom.xml")
    assert inventory.root is not None and inventory.root.bom_ref == "app"
    (lib,) = inventory.components
    assert (lib.name, lib.version, lib.ecosystem, lib.licenses, lib.found_in) == (
        "org.example/lib", "1.0", "Maven", ("Custom",), "pom.xml",
    )  # fmt: skip
    assert inventory.dependencies == (Dependency(ref="app", depends_on=("g",)),)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (XML_HEAD + b"<bom", "not well-formed XML"),
        (XML_HEAD + b'<!DOCTYPE bom [<!ENTITY a "aaaa">]><bom/>', "XML with a DTD is not accepted"),
        (XML_HEAD + b"<bom/>", "not a CycloneDX XML document"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components><component type="library">'
         b"<version>1</version></component></components></bom>",
         r"components\[0\]: a component needs a 'name'"),
        (b'{"bomFormat": "CycloneDX", "dependencies": 3}', "dependencies: expected an array"),
        (b'{"spdxVersion": "SPDX-2.3", "relationships": {}}', "relationships: expected an array"),
    ],
)  # fmt: skip
def test_read_rejects_with_the_field_named(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        read_sbom(data, source="in.xml")
    assert str(caught.value).startswith("in.xml: ")


def test_xml_components_nested_beyond_the_recursion_limit_are_an_input_error() -> None:
    # XML parsing has no depth limit, so the nesting reaches the reader.
    depth = 3000
    data = (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>'
            + b"<component><name>n</name><components>" * depth
            + b"</components></component>" * depth + b"</components></bom>")  # fmt: skip
    with pytest.raises(InputError, match=r"^s: not a usable SBOM: components nested too deeply"):
        read_sbom(data, source="s")


def test_cli_reads_every_format(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = {fmt: tmp_path / f"sbom.{fmt.value}" for fmt in SbomFormat}
    outputs = [f"{fmt.value}={path}" for fmt, path in paths.items()]
    assert main(["sbom", str(corpus / "js/npm"), *[a for o in outputs for a in ("-o", o)]]) == 0
    capsys.readouterr()
    spdx, xml = paths[SbomFormat.SPDX_JSON], paths[SbomFormat.CYCLONEDX_XML]
    assert main(["sbom", "diff", str(spdx), str(xml)]) == 0
    assert capsys.readouterr().out == "no changes\n"
    merged = tmp_path / "merged.cdx.json"
    assert main(["sbom", "merge", str(xml), str(spdx), "-o", f"cyclonedx-json={merged}"]) == 0
    back = read_sbom(merged.read_bytes(), source="m")
    first = read_sbom(xml.read_bytes(), source="x")
    assert back.root == first.root
    # The same packages merge into one; the second document's root becomes a component.
    assert {_key(c) for c in back.components} == {_key(c) for c in first.components} | {
        _key(first.root)  # type: ignore[arg-type]
    }
