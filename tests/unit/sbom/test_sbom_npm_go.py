"""npm and Go catalogers on hand-made files."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.model import Scope
from liturgia.sbom import catalog
from liturgia.sbom.catalogers import GoModCataloger, NpmLockCataloger


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_npm_v2_workspaces_aliases_nesting(tmp_path: Path) -> None:
    lock = {
        "name": "app",
        "version": "1.0.0",
        "lockfileVersion": 2,
        "packages": {
            "": {
                "name": "app",
                "version": "1.0.0",
                "license": {"type": "MIT"},
                "workspaces": ["packages/ws"],
                "dependencies": {"a": "^1", "ws": "*"},
                "devDependencies": {"@scope/dev": "^1"},
                "optionalDependencies": {"opt": "^1"},
            },
            "node_modules/a": {
                "version": "1.0.0",
                "integrity": sri(b"a") + " sha1-AAAA sha256-!!notb64",
                "licenses": [{"type": "ISC"}, "MIT"],
                "dependencies": {"b": "^2", "missing": "^1"},
            },
            "node_modules/a/node_modules/b": {"version": "2.0.0", "dependencies": {"c": "*"}},
            "node_modules/b": {"version": "1.0.0"},
            "node_modules/c": {"version": "3.0.0", "peerDependencies": {"a": "*"}},
            "node_modules/@scope/dev": {"version": "1.0.0", "dev": True},
            "node_modules/opt": {"version": "1.0.0", "optional": True},
            "node_modules/devopt": {"version": "1.0.0", "devOptional": True},
            "node_modules/alias": {"name": "real", "version": "4.0.0"},
            "node_modules/ws": {"resolved": "packages/ws", "link": True},
            "packages/ws": {"name": "ws", "version": "0.1.0", "devDependencies": {"b": "*"}},
            "node_modules/noversion": {},
        },
    }
    path = tmp_path / "package-lock.json"
    path.write_text(json.dumps(lock))
    inventory = catalog([path])
    assert inventory.root is not None
    assert inventory.root.purl == "pkg:npm/app@1.0.0"
    assert inventory.root.licenses == ("MIT",)
    found = {c.purl: c for c in inventory.components}
    assert {p: c.scope for p, c in found.items()} == {
        "pkg:npm/a@1.0.0": Scope.REQUIRED,
        "pkg:npm/b@2.0.0": Scope.REQUIRED,
        "pkg:npm/b@1.0.0": Scope.REQUIRED,
        "pkg:npm/c@3.0.0": Scope.REQUIRED,
        "pkg:npm/%40scope/dev@1.0.0": Scope.EXCLUDED,
        "pkg:npm/opt@1.0.0": Scope.OPTIONAL,
        "pkg:npm/devopt@1.0.0": Scope.OPTIONAL,
        "pkg:npm/real@4.0.0": Scope.REQUIRED,
        "pkg:npm/ws@0.1.0": Scope.REQUIRED,
        "pkg:npm/noversion": Scope.REQUIRED,
    }
    a = found["pkg:npm/a@1.0.0"]
    assert [h.algorithm for h in a.hashes] == ["SHA-512"]
    assert a.hashes[0].value == hashlib.sha512(b"a").hexdigest()
    assert a.licenses == ("ISC", "MIT")
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert edges["pkg:npm/app@1.0.0"] == (
        "pkg:npm/%40scope/dev@1.0.0",
        "pkg:npm/a@1.0.0",
        "pkg:npm/opt@1.0.0",
        "pkg:npm/ws@0.1.0",
    )
    assert edges["pkg:npm/a@1.0.0"] == ("pkg:npm/b@2.0.0",)  # the nested b, not the hoisted one
    assert edges["pkg:npm/b@2.0.0"] == ("pkg:npm/c@3.0.0",)
    assert edges["pkg:npm/c@3.0.0"] == ("pkg:npm/a@1.0.0",)
    assert edges["pkg:npm/ws@0.1.0"] == ("pkg:npm/b@1.0.0",)
    assert any("has no version" in w for w in inventory.warnings)


def test_npm_v1_nested_with_manifest(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps(
            {
                "name": "old",
                "license": "BSD-2-Clause",
                "dependencies": {"x": "^1"},
                "devDependencies": {"y": "^1"},
            }
        )
    )
    lock = {
        "name": "old",
        "version": "0.0.1",
        "lockfileVersion": 1,
        "dependencies": {
            "x": {
                "version": "1.0.0",
                "integrity": sri(b"x"),
                "requires": {"z": "^1"},
                "dependencies": {"z": {"version": "1.5.0"}},
            },
            "z": {"version": "2.0.0"},
            "y": {"version": "1.0.0", "dev": True},
            "al": {"version": "npm:real-pkg@3.0.0"},
        },
    }
    (tmp_path / "npm-shrinkwrap.json").write_text(json.dumps(lock))
    inventory = catalog([tmp_path])
    assert inventory.root is not None and inventory.root.licenses == ("BSD-2-Clause",)
    scopes = {c.purl: c.scope for c in inventory.components}
    assert scopes == {
        "pkg:npm/x@1.0.0": Scope.REQUIRED,
        "pkg:npm/z@1.5.0": Scope.REQUIRED,
        "pkg:npm/z@2.0.0": Scope.REQUIRED,
        "pkg:npm/y@1.0.0": Scope.EXCLUDED,
        "pkg:npm/real-pkg@3.0.0": Scope.REQUIRED,
    }
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert edges["pkg:npm/old@0.0.1"] == ("pkg:npm/x@1.0.0", "pkg:npm/y@1.0.0")
    assert edges["pkg:npm/x@1.0.0"] == ("pkg:npm/z@1.5.0",)
    dropped = catalog([tmp_path], exclude_dev=True)
    assert "pkg:npm/y@1.0.0" not in {c.purl for c in dropped.components}
    assert all("pkg:npm/y@1.0.0" not in d.depends_on for d in dropped.dependencies)


def test_npm_v1_without_manifest(tmp_path: Path) -> None:
    lock = {"lockfileVersion": 1, "dependencies": {"x": {"version": "1.0.0"}}}
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    inventory = catalog([tmp_path])
    assert inventory.root is not None and inventory.root.name == tmp_path.name
    assert {d.ref: d.depends_on for d in inventory.dependencies}[inventory.root.ref] == (
        "pkg:npm/x@1.0.0",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"lockfileVersion": 4}', "unsupported lockfileVersion 4"),
        (b"[1, 2]", "expected a table/object"),
        (b'{"packages": []}', "expected a table/object"),
        (b'{"lockfileVersion": 3, "packages": {"node_modules/a": 5}}', "expected a table"),
        (b"{", "not valid JSON"),
    ],
)
def test_npm_malformed(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        NpmLockCataloger().parse(data, path=tmp_path / "package-lock.json", found_in="lock")


GO_MOD = """// a comment
module "example.com/Mod"

go 1.22

require example.com/single v1.0.0
require (
	example.com/a v1.2.3 // indirect
	example.com/b v0.1.0
	example.com/c/v2 v2.0.0
	example.com/ex v1.0.0
	`example.com/raw` v0.0.1
	bad-line
)

replace example.com/b => example.com/b-fork v0.2.0
replace example.com/c/v2 v2.0.0 => ../local/c
replace broken =>
exclude example.com/ex v1.0.0
exclude (
	example.com/a v1.0.0
)
retract v0.0.1
"""


def test_go_mod_directives(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text(GO_MOD)
    digest = hashlib.sha256(b"a").digest()
    (tmp_path / "go.sum").write_text(
        f"example.com/a v1.2.3 h1:{base64.b64encode(digest).decode()}\n"
        f"example.com/a v1.2.3/go.mod h1:{base64.b64encode(b'x' * 32).decode()}\n"
        "example.com/b-fork v0.2.0 h1:!!!\n"
        "garbage\n"
    )
    inventory = catalog([tmp_path])
    assert inventory.root is not None
    assert inventory.root.purl == "pkg:golang/example.com/Mod"
    found = {c.purl: c for c in inventory.components}
    assert set(found) == {
        "pkg:golang/example.com/single@v1.0.0",
        "pkg:golang/example.com/a@v1.2.3",
        "pkg:golang/example.com/b-fork@v0.2.0",
        "pkg:golang/example.com/c/v2",
        "pkg:golang/example.com/ex@v1.0.0",
        "pkg:golang/example.com/raw@v0.0.1",
        "pkg:golang/stdlib@1.22.0",
    }
    assert [h.value for h in found["pkg:golang/example.com/a@v1.2.3"].hashes] == [digest.hex()]
    text = "\n".join(inventory.warnings)
    assert "go.mod:13: malformed require directive" in text
    assert "malformed replace directive" in text
    assert "requires example.com/ex v1.0.0, also excluded" in text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("go 1.22\n", "no module directive"),
        (b"\xff\xfe".decode("latin-1"), "no module directive"),
    ],
)
def test_go_mod_malformed(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        GoModCataloger().parse(text.encode(), path=tmp_path / "go.mod", found_in="go.mod")


def test_go_mod_unterminated(tmp_path: Path) -> None:
    data = b'module x\nrequire (\n\ta v1.0.0\n\t"unterminated v1\n'
    result = GoModCataloger().parse(data, path=tmp_path / "go.mod", found_in="go.mod")
    assert [c.purl for c in result.components] == ["pkg:golang/a@v1.0.0"]
    assert any("unterminated string" in w for w in result.warnings)
    assert any("unterminated require ( block" in w for w in result.warnings)
    with pytest.raises(InputError, match="not UTF-8"):
        GoModCataloger().parse(b"\xff\xfe", path=tmp_path / "go.mod", found_in="go.mod")
