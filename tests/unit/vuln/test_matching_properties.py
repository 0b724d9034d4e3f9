"""Property test: compiled ranges answer exactly as OSV schema §Evaluation's pseudo-code.

The reference below is the schema's ``IncludedInRanges``/``BeforeLimits`` written literally
(events sorted by version, ``introduced`` before other kinds at equal versions), evaluated on
random event lists in random order.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from liturgia.vuln.advisory import Advisory, AffectedPackage, AffectedRange, RangeEvent
from liturgia.vuln.matching import VersionKeys, compile_entry
from liturgia.vuln.versions import ordering_for

VERSIONS = [
    "0.9.0",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.2.0",
    "2.0.0-alpha",
    "2.0.0",
    "3.0.0",
]
KEY = ordering_for("npm").key
_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


def _reference(version: str, events: list[tuple[str, str]]) -> bool:
    limits = [v for kind, v in events if kind == "limit"]
    if limits and not any(KEY(version) < KEY(v) for v in limits):
        return False
    ordered = sorted(
        events,
        key=lambda e: ((0, ()) if e[1] == "0" else (1, KEY(e[1])), _ORDER[e[0]]),
    )
    vulnerable = False
    for kind, v in ordered:
        if kind == "introduced" and (v == "0" or KEY(version) >= KEY(v)):
            vulnerable = True
        elif kind in ("fixed", "last_affected"):
            past = KEY(version) >= KEY(v) if kind == "fixed" else KEY(version) > KEY(v)
            vulnerable = vulnerable and not past
    return vulnerable


@st.composite
def _events(draw: st.DrawFn) -> list[tuple[str, str]]:
    closing = draw(st.sampled_from(["fixed", "last_affected"]))
    kinds = st.sampled_from(["introduced", closing, "limit"])
    events = draw(st.lists(st.tuples(kinds, st.sampled_from(VERSIONS)), max_size=6))
    first = draw(st.sampled_from(["0", *VERSIONS]))
    events.insert(draw(st.integers(0, len(events))), ("introduced", first))
    return events


@settings(max_examples=400, deadline=None)
@given(_events())
def test_compiled_range_equals_schema_pseudocode(events: list[tuple[str, str]]) -> None:
    item = AffectedRange(
        type="SEMVER", events=tuple(RangeEvent(kind=k, version=v) for k, v in events)
    )
    affected = AffectedPackage(ecosystem="npm", name="p", ranges=(item,))
    entry = compile_entry(Advisory(id="T", affected=(affected,)), affected)
    assert entry.problems == ()
    for version in VERSIONS:
        expected = _reference(version, events)
        assert entry.affects(VersionKeys(version)) == expected, (version, events)
