"""Opening what a scan needs from local files: the advisory database, the ignore file, the age.

``liturgia release`` (its preflight and ``liturgia gate --release``) opens its advisories here,
the one place that chooses between OSV folders and the SQLite index, reads both halves of the
ignore file and judges the database's age; the caller names its own settings in its messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from liturgia.errors import InputError
from liturgia.vuln.database import AdvisoryDatabase, freshness_problem, load_osv_directories
from liturgia.vuln.ignore import IgnoreRule, UncheckedRule, load_ignore_file, load_unchecked_rules
from liturgia.vuln.index import open_index

__all__ = ["OpenedAdvisories", "open_advisories"]

#: What an empty or missing index needs, said with the index's own error.
_FILL_INDEX = "fill the index with `liturgia vulndb update` or `liturgia vulndb import`"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedAdvisories:
    """An advisory database with its suppressions, ready for :func:`~liturgia.vuln.scan`.

    Attributes:
        database: the advisories (OSV folders in memory, or the SQLite index).
        rules: the ignore file's ``[[ignore]]`` entries (empty without an ignore file).
        accept: the ignore file's ``[[unchecked]]`` entries (components accepted as unchecked).
        stale: why the database is too old (see :func:`~liturgia.vuln.freshness_problem`), or
            ``None`` when it is fresh enough.
    """

    database: AdvisoryDatabase
    rules: tuple[IgnoreRule, ...]
    accept: tuple[UncheckedRule, ...]
    stale: str | None


def open_advisories(
    *,
    osv: Sequence[Path] = (),
    index: Path | None = None,
    ignore: Path | None = None,
    max_age: timedelta,
    at: datetime,
    index_hint: str = "",
) -> OpenedAdvisories:
    """Open OSV folders or the SQLite index (exactly one), the ignore file, and judge the age.

    Args:
        osv: folders of OSV records (OSV schema 1.6), read into memory.
        index: the SQLite index ``liturgia vulndb`` fills (when ``osv`` is empty).
        ignore: the ignore file (TOML ``[[ignore]]``/``[[unchecked]]``), or ``None``.
        max_age: the newest advisory's greatest accepted age.
        at: now (an injectable clock).
        index_hint: the caller's setting that named the index, put before the advice of an
            index that cannot be used (e.g. ``"scan.vulndb in liturgia.toml"``).

    Raises:
        ValueError: both or neither of ``osv`` and ``index`` were given (the caller's
            configuration says which is wrong, in its own words).
        InputError: a folder, the index or the ignore file is missing, unreadable or empty, or
            an entry of the ignore file is malformed.
    """
    if bool(osv) == (index is not None):
        raise ValueError("open_advisories: give OSV folders or an index, exactly one")
    database: AdvisoryDatabase
    if index is not None:
        try:
            database = open_index(index)
        except InputError as exc:
            where = f"{index_hint}: " if index_hint else ""
            raise InputError(f"{exc} ({where}{_FILL_INDEX})") from exc
    else:
        database = load_osv_directories(osv)
    rules: tuple[IgnoreRule, ...] = ()
    accept: tuple[UncheckedRule, ...] = ()
    if ignore is not None:
        rules = load_ignore_file(ignore)
        accept = load_unchecked_rules(ignore)
    stale = freshness_problem(database.info, max_age=max_age, at=at)
    return OpenedAdvisories(database=database, rules=rules, accept=accept, stale=stale)
