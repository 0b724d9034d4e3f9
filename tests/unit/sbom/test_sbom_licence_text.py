"""Licences identified from licence files' text, for distributions whose metadata declares none."""

from __future__ import annotations

import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from liturgia.sbom import catalog
from liturgia.sbom._licence_text import identify_licence_text, normalize_licence_text
from liturgia.sbom.catalogers.installed import (
    licences_from_files,
    licences_from_metadata,
    parse_metadata,
)

COMMON_LICENSES = Path("/usr/share/common-licenses")  # Debian base-files: official texts

MIT = """\
MIT License

Copyright (c) 2024 Someone

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED. IN NO EVENT SHALL THE AUTHORS BE LIABLE FOR ANY CLAIM.
"""
BSD_2 = """\
Copyright (c) 2024, Someone. All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS".
"""
BSD_3 = BSD_2.replace(
    "THIS SOFTWARE",
    "3. Neither the name of the copyright holder nor the names of its contributors may be\n"
    "   used to endorse or promote products derived from this software without specific\n"
    "   prior written permission.\n\nTHIS SOFTWARE",
)
ISC_OLD = """\
Permission to use, copy, modify, and distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.
"""
ZERO_BSD = """\
Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES.
"""
UNLICENSE = "This is free and unencumbered software released into the public domain.\n"
BOOST = "Boost Software License - Version 1.0 - August 17th, 2003\n\nPermission is hereby...\n"
ZLIB = """\
This software is provided 'as-is', without any express or implied warranty. In no event
will the authors be held liable for any damages arising from the use of this software.
2. Altered source versions must be plainly marked as such, and must not be misrepresented
as being the original software.
"""
APACHE_NOTICE = """\
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
"""


def test_normalization() -> None:
    assert normalize_licence_text('  "AS IS",\n  WITHOUT -- Warranty ') == "as is without warranty"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MIT, "MIT"),
        (MIT.replace("\n", "\r\n# "), "MIT"),  # wrapping and comment markers do not matter
        (BSD_2, "BSD-2-Clause"),
        (BSD_3, "BSD-3-Clause"),
        (ISC_OLD, "ISC"),
        (ISC_OLD.replace("modify, and", "modify, and/or"), "ISC"),
        (ZERO_BSD, "0BSD"),
        (UNLICENSE, "Unlicense"),
        (BOOST, "BSL-1.0"),
        (ZLIB, "Zlib"),
        (APACHE_NOTICE, "Apache-2.0"),
        # Ambiguous or not a known licence: never guessed.
        (MIT + "\nExcept as contained in this notice, the name of X shall not...", None),  # X11
        (MIT + "\n" + BSD_3, None),  # two licences in one file
        (MIT + "\nParts are under the GNU General Public License.", None),  # another family
        (MIT + " word" * 600, None),  # far longer than the licence: bundles something
        (
            BSD_3.replace(
                "1. Redistributions", "All advertising materials ...\n1. Redistributions"
            ),
            None,
        ),
        ("All rights reserved. Proprietary.", None),
        ("", None),
    ],
)
def test_identify_licence_text(text: str, expected: str | None) -> None:
    assert identify_licence_text(text) == expected


def test_official_texts_from_debian() -> None:
    """Debian's copies of the official texts: known ones identified, GPL family left alone."""
    assert identify_licence_text((COMMON_LICENSES / "Apache-2.0").read_text()) == "Apache-2.0"
    assert identify_licence_text((COMMON_LICENSES / "MPL-2.0").read_text()) == "MPL-2.0"
    assert identify_licence_text((COMMON_LICENSES / "CC0-1.0").read_text()) == "CC0-1.0"
    assert identify_licence_text((COMMON_LICENSES / "BSD").read_text()) == "BSD-3-Clause"
    # The GPL texts do not say "only" or "or later": two SPDX identifiers, so neither.
    for name in ("GPL-2", "GPL-3", "LGPL-2.1", "LGPL-3", "MPL-1.1", "Artistic"):
        assert identify_licence_text((COMMON_LICENSES / name).read_text()) is None, name


def dist(site: Path, folder: str, metadata: str, files: dict[str, str | bytes]) -> Path:
    directory = site / folder
    directory.mkdir(parents=True)
    (directory / "METADATA").write_text(textwrap.dedent(metadata).lstrip())
    for name, content in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return directory


def test_installed_distributions_without_declared_licence(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    head = "Metadata-Version: 2.4\nName: {0}\nVersion: 1.0\n"
    apache = (COMMON_LICENSES / "Apache-2.0").read_text()
    dist(
        site,
        "a-1.0.dist-info",
        head.format("a") + "License-File: LICENSE\n",
        {"licenses/LICENSE": MIT},
    )
    dist(site, "b-1.0.dist-info", head.format("b"), {"LICENSE.txt": apache, "RECORD": ""})
    dist(site, "c-1.0.dist-info", head.format("c"), {"LICENSE": MIT, "COPYING": BSD_3})
    dist(
        site,
        "d-1.0.dist-info",
        head.format("d") + "License: " + BSD_2.replace("\n", " ") + "\n",
        {},
    )
    dist(
        site,
        "e-1.0.dist-info",
        head.format("e") + "License-File: ../../x/LICENSE\n",
        {"LICENSE": MIT},
    )
    dist(site, "f-1.0.dist-info", head.format("f"), {"LICENSE": MIT + " " * 300_000})
    dist(site, "g-1.0.dist-info", head.format("g") + "License-File: LICENSE\n", {})
    dist(
        site, "h-1.0.dist-info", head.format("h") + "License-Expression: MIT\n", {"LICENSE": apache}
    )
    many = {f"licenses/LICENSE-{i}": MIT for i in range(17)}
    dist(site, "i-1.0.dist-info", head.format("i"), many)
    dist(
        site,
        "j-1.0.dist-info",
        head.format("j") + "License-File: COPYING\n",
        {"COPYING": MIT, "LICENSE-vendored": BSD_3},
    )  # declared files only
    dist(site, "k-1.0.dist-info", head.format("k"), {"LICENSE": b"\xff\xfe" + ISC_OLD.encode()})
    found = {c.name: c.licenses for c in catalog([site]).components}
    assert found == {
        "a": ("MIT",),  # PEP 639: License-File under .dist-info/licenses/
        "b": ("Apache-2.0",),  # no License-File: the folder's LICENSE* files
        "c": (),  # two licences: AND or OR cannot be told
        "d": ("BSD-2-Clause",),  # the full text pasted into License
        "e": (),  # a License-File outside the folder is refused
        "f": (),  # larger than any licence
        "g": (),  # declared but absent
        "h": ("MIT",),  # metadata first: files are read only when it says nothing
        "i": (),  # too many files
        "j": ("MIT",),
        "k": ("ISC",),  # undecodable bytes replaced, the text still reads
    }


def test_no_folder_no_files(tmp_path: Path) -> None:
    message = parse_metadata(b"Metadata-Version: 2.1\nName: x\nVersion: 1\n")
    assert licences_from_files(tmp_path / "absent.dist-info", message) == ()


def test_real_environments_never_contradict_their_metadata() -> None:
    """On every distribution of this venv and Debian's dist-packages that declares a licence,
    the licence files, when identified, name that licence (or refine ``BSD License`` /
    ``Apache Software License`` classifiers): the matcher is checked on real files."""
    roots = [Path(sys.prefix) / "lib", Path("/usr/lib/python3/dist-packages")]
    outcome: Counter[str] = Counter()
    for root in roots:
        for metadata in root.rglob("*.dist-info/METADATA"):
            message = parse_metadata(metadata.read_bytes())
            declared = " ".join(licences_from_metadata(message))
            identified = licences_from_files(metadata.parent, message)
            if not identified or not declared:
                outcome["unidentified" if declared else "undeclared"] += 1
                continue
            spdx = identified[0]
            refines = (spdx.startswith("BSD-") and "BSD" in declared) or (
                spdx == "Apache-2.0" and "Apache" in declared
            )
            assert spdx in declared or refines, (metadata, spdx, declared)
            outcome["agree"] += 1
    assert outcome["agree"] >= 30, outcome
