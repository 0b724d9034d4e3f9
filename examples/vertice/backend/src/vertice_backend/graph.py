"""A weighted, undirected graph with Dijkstra shortest paths."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field


class RouteNotFound(LookupError):
    """No route joins the two vertices."""


@dataclass
class Graph:
    """Vertices joined by edges of non-negative length."""

    edges: dict[str, dict[str, float]] = field(default_factory=dict)

    def add_edge(self, a: str, b: str, length: float) -> None:
        if length < 0:
            raise ValueError(f"edge {a}-{b}: negative length {length}")
        self.edges.setdefault(a, {})[b] = length
        self.edges.setdefault(b, {})[a] = length

    def vertices(self) -> list[str]:
        return sorted(self.edges)

    def shortest_route(self, start: str, end: str) -> tuple[float, list[str]]:
        """Return (total length, vertices along the route) from start to end."""
        if start not in self.edges or end not in self.edges:
            raise RouteNotFound(f"unknown vertex: {start if start not in self.edges else end}")
        best: dict[str, float] = {start: 0.0}
        previous: dict[str, str] = {}
        queue: list[tuple[float, str]] = [(0.0, start)]
        while queue:
            distance, vertex = heapq.heappop(queue)
            if vertex == end:
                break
            if distance > best[vertex]:
                continue
            for neighbour, length in self.edges[vertex].items():
                candidate = distance + length
                if candidate < best.get(neighbour, float("inf")):
                    best[neighbour] = candidate
                    previous[neighbour] = vertex
                    heapq.heappush(queue, (candidate, neighbour))
        if end not in best:
            raise RouteNotFound(f"no route from {start} to {end}")
        route = [end]
        while route[-1] != start:
            route.append(previous[route[-1]])
        return best[end], route[::-1]
