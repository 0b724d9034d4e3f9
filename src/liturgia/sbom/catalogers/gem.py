"""Gemfile.lock (Bundler), with the Gemfile beside it for development groups.

Sections ``GEM``, ``GIT`` and ``PATH`` list ``specs:``: a gem at four spaces,
``name (version[-platform])``, and its dependencies at six, ``name (constraints)``. Each gem is
``pkg:gem/<name>@<version>`` (a ``-platform`` suffix becomes the ``platform`` purl qualifier, as
the gem purl type defines). ``DEPENDENCIES`` lists the Gemfile's direct gems (``name!`` for a
git/path source). Gems from ``GIT`` carry the repository as ``vcs_url``.

Gemfile.lock does not say which gems are for development; the Gemfile does, with
``group :development, :test do ... end`` blocks (and ``group:`` options): gems only those reach
are excluded, by reachability. The Gemfile is Ruby: only these literal forms are read.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from packageurl import PackageURL

from liturgia.errors import InputError
from liturgia.model import Component, Dependency, Scope
from liturgia.sbom._graph import scopes_by_reach
from liturgia.sbom.cataloger import Cataloger, CatalogResult, decode_text

__all__ = ["GemfileLockCataloger", "development_gems"]

ECOSYSTEM = "RubyGems"
_SPEC = re.compile(r"^    (\S+) \(([^)]+)\)$")
_DEP = re.compile(r"^      (\S+)(?: \(.*\))?$")
_DIRECT = re.compile(r"^  (\S+?)!?(?: \(.*\))?$")
_GEM = re.compile(r"""^\s*gem\s+["']([^"']+)["'](.*)$""")
_GROUP = re.compile(r"^\s*group\s+(.+?)\s+do\s*$")
_DEV_GROUPS = {"development", "test"}


def development_gems(gemfile: str) -> set[str]:
    """Gems a Gemfile declares only in ``development``/``test`` groups."""
    dev: set[str] = set()
    runtime: set[str] = set()
    stack: list[bool] = []
    for line in gemfile.splitlines():
        stripped = line.split("#", 1)[0].strip()
        group = _GROUP.match(stripped)
        if group:
            names = set(re.findall(r":(\w+)", group.group(1)))
            stack.append(bool(names) and names <= _DEV_GROUPS)
            continue
        if stripped == "end" and stack:
            stack.pop()
            continue
        gem = _GEM.match(stripped)
        if gem:
            option = re.search(r"group(?:s)?:\s*\[?([^\]]+)\]?", gem.group(2))
            in_dev = any(stack) or (
                option is not None and set(re.findall(r":(\w+)", option.group(1))) <= _DEV_GROUPS
            )
            (dev if in_dev else runtime).add(gem.group(1))
    return dev - runtime


class GemfileLockCataloger(Cataloger):
    """``Gemfile.lock`` and ``gems.locked``."""

    name: ClassVar[str] = "ruby-gemfile-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"Gemfile.lock", "gems.locked"})

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return the gems, their edges and scopes (see the module docstring)."""
        text = decode_text(data, found_in)
        components: dict[str, Component] = {}
        wanted: dict[str, list[str]] = {}
        direct: list[str] = []
        section = ""
        remote: str | None = None
        current: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if line and not line.startswith(" "):
                section, remote, current = line.strip(), None, None
                continue
            if section in {"GEM", "GIT", "PATH"}:
                if line.startswith("  remote: "):
                    remote = line.split(":", 1)[1].strip()
                elif spec := _SPEC.match(line):
                    current = spec.group(1)
                    version, _, platform = spec.group(2).partition("-")
                    qualifiers = {"platform": platform} if platform else {}
                    if section == "GIT" and remote:
                        qualifiers["vcs_url"] = f"git+{remote}"
                    purl = str(
                        PackageURL(type="gem", name=current, version=version, qualifiers=qualifiers)
                    )
                    components.setdefault(
                        current,
                        Component(
                            name=current,
                            version=version,
                            purl=purl,
                            ecosystem=ECOSYSTEM,
                            found_in=found_in,
                            bom_ref=purl,
                        ),
                    )
                    wanted.setdefault(current, [])
                elif (dep := _DEP.match(line)) and current is not None:
                    wanted[current].append(dep.group(1))
            elif section == "DEPENDENCIES" and (entry := _DIRECT.match(line)):
                direct.append(entry.group(1))
            elif section == "" and line.strip():
                raise InputError(f"{found_in}:{number}: indented line before any section")
        if not components and "GEM" not in text and "DEPENDENCIES" not in text:
            raise InputError(f"{found_in}: no GEM, GIT, PATH or DEPENDENCIES section")
        edges = {n: {d for d in deps if d in components} for n, deps in wanted.items()}
        try:
            gemfile = (path.parent / "Gemfile").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            gemfile = ""
        dev = development_gems(gemfile)
        roots = [d for d in direct if d in components]
        scopes = scopes_by_reach(
            edges,
            required=[d for d in roots if d not in dev],
            dev=[d for d in roots if d in dev],
        )
        final = {n: replace(c, scope=scopes.get(n, Scope.REQUIRED)) for n, c in components.items()}
        dependencies = tuple(
            Dependency(ref=final[n].ref, depends_on=tuple(sorted(final[t].ref for t in targets)))
            for n, targets in edges.items()
        )
        return CatalogResult(components=tuple(final.values()), dependencies=dependencies)
