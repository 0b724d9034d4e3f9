"""The HTTP-shaped entry point: a request path in, a status and JSON body out."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from vertice_backend.graph import Graph, RouteNotFound


def handle(graph: Graph, target: str) -> tuple[int, str]:
    """Answer GET ``/vertices`` and ``/route?from=A&to=B``."""
    url = urlsplit(target)
    if url.path == "/vertices":
        return 200, json.dumps({"vertices": graph.vertices()})
    if url.path == "/route":
        query = parse_qs(url.query)
        start = query.get("from", [""])[0]
        end = query.get("to", [""])[0]
        if not start or not end:
            return 400, json.dumps({"error": "from and to are required"})
        try:
            length, route = graph.shortest_route(start, end)
        except RouteNotFound as exc:
            return 404, json.dumps({"error": str(exc)})
        return 200, json.dumps({"length": length, "route": route})
    return 404, json.dumps({"error": f"no such path: {url.path}"})
