import json

import pytest

from vertice_backend import Graph, RouteNotFound, handle


@pytest.fixture
def graph() -> Graph:
    g = Graph()
    g.add_edge("porta", "piazza", 2.0)
    g.add_edge("piazza", "duomo", 1.5)
    g.add_edge("porta", "duomo", 5.0)
    g.add_edge("duomo", "torre", 1.0)
    g.add_edge("isola", "faro", 3.0)
    return g


def test_shortest_route_prefers_the_shorter_detour(graph: Graph) -> None:
    assert graph.shortest_route("porta", "torre") == (4.5, ["porta", "piazza", "duomo", "torre"])


def test_route_to_itself_is_empty(graph: Graph) -> None:
    assert graph.shortest_route("duomo", "duomo") == (0.0, ["duomo"])


def test_unreachable_and_unknown(graph: Graph) -> None:
    with pytest.raises(RouteNotFound, match="no route from porta to faro"):
        graph.shortest_route("porta", "faro")
    with pytest.raises(RouteNotFound, match="unknown vertex: nowhere"):
        graph.shortest_route("porta", "nowhere")


def test_negative_edges_are_refused() -> None:
    with pytest.raises(ValueError, match="negative length"):
        Graph().add_edge("a", "b", -1)


def test_service_answers(graph: Graph) -> None:
    status, body = handle(graph, "/vertices")
    assert status == 200
    assert json.loads(body)["vertices"] == ["duomo", "faro", "isola", "piazza", "porta", "torre"]
    status, body = handle(graph, "/route?from=porta&to=torre")
    assert (status, json.loads(body)["length"]) == (200, 4.5)
    assert handle(graph, "/route?from=porta")[0] == 400
    assert handle(graph, "/route?from=porta&to=faro")[0] == 404
    assert handle(graph, "/elsewhere")[0] == 404
