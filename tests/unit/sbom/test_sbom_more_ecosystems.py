"""yarn, pnpm, Cargo, Bundler and Composer lockfiles: corpus sets and hand-made edge cases."""

from __future__ import annotations

import json
import re
import textwrap
import tomllib
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.model import ComponentType, Scope
from liturgia.sbom import catalog
from liturgia.sbom.catalogers import (
    CargoLockCataloger,
    ComposerLockCataloger,
    GemfileLockCataloger,
    PnpmLockCataloger,
    YarnLockCataloger,
)
from liturgia.sbom.catalogers.gem import development_gems
from liturgia.sbom.catalogers.pnpm import package_key


def npm_lock_set(corpus: Path) -> set[tuple[str, str, bool]]:
    packages = json.loads((corpus / "js/npm/package-lock.json").read_text())["packages"]
    return {
        (e.get("name") or k.rsplit("node_modules/", 1)[1], e["version"], bool(e.get("dev")))
        for k, e in packages.items()
        if k
    }


@pytest.mark.parametrize("folder", ["js/yarn", "js/pnpm"])
def test_yarn_and_pnpm_corpus(corpus: Path, folder: str) -> None:
    # The three JS fixtures install the same package.json: yarn.lock's and pnpm-lock.yaml's
    # header lines give the same (name, version) set as package-lock.json's folders.
    text = next((corpus / folder).glob("*.y*l*")).read_text() if folder == "js/pnpm" else ""
    if folder == "js/yarn":
        text = (corpus / folder / "yarn.lock").read_text()
        pairs = set()
        for block in text.split("\n\n"):
            lines = [x for x in block.splitlines() if x and not x.startswith("#")]
            if lines:
                first = lines[0].split(",")[0].strip().strip('":')
                name = first[: first.index("@", 1)]
                version = re.search(r'^  version "([^"]+)"', block, re.M)
                assert version is not None
                pairs.add((name, version.group(1)))
    else:
        section = text.split("\npackages:\n", 1)[1].split("\nsnapshots:\n", 1)[0]
        pairs = set()
        for key in re.findall(r"^  '?([^'\s][^']*?)'?:$", section, re.M):
            index = key.index("@", 1)
            pairs.add((key[:index], key[index + 1 :]))
    inventory = catalog([corpus / folder])
    assert inventory.warnings == ()
    found = {(c.name, c.version) for c in inventory.components}
    assert found == pairs
    assert {(n, v) for n, v, _ in npm_lock_set(corpus)} == found
    dev = {(n, v) for n, v, d in npm_lock_set(corpus) if d}
    for component in inventory.components:
        want = Scope.EXCLUDED if (component.name, component.version) in dev else Scope.REQUIRED
        assert component.scope is want, component.name
    assert inventory.root is not None and inventory.root.name == "liturgia-js-fixture"
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert len(edges[inventory.root.ref]) == 9
    assert sum(len(v) for v in edges.values()) > 250


def test_cargo_corpus(corpus: Path) -> None:
    lock = tomllib.loads((corpus / "rust/Cargo.lock").read_text())
    expected = {(p["name"], p["version"]) for p in lock["package"] if "source" in p}
    inventory = catalog([corpus / "rust"])
    assert {(c.name, c.version) for c in inventory.components} == expected
    assert (
        inventory.root is not None and inventory.root.purl == "pkg:cargo/liturgia-rs-fixture@0.1.0"
    )
    assert inventory.root.licenses == ("MIT",)
    checksums = {p["name"]: p["checksum"] for p in lock["package"] if "checksum" in p}
    for component in inventory.components:
        assert [h.value for h in component.hashes] == [checksums[component.name]]
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert len(edges[inventory.root.ref]) == 3


def test_gem_corpus(corpus: Path) -> None:
    text = (corpus / "ruby/Gemfile.lock").read_text()
    expected = set(re.findall(r"^    (\S+) \(([^)]+)\)$", text, re.M))
    inventory = catalog([corpus / "ruby"])
    assert {(c.name, c.version) for c in inventory.components} == expected
    scopes = {c.name: c.scope for c in inventory.components}
    assert scopes.pop("rake") is Scope.EXCLUDED  # group :development, :test in the Gemfile
    assert set(scopes.values()) == {Scope.REQUIRED}
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert len(edges["pkg:gem/sinatra@3.0.5"]) == 4


def test_composer_corpus(corpus: Path) -> None:
    lock = json.loads((corpus / "php/composer.lock").read_text())
    expected = {(p["name"], p["version"]) for p in lock["packages"] + lock["packages-dev"]}
    inventory = catalog([corpus / "php"])
    assert {(c.name, c.version) for c in inventory.components} == expected
    dev = {p["name"] for p in lock["packages-dev"]}
    for component in inventory.components:
        assert (component.scope is Scope.EXCLUDED) == (component.name in dev)
        assert component.licenses
    assert inventory.root is not None and inventory.root.purl == "pkg:composer/liturgia/php-fixture"
    guzzle = next(c for c in inventory.components if c.name == "guzzlehttp/guzzle")
    assert guzzle.purl == "pkg:composer/guzzlehttp/guzzle@7.8.1"


BERRY = """
__metadata:
  version: 8
  cacheKey: 10

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    left-pad: "npm:^1.3.0"
    "@types/x": "npm:^1"
  languageName: unknown
  linkType: soft

"left-pad@npm:^1.3.0":
  version: 1.3.0
  resolution: "left-pad@npm:1.3.0"
  dependencies:
    helper: "npm:2.0.0"
  checksum: 10/abcdef
  languageName: node
  linkType: hard

"helper@npm:2.0.0":
  version: 2.0.0
  resolution: "helper@npm:2.0.0"
  languageName: node
  linkType: hard

"@types/x@npm:^1":
  version: 1.0.0
  resolution: "@types/x@npm:1.0.0"
  languageName: node
  linkType: hard

"other@workspace:packages/other":
  version: 0.0.0-use.local
  resolution: "other@workspace:packages/other"
  languageName: unknown
  linkType: soft
"""


def test_yarn_berry(tmp_path: Path) -> None:
    (tmp_path / "yarn.lock").write_text(BERRY)
    (tmp_path / "package.json").write_text(
        json.dumps(
            {
                "name": "app",
                "dependencies": {"left-pad": "^1.3.0"},
                "devDependencies": {"@types/x": "^1"},
            }
        )
    )
    inventory = catalog([tmp_path])
    assert {c.purl: c.scope for c in inventory.components} == {
        "pkg:npm/left-pad@1.3.0": Scope.REQUIRED,
        "pkg:npm/helper@2.0.0": Scope.REQUIRED,
        "pkg:npm/%40types/x@1.0.0": Scope.EXCLUDED,
    }
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert inventory.root is not None
    assert edges[inventory.root.ref] == ("pkg:npm/%40types/x@1.0.0", "pkg:npm/left-pad@1.3.0")
    assert edges["pkg:npm/left-pad@1.3.0"] == ("pkg:npm/helper@2.0.0",)


def test_yarn_classic_aliases_and_no_manifest(tmp_path: Path) -> None:
    lock = textwrap.dedent("""
        # yarn lockfile v1

        "string-width-cjs@npm:string-width@^4.2.0", string-width@^4.2.0:
          version "4.2.3"
          integrity sha512-AAAA
          dependencies:
            strip-ansi "^6.0.1"
          optionalDependencies:
            missing "^1"

        strip-ansi@^6.0.1:
          version "6.0.1"

        local@link:./local:
          version "0.0.0"
        """)
    (tmp_path / "yarn.lock").write_text(lock)
    inventory = catalog([tmp_path])
    assert inventory.root is None
    assert {c.purl: c.scope for c in inventory.components} == {
        "pkg:npm/string-width@4.2.3": Scope.REQUIRED,
        "pkg:npm/strip-ansi@6.0.1": Scope.REQUIRED,
    }
    cataloger = YarnLockCataloger()
    for bad, reason in (
        ("  version 1\n", "indented line before any entry"),
        ("a@1\n", "expected 'descriptor:'"),
        ("a@1:\n      deep 1\n", "nested line outside a block"),
        ("__metadata:\n  version: [\n", "not valid YAML"),
        ("__metadata: 1\n- a\n", "not valid YAML"),
    ):
        with pytest.raises(InputError, match=reason):
            cataloger.parse(bad.encode(), path=tmp_path / "yarn.lock", found_in="yarn.lock")


PNPM_V6 = """
lockfileVersion: '6.0'
dependencies:
  a:
    specifier: ^1
    version: 1.0.0(b@2.0.0)
  aliased:
    specifier: npm:real@^3
    version: /real@3.0.0
  local:
    specifier: link:../local
    version: link:../local
devDependencies:
  d:
    specifier: ^4
    version: 4.0.0
packages:
  /a@1.0.0(b@2.0.0):
    resolution: {integrity: sha512-AAAA}
    dependencies:
      b: 2.0.0
    dev: false
  /b@2.0.0:
    resolution: {integrity: sha512-AAAA}
    dev: false
    optional: true
  /real@3.0.0:
    resolution: {tarball: https://example.invalid/real.tgz}
    dev: false
  /d@4.0.0:
    resolution: {integrity: sha512-AAAA}
    dev: true
"""


def test_pnpm_v6_and_v5_keys(tmp_path: Path) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(PNPM_V6)
    inventory = catalog([tmp_path])
    assert {c.purl: c.scope for c in inventory.components} == {
        "pkg:npm/a@1.0.0": Scope.REQUIRED,
        "pkg:npm/b@2.0.0": Scope.OPTIONAL,
        "pkg:npm/real@3.0.0": Scope.REQUIRED,
        "pkg:npm/d@4.0.0": Scope.EXCLUDED,
    }
    assert inventory.root is not None and inventory.root.name == tmp_path.name
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert edges[inventory.root.ref] == (
        "pkg:npm/a@1.0.0",
        "pkg:npm/d@4.0.0",
        "pkg:npm/real@3.0.0",
    )
    assert package_key("/@scope/name/1.0.0_peer@2") == ("@scope/name", "1.0.0")
    assert package_key("/name/1.2.3") == ("name", "1.2.3")
    assert package_key("weird") is None
    with pytest.raises(InputError, match=r"unsupported pnpm lockfileVersion '4\.0'"):
        PnpmLockCataloger().parse(b"lockfileVersion: '4.0'\n", path=tmp_path, found_in="p")
    with pytest.raises(InputError, match="not valid YAML"):
        PnpmLockCataloger().parse(b"a: [\n", path=tmp_path, found_in="p")


def test_cargo_v1_and_workspace(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text(
        '[package]\nname = "app"\n[dependencies]\nlib = "1"\n[dev-dependencies]\ntester = "1"\n'
    )
    sha = "a" * 64
    (tmp_path / "Cargo.lock").write_text(
        textwrap.dedent(f'''
        [[package]]
        name = "app"
        version = "0.1.0"
        dependencies = ["lib 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)",
                        "tester", "member"]

        [[package]]
        name = "lib"
        version = "1.0.0"
        source = "registry+https://github.com/rust-lang/crates.io-index"

        [[package]]
        name = "tester"
        version = "2.0.0"
        source = "registry+https://github.com/rust-lang/crates.io-index"

        [[package]]
        name = "member"
        version = "0.2.0"

        [metadata]
        "checksum lib 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)" = "{sha}"
        ''')
    )
    inventory = catalog([tmp_path])
    assert inventory.root is not None and inventory.root.licenses == ()
    found = {c.purl: c for c in inventory.components}
    assert {p: (c.scope, c.type) for p, c in found.items()} == {
        "pkg:cargo/lib@1.0.0": (Scope.REQUIRED, ComponentType.LIBRARY),
        "pkg:cargo/tester@2.0.0": (Scope.EXCLUDED, ComponentType.LIBRARY),
        "pkg:cargo/member@0.2.0": (Scope.REQUIRED, ComponentType.APPLICATION),
    }
    assert [h.value for h in found["pkg:cargo/lib@1.0.0"].hashes] == [sha]
    cataloger = CargoLockCataloger()
    with pytest.raises(InputError, match=r"unsupported Cargo\.lock version 9"):
        cataloger.parse(b"version = 9\n", path=tmp_path / "Cargo.lock", found_in="c")
    with pytest.raises(InputError, match="without name or version"):
        cataloger.parse(b'[[package]]\nname = "x"\n', path=tmp_path / "Cargo.lock", found_in="c")


def test_gemfile_groups_git_and_platforms(tmp_path: Path) -> None:
    (tmp_path / "Gemfile").write_text(
        textwrap.dedent("""
        gem "rails"
        gem "pry", group: :development
        gem "rspec", groups: [:development, :test]
        group :test do
          gem "capybara" # comment
          gem "rails"
        end
        group :production, :test do
          gem "pg"
        end
        """)
    )
    assert development_gems((tmp_path / "Gemfile").read_text()) == {"pry", "rspec", "capybara"}
    (tmp_path / "Gemfile.lock").write_text(
        textwrap.dedent("""
        GIT
          remote: https://example.invalid/rails.git
          revision: abc
          specs:
            rails (7.1.0)
              nokogiri

        GEM
          remote: https://rubygems.org/
          specs:
            nokogiri (1.16.0-x86_64-linux)
            pry (0.14.2)
            rspec (3.13.0)
            capybara (3.40.0)
            pg (1.5.4)

        DEPENDENCIES
          capybara
          pg
          pry
          rails!
          rspec
        """)
    )
    inventory = catalog([tmp_path])
    assert {c.purl: c.scope for c in inventory.components} == {
        "pkg:gem/rails@7.1.0?vcs_url=git%2Bhttps://example.invalid/rails.git": Scope.REQUIRED,
        "pkg:gem/nokogiri@1.16.0?platform=x86_64-linux": Scope.REQUIRED,
        "pkg:gem/pry@0.14.2": Scope.EXCLUDED,
        "pkg:gem/rspec@3.13.0": Scope.EXCLUDED,
        "pkg:gem/capybara@3.40.0": Scope.EXCLUDED,
        "pkg:gem/pg@1.5.4": Scope.REQUIRED,
    }
    cataloger = GemfileLockCataloger()
    with pytest.raises(InputError, match="no GEM"):
        cataloger.parse(b"PLATFORMS\n  ruby\n", path=tmp_path / "x", found_in="g")
    with pytest.raises(InputError, match="indented line before any section"):
        cataloger.parse(b"  x\n", path=tmp_path / "x", found_in="g")


def test_composer_edges_and_shapes(tmp_path: Path) -> None:
    (tmp_path / "composer.lock").write_text(
        json.dumps(
            {
                "packages": [
                    {
                        "name": "a/one",
                        "version": "1.0.0",
                        "license": ["MIT", "GPL-2.0-only"],
                        "dist": {"shasum": "b" * 40},
                        "require": {"php": ">=8", "ext-json": "*", "b/two": "^2", "c/none": "1"},
                    },
                    {"name": "b/two", "version": "v2.0.0", "license": "BSD-3-Clause"},
                    {"version": "no name"},
                ],
                "packages-dev": None,
            }
        )
    )
    inventory = catalog([tmp_path])
    found = {c.purl: c for c in inventory.components}
    assert set(found) == {"pkg:composer/a/one@1.0.0", "pkg:composer/b/two@v2.0.0"}
    assert found["pkg:composer/a/one@1.0.0"].licenses == ("MIT OR GPL-2.0-only",)
    assert found["pkg:composer/a/one@1.0.0"].hashes[0].algorithm == "SHA-1"
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert edges["pkg:composer/a/one@1.0.0"] == ("pkg:composer/b/two@v2.0.0",)
    assert inventory.root is None
    with pytest.raises(InputError, match="not valid JSON"):
        ComposerLockCataloger().parse(b"{", path=tmp_path / "composer.lock", found_in="c")
