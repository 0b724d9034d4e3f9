"""SPDX licence identification from a licence file's text, only when it is unambiguous.

A small phrase matcher rather than a general licence scanner: for the few licences most Python
and JavaScript packages use, it looks for sentences of the licence's SPDX reference text that
no other licence in the table contains (and for phrases that would make it a different SPDX
licence, e.g. X11's "except as contained in this notice" in an MIT-like text). Texts are
compared after normalization (lower case, every run of non-alphanumerics one space), so line
wrapping, comment markers and punctuation do not matter.

A text is identified only when exactly one licence matches and the text names no other licence
family (a marker such as "gnu general public license" or "apache license" outside that
licence's own text): a file bundling several licences, or a copyleft licence whose text does
not say "only" or "or later" (the GPL/LGPL/AGPL texts are the same for both SPDX identifiers),
is left unidentified rather than guessed. General scanners (ScanCode) were not used: they bring
hundreds of MB of rules to answer a question the metadata usually answers already.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["KNOWN_LICENCES", "identify_licence_text", "normalize_licence_text"]

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_licence_text(text: str) -> str:
    """Lower case, every run of non-alphanumeric characters one space, stripped."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Licence:
    """One SPDX licence: any one set of ``phrases`` all present, none of ``excludes``."""

    spdx: str
    phrases: tuple[tuple[str, ...], ...]
    excludes: tuple[str, ...] = ()
    markers: frozenset[str] = frozenset()  # family markers its own text contains
    max_words: int = 600


#: Markers of licence families: a text naming one its licence does not contain is ambiguous.
_MARKERS = (
    "permission is hereby granted",
    "redistribution and use in source and binary forms",
    "apache license",
    "gnu general public license",
    "gnu lesser general public license",
    "gnu library general public license",
    "gnu affero general public license",
    "mozilla public license",
    "permission to use copy modify",
    "python software foundation",
    "creative commons",
    "boost software license",
    "eclipse public license",
    "artistic license",
    "public domain",
)

_BSD_BASE = (
    "redistribution and use in source and binary forms with or without modification are "
    "permitted provided that the following conditions are met",
    "redistributions of source code must retain the above copyright notice",
    "redistributions in binary form must reproduce the above copyright notice",
)
_BSD_MARKER = frozenset({"redistribution and use in source and binary forms"})
_GNU = frozenset(
    {
        "gnu general public license",
        "gnu lesser general public license",
        "gnu affero general public license",
    }
)

#: The licences identified, each by sentences of its SPDX reference text.
KNOWN_LICENCES: tuple[_Licence, ...] = (
    _Licence(
        spdx="MIT",
        phrases=(
            (
                "permission is hereby granted free of charge to any person obtaining a copy of "
                "this software",
                "the above copyright notice and this permission notice shall be included in all "
                "copies or substantial portions of the software",
            ),
        ),
        excludes=("except as contained in this notice the name",),  # X11, MIT-open-group
        markers=frozenset({"permission is hereby granted"}),
    ),
    _Licence(
        spdx="ISC",
        phrases=(
            (
                "permission to use copy modify and or distribute this software for any purpose "
                "with or without fee is hereby granted provided that the above copyright notice "
                "and this permission notice appear in all copies",
            ),
            (  # the older wording (OpenBSD's), which SPDX's ISC template also matches
                "permission to use copy modify and distribute this software for any purpose "
                "with or without fee is hereby granted provided that the above copyright notice "
                "and this permission notice appear in all copies",
            ),
        ),
        markers=frozenset({"permission to use copy modify"}),
    ),
    _Licence(
        spdx="0BSD",
        phrases=(
            (
                "permission to use copy modify and or distribute this software for any purpose "
                "with or without fee is hereby granted the software is provided as is",
            ),
        ),
        markers=frozenset({"permission to use copy modify"}),
    ),
    _Licence(
        spdx="BSD-2-Clause",
        phrases=(_BSD_BASE,),
        excludes=("neither the name", "endorse or promote products", "advertising materials"),
        markers=_BSD_MARKER,
    ),
    _Licence(
        spdx="BSD-3-Clause",
        phrases=(
            (
                *_BSD_BASE,
                "to endorse or promote products derived from this software without specific "
                "prior written permission",
            ),
        ),
        excludes=("advertising materials", "no express or implied licenses to any party s patent"),
        markers=_BSD_MARKER,
    ),
    _Licence(
        spdx="Apache-2.0",
        phrases=(
            (
                "apache license version 2 0 january 2004",
                "terms and conditions for use reproduction and distribution",
            ),
            (
                "licensed under the apache license version 2 0 the license you may not use this "
                "file except in compliance with the license",
            ),
        ),
        markers=frozenset({"apache license"}),
        max_words=2400,
    ),
    _Licence(
        spdx="MPL-2.0",
        phrases=(
            (
                "mozilla public license version 2 0",
                "contributor means each individual or legal entity that creates contributes to "
                "the creation of or owns covered software",
            ),
        ),
        markers=frozenset({"mozilla public license", "gnu library general public license"} | _GNU),
        max_words=3200,
    ),
    _Licence(
        spdx="Unlicense",
        phrases=(("this is free and unencumbered software released into the public domain",),),
        markers=frozenset({"public domain"}),
    ),
    _Licence(
        spdx="BSL-1.0",
        phrases=(("boost software license version 1 0 august 17th 2003",),),
        markers=frozenset({"boost software license"}),
    ),
    _Licence(
        spdx="Zlib",
        phrases=(
            (
                "in no event will the authors be held liable for any damages arising from the "
                "use of this software",
                "altered source versions must be plainly marked as such and must not be "
                "misrepresented as being the original software",
            ),
        ),
    ),
    _Licence(
        spdx="CC0-1.0",
        phrases=(("creative commons", "cc0 1 0 universal", "statement of purpose"),),
        markers=frozenset({"creative commons", "public domain"}),
        max_words=1400,
    ),
)


def _matches(licence: _Licence, text: str) -> bool:
    if any(phrase in text for phrase in licence.excludes):
        return False
    return any(all(f" {phrase} " in text for phrase in group) for group in licence.phrases)


def identify_licence_text(text: str) -> str | None:
    """The SPDX identifier of a licence text, or ``None`` unless exactly one licence matches.

    Args:
        text: a licence file's content (any wrapping, comment markers or punctuation).

    Returns:
        One of :data:`KNOWN_LICENCES`' identifiers; ``None`` when none or several match, when
        the text names another licence family, or when it is much longer than the licence
        (a file bundling other texts).
    """
    normalized = f" {normalize_licence_text(text)} "
    found = [licence for licence in KNOWN_LICENCES if _matches(licence, normalized)]
    if len(found) != 1:
        return None
    licence = found[0]
    if normalized.count(" ") - 1 > licence.max_words:
        return None
    others = {marker for marker in _MARKERS if f" {marker} " in normalized} - licence.markers
    return None if others else licence.spdx
