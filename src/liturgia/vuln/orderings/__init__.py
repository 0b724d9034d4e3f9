"""Version orderings written here because no well-kept Python library implements them.

One module per ordering: :mod:`.maven` (Maven's ``ComparableVersion``), :mod:`.dpkg` (Debian
policy §5.6.12), :mod:`.apk` (Alpine's ``apk version``). Each exposes a key function whose
results compare with ``<`` and ``==`` as the ecosystem orders versions;
:mod:`liturgia.vuln.versions` wraps them as :class:`~liturgia.vuln.versions.VersionOrdering`.
"""

from __future__ import annotations
