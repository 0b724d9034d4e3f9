"""Scope by reachability: one dev/optional policy for lockfiles that do not flag dev packages."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

from liturgia.model import Scope

__all__ = ["reach", "scopes_by_reach"]

K = TypeVar("K", bound=Hashable)


def reach(edges: Mapping[K, Iterable[K]], starts: Iterable[K]) -> set[K]:
    """Every node reachable from ``starts`` (included), breadth first."""
    seen: set[K] = set()
    queue = deque(starts)
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        queue.extend(edges.get(node, ()))
    return seen


def scopes_by_reach(
    edges: Mapping[K, Iterable[K]],
    *,
    required: Iterable[K],
    optional: Iterable[K] = (),
    dev: Iterable[K] = (),
) -> dict[K, Scope]:
    """Scope of each reachable node: required from the runtime roots, else optional from the
    optional ones, else excluded (development only). Unreached nodes are absent (callers keep
    them required: nothing says they are development-only)."""
    needed = reach(edges, required)
    maybe = reach(edges, optional) - needed
    development = reach(edges, dev) - needed - maybe
    scopes = dict.fromkeys(development, Scope.EXCLUDED)
    scopes.update(dict.fromkeys(maybe, Scope.OPTIONAL))
    scopes.update(dict.fromkeys(needed, Scope.REQUIRED))
    return scopes
