"""pyproject.toml: the project itself and the dependencies it declares.

Reads PEP 621 ``[project]`` (name, version, ``dependencies``, ``optional-dependencies``), PEP 735
``[dependency-groups]`` and Poetry's ``[tool.poetry]`` (``dependencies``, ``group.*.dependencies``,
legacy ``dev-dependencies``). The project becomes the root component (type ``application``) with
an edge to each declared dependency. Declared ranges are not versions, so most of these
components have none; a lockfile in the same scan supplies the pinned ones and merging re-points
the edges to them. Scope: ``dependencies`` required, extras optional, dependency groups and
Poetry's non-main groups excluded (development only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from packaging.requirements import InvalidRequirement, Requirement

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Scope
from liturgia.sbom.cataloger import (
    Cataloger,
    CatalogResult,
    as_dict,
    direct_result,
    first_line,
    load_toml,
    opt_str,
)
from liturgia.sbom.catalogers._python import (
    ECOSYSTEM,
    pypi_component,
    requirement_component,
)

__all__ = ["PyprojectCataloger"]


class PyprojectCataloger(Cataloger):
    """``pyproject.toml`` (PEP 621, PEP 735 and Poetry)."""

    name: ClassVar[str] = "python-pyproject"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"pyproject.toml"})

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return the root project and its declared dependencies (see the module docstring)."""
        doc = load_toml(data, found_in)
        project = as_dict(doc.get("project", {}), found_in, "[project]")
        tool = as_dict(doc.get("tool", {}), found_in, "[tool]")
        poetry = as_dict(tool.get("poetry", {}), found_in, "[tool.poetry]")
        warnings: list[str] = []
        components: list[Component] = []

        def add(spec: str, scope: Scope, where: str) -> None:
            try:
                req = Requirement(spec)
            except InvalidRequirement as exc:
                warnings.append(
                    f"{found_in}: {where}: invalid requirement {spec!r}: {first_line(exc)}"
                )
                return
            components.append(requirement_component(req, found_in=found_in, scope=scope))

        for spec in _strings(project.get("dependencies", []), found_in, "project.dependencies"):
            add(spec, Scope.REQUIRED, "project.dependencies")
        extras = as_dict(project.get("optional-dependencies", {}), found_in, "optional-deps")
        for extra, specs in sorted(extras.items()):
            for spec in _strings(specs, found_in, f"optional-dependencies.{extra}"):
                add(spec, Scope.OPTIONAL, f"optional-dependencies.{extra}")
        groups = as_dict(doc.get("dependency-groups", {}), found_in, "[dependency-groups]")
        for group, specs in sorted(groups.items()):
            # {include-group = "..."} entries reference another group: already listed there.
            for spec in _strings(specs, found_in, f"dependency-groups.{group}", tables_ok=True):
                add(spec, Scope.EXCLUDED, f"dependency-groups.{group}")
        components.extend(_poetry(poetry, found_in))

        name = opt_str(project.get("name")) or opt_str(poetry.get("name"))
        root = None
        if name is not None:
            version = opt_str(project.get("version")) or opt_str(poetry.get("version"))
            root = pypi_component(
                name,
                version,
                found_in=found_in,
                type_=ComponentType.APPLICATION,
                licenses=_licence(project.get("license", poetry.get("license"))),
            )
        return direct_result(root, components, warnings)


def _licence(value: Any) -> tuple[str, ...]:
    """PEP 639 ``license = "EXPR"``, PEP 621 ``license = {text = "..."}``, Poetry's string.

    ``{file = ...}`` names a file, not a licence, and gives nothing.
    """
    if isinstance(value, dict):
        value = value.get("text")
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    return ()


def _strings(value: Any, found_in: str, what: str, *, tables_ok: bool = False) -> list[str]:
    if not isinstance(value, list):
        raise InputError(f"{found_in}: {what} is {type(value).__name__}, expected an array")
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif not (tables_ok and isinstance(item, dict)):
            raise InputError(f"{found_in}: {what} holds a {type(item).__name__}, expected strings")
    return out


def _poetry(poetry: dict[str, Any], found_in: str) -> list[Component]:
    """Poetry's dependency tables: name -> constraint string, table, or list of tables."""
    tables: list[tuple[dict[str, Any], Scope]] = [
        (
            as_dict(poetry.get("dependencies", {}), found_in, "tool.poetry.dependencies"),
            Scope.REQUIRED,
        ),
        (
            as_dict(poetry.get("dev-dependencies", {}), found_in, "tool.poetry.dev-dependencies"),
            Scope.EXCLUDED,
        ),
    ]
    groups = as_dict(poetry.get("group", {}), found_in, "tool.poetry.group")
    for group, body in sorted(groups.items()):
        deps = as_dict(body, found_in, f"tool.poetry.group.{group}").get("dependencies", {})
        scope = Scope.REQUIRED if group == "main" else Scope.EXCLUDED
        tables.append((as_dict(deps, found_in, f"tool.poetry.group.{group}.dependencies"), scope))
    components = []
    for table, scope in tables:
        for name, constraint in sorted(table.items()):
            if name.lower() == "python":
                continue
            entries = constraint if isinstance(constraint, list) else [constraint]
            for entry in entries:
                optional = isinstance(entry, dict) and entry.get("optional") is True
                version = entry.get("version") if isinstance(entry, dict) else entry
                pin = _poetry_pin(version) if isinstance(version, str) else None
                components.append(
                    pypi_component(
                        name,
                        pin,
                        found_in=found_in,
                        scope=Scope.OPTIONAL if optional and scope is Scope.REQUIRED else scope,
                    )
                )
    return components


def _poetry_pin(constraint: str) -> str | None:
    """Poetry's exact constraints: ``1.2.3`` or ``==1.2.3`` (no ``*``, no operator otherwise)."""
    text = constraint.strip().removeprefix("==").strip()
    if text and text[0].isdigit() and all(c not in text for c in "*,<>=!^~| "):
        return text
    return None
