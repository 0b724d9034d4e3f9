"""Plain purls are split without packageurl-python (a 10,000-component scan parses 10,000 of
them); the result must equal packageurl-python's for every purl the fast path accepts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from liturgia.vuln.ecosystems import (
    PURL_TYPE_TO_ECOSYSTEM,
    PackageKey,
    _simple_parts,
    normalize_name,
    package_from_purl,
)

_SEGMENT = st.text(alphabet="abcXYZ019._-+~:!", min_size=1, max_size=8)


def _reference(purl: str) -> tuple[PackageKey, str | None]:
    parsed = PackageURL.from_string(purl)
    ecosystem = PURL_TYPE_TO_ECOSYSTEM[parsed.type]
    namespace = parsed.namespace or ""
    name = parsed.name
    if namespace:
        name = f"{namespace}:{name}" if ecosystem == "Maven" else f"{namespace}/{name}"
    return PackageKey(ecosystem=ecosystem, name=normalize_name(ecosystem, name)), parsed.version


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["pypi", "npm", "golang", "cargo", "maven", "nuget", "gem", "composer"]),
    namespace=st.lists(_SEGMENT, max_size=3),
    name=_SEGMENT,
    version=st.none() | _SEGMENT,
)
def test_fast_path_agrees_with_packageurl(
    kind: str, namespace: list[str], name: str, version: str | None
) -> None:
    purl = f"pkg:{kind}/{''.join(n + '/' for n in namespace)}{name}"
    purl += f"@{version}" if version is not None else ""
    assert _simple_parts(purl) is not None
    assert package_from_purl.__wrapped__(purl) == _reference(purl)


def test_other_purls_take_the_general_parser() -> None:
    for purl in (
        "pkg:npm/%40types/node@1.0.0",
        "pkg:pypi/django@4.2?repository_url=x",
        "pkg:deb/debian/bash@5.1?distro=debian-12",
        "pkg:hex/Phoenix@1.0",
    ):
        assert _simple_parts(purl) is None
    key, version = package_from_purl("pkg:npm/%40types/node@1.0.0")
    assert (key.name, version) == ("@types/node", "1.0.0")
