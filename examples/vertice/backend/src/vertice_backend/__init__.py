"""Vertice backend: a catalogue of vertices and shortest routes between them."""

from vertice_backend.graph import Graph, RouteNotFound
from vertice_backend.service import handle

__all__ = ["Graph", "RouteNotFound", "handle"]
