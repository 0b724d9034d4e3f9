"""Online advisory sources behind the :class:`AdvisoryDatabase` interface.

Each source answers with OSV-shaped advisories that the scanner matches locally, exactly as it
matches the offline index; answers are cached on disk with an expiry (:class:`CachedClient`).
A source that cannot answer raises for the packages it was asked about (the scanner lists them as
not checked): never an empty answer.

* **OSV API** (osv.dev API v1): ``POST /v1/querybatch`` with one query per (package, version)
  returns the ids of the affecting vulnerabilities (paged by ``next_page_token``); each id is
  then fetched in full with ``GET /v1/vulns/{id}``.
* **PyPI JSON API** (Warehouse "JSON API"): ``GET /pypi/{name}/{version}/json`` lists the
  ``vulnerabilities`` of that release (``id``, ``aliases``, ``summary``/``details``,
  ``fixed_in``, ``withdrawn``). The answer concerns that version only, so each becomes an
  advisory whose ``versions`` list names it, with a range ending at the smallest ``fixed_in``.
* **npm registry bulk advisories** (``POST /-/npm/v1/security/advisories/bulk`` with
  ``{name: [versions]}``): each advisory carries ``vulnerable_versions``, an npm range (``||``
  alternatives of space-separated comparators, hyphen ranges, ``x`` wildcards; a bare version
  means exactly that version), converted to OSV ``SEMVER`` ranges.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Sequence
from typing import Any

from liturgia.errors import AdvisorySourceError
from liturgia.vuln.advisory import Advisory, AffectedPackage, parse_osv_record
from liturgia.vuln.database import AdvisoryDatabase, DatabaseInfo
from liturgia.vuln.ecosystems import PackageKey
from liturgia.vuln.http import CachedClient, check_base_url
from liturgia.vuln.rustsec import Interval, affected_ranges, requirement_interval

__all__ = ["NpmBulkDatabase", "OsvApiDatabase", "PyPIJsonDatabase", "npm_range_intervals"]

OSV_API = "https://api.osv.dev"
PYPI_API = "https://pypi.org"
NPM_REGISTRY = "https://registry.npmjs.org"


def _decode(client: CachedClient, url: str, data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise AdvisorySourceError(f"{client.source}: {url}: answer is not JSON: {exc}") from exc


class _Online(AdvisoryDatabase):
    """Shared plumbing: prepared queries, per-key answers, declared ecosystems."""

    kind = "online"

    def __init__(self, client: CachedClient, *, base_url: str, ecosystems: Sequence[str]) -> None:
        """Use ``client`` against ``base_url``.

        Raises:
            ConfigError: ``base_url`` is not an http(s) URL with a host.
        """
        super().__init__()
        self._client = client
        self._base = check_base_url(base_url, what=f"{client.source} URL")
        self._ecosystems = tuple(ecosystems)
        self._versions: dict[PackageKey, set[str]] = {}
        self._answers: dict[PackageKey, list[Advisory]] = {}

    @property
    def info(self) -> DatabaseInfo:
        """The service URL and the ecosystems it serves (no record count: it is remote)."""
        return DatabaseInfo(
            source=self._base,
            kind=self.kind,
            record_count=0,
            ecosystems=tuple((e, 0) for e in self._ecosystems),
        )

    @property
    def warnings(self) -> tuple[str, ...]:
        """Online sources report problems as errors, not warnings."""
        return ()

    def covers(self, ecosystem: str) -> bool:
        """Whether the service serves ``ecosystem`` (the OSV API serves every one)."""
        return not self._ecosystems or ecosystem in self._ecosystems

    def _remember(self, queries: Sequence[tuple[PackageKey, str]]) -> list[tuple[PackageKey, str]]:
        wanted: list[tuple[PackageKey, str]] = []
        for key, version in queries:
            if self.covers(key.ecosystem) and version not in self._versions.get(key, set()):
                self._versions.setdefault(key, set()).add(version)
                wanted.append((key, version))
        return wanted

    def _advisories_for(self, key: PackageKey) -> Sequence[Advisory]:
        if key not in self._answers:
            raise AdvisorySourceError(
                f"{self._client.source}: {key.ecosystem}/{key.name} was not queried"
            )
        return self._answers[key]


class OsvApiDatabase(_Online):
    """osv.dev's API v1: querybatch for ids, then each vulnerability in full."""

    kind = "osv-api"

    def __init__(self, client: CachedClient, *, base_url: str = OSV_API) -> None:
        """Use ``client`` against ``base_url``."""
        super().__init__(client, base_url=base_url, ecosystems=())
        self._records: dict[str, Advisory] = {}

    def _query(self, key: PackageKey, version: str, token: str | None) -> dict[str, Any]:
        query: dict[str, Any] = {
            "package": {"name": key.name, "ecosystem": key.ecosystem},
            "version": version,
        }
        if token:
            query["page_token"] = token
        return query

    def _record(self, ident: str) -> Advisory:
        if ident not in self._records:
            url = f"{self._base}/v1/vulns/{urllib.parse.quote(ident)}"
            data = self._client.request("GET", url)
            if not data:
                raise AdvisorySourceError(f"{self._client.source}: {url}: unknown id {ident}")
            try:
                self._records[ident] = parse_osv_record(
                    _decode(self._client, url, data), source=url
                )
            except ValueError as exc:
                raise AdvisorySourceError(f"{self._client.source}: {url}: {exc}") from exc
        return self._records[ident]

    def _result(self, result: object, where: str) -> tuple[list[str], str | None]:
        """The vulnerability ids and next page token of one querybatch result."""
        vulns = result.get("vulns") if isinstance(result, dict) else None
        token = result.get("next_page_token") if isinstance(result, dict) else None
        vulns = [] if vulns is None else vulns
        if (
            not isinstance(result, dict)
            or not isinstance(vulns, list)
            or not all(isinstance(v, dict) and isinstance(v.get("id"), str) for v in vulns)
            or not isinstance(token, str | None)
        ):
            raise AdvisorySourceError(
                f"{self._client.source}: {where}: not a querybatch result "
                "({'vulns': [{'id': ...}], 'next_page_token': ...})"
            )
        return [str(v["id"]) for v in vulns], token

    def prepare(self, queries: Sequence[tuple[PackageKey, str]]) -> None:
        """Ask querybatch about every (package, version), following page tokens.

        Raises:
            AdvisorySourceError, NetworkError: the API cannot answer (names the URL).
        """
        pending: list[tuple[PackageKey, str, str | None]] = [
            (key, version, None) for key, version in self._remember(queries)
        ]
        url = f"{self._base}/v1/querybatch"
        ids: dict[PackageKey, set[str]] = {}
        while pending:
            chunk, pending = pending[:1000], pending[1000:]
            body = {"queries": [self._query(k, v, t) for k, v, t in chunk]}
            answer = _decode(self._client, url, self._client.request("POST", url, body))
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list) or len(results) != len(chunk):
                raise AdvisorySourceError(
                    f"{self._client.source}: {url}: expected {len(chunk)} results"
                )
            for index, ((key, version, _token), result) in enumerate(
                zip(chunk, results, strict=True)
            ):
                new_ids, token = self._result(result or {}, f"{url}: results[{index}]")
                ids.setdefault(key, set()).update(new_ids)
                if token:
                    pending.append((key, version, token))
        for key, found in ids.items():
            self._answers[key] = [self._record(ident) for ident in sorted(found)]


class PyPIJsonDatabase(_Online):
    """The PyPI JSON API's per-release ``vulnerabilities``."""

    kind = "pypi-json"

    def __init__(self, client: CachedClient, *, base_url: str = PYPI_API) -> None:
        """Use ``client`` against ``base_url``."""
        super().__init__(client, base_url=base_url, ecosystems=("PyPI",))

    def _release(self, key: PackageKey, version: str) -> list[Advisory]:
        url = f"{self._base}/pypi/{urllib.parse.quote(key.name)}/{urllib.parse.quote(version)}/json"
        data = self._client.request("GET", url)
        if not data:  # 404: a release PyPI does not know has no advisories there
            return []
        answer = _decode(self._client, url, data)
        vulns = answer.get("vulnerabilities") if isinstance(answer, dict) else None
        if not isinstance(vulns, list):
            raise AdvisorySourceError(f"{self._client.source}: {url}: no 'vulnerabilities' list")
        advisories: list[Advisory] = []
        for vuln in vulns:
            if not isinstance(vuln, dict) or not isinstance(vuln.get("id"), str):
                raise AdvisorySourceError(f"{self._client.source}: {url}: malformed entry")
            if vuln.get("withdrawn"):
                continue
            fixed_in = vuln.get("fixed_in") or []
            if not isinstance(fixed_in, list):
                raise AdvisorySourceError(
                    f"{self._client.source}: {url}: {vuln['id']}: 'fixed_in' is not a list"
                )
            fixed = [f for f in fixed_in if isinstance(f, str)]
            events = [{"introduced": version}]
            newer = sorted(fixed, key=_pep440_or_text)
            later = [f for f in newer if _pep440_or_text(f) > _pep440_or_text(version)]
            if later:
                events.append({"fixed": later[0]})
            record = {
                "id": vuln["id"],
                "aliases": vuln.get("aliases") or [],
                "summary": vuln.get("summary") or "",
                "details": vuln.get("details") or "",
                "modified": "",
                "references": [{"type": "ADVISORY", "url": vuln["link"]}]
                if isinstance(vuln.get("link"), str)
                else [],
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": key.name},
                        "ranges": [{"type": "ECOSYSTEM", "events": events}],
                        "versions": [version],
                    }
                ],
            }
            try:
                advisories.append(parse_osv_record(record, source=url))
            except ValueError as exc:
                raise AdvisorySourceError(f"{self._client.source}: {url}: {exc}") from exc
        return advisories

    def prepare(self, queries: Sequence[tuple[PackageKey, str]]) -> None:
        """Fetch each queried release's vulnerabilities.

        Raises:
            AdvisorySourceError, NetworkError: the API cannot answer (names the URL).
        """
        for key, version in self._remember(queries):
            found = {a.id: a for a in self._answers.get(key, [])}
            found.update((a.id, a) for a in self._release(key, version))
            self._answers[key] = list(found.values())


def _pep440_or_text(version: str) -> Any:
    from liturgia.vuln.versions import ordering_for  # noqa: PLC0415 - tiny helper

    try:
        return (1, ordering_for("PyPI").key(version), "")
    except ValueError:
        return (0, None, version)


_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")
_OPERATOR_SPACE = re.compile(r"(>=|<=|>|<|=|\^|~)\s+")


def npm_range_intervals(text: str) -> list[Interval]:
    """Convert an npm semver range (node-semver grammar) to SemVer intervals.

    ``||`` separates alternatives; within one, space-separated comparators all apply;
    ``a - b`` is ``>=a <=b``; ``*``/``x`` wildcards and ``^``/``~`` follow node-semver (which
    agrees with Cargo for these); a bare full version means exactly that version.

    Raises:
        ValueError: a comparator is not valid.
    """
    intervals: list[Interval] = []
    for alternative in text.split("||"):
        part = alternative.strip()
        hyphen = _HYPHEN.match(part)
        if hyphen:
            part = f">={hyphen[1]} <={hyphen[2]}"
        part = _OPERATOR_SPACE.sub(r"\1", part)
        comparators = []
        for token in part.split() or ["*"]:
            bare = re.fullmatch(r"v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)", token)
            comparators.append(f"={bare[1]}" if bare else token.lstrip("v"))
        intervals.append(requirement_interval(", ".join(comparators)))
    return intervals


class NpmBulkDatabase(_Online):
    """The npm registry's bulk advisory endpoint."""

    kind = "npm-bulk"

    def __init__(self, client: CachedClient, *, base_url: str = NPM_REGISTRY) -> None:
        """Use ``client`` against ``base_url``."""
        super().__init__(client, base_url=base_url, ecosystems=("npm",))

    def _advisory(self, name: str, item: dict[str, Any], url: str) -> Advisory:
        raw_link = item.get("url")
        link = raw_link if isinstance(raw_link, str) else ""
        ghsa = link.rstrip("/").rsplit("/", 1)[-1] if "GHSA-" in link else ""
        ident = ghsa or f"NPM-{item.get('id')}"
        try:
            ranges = affected_ranges(npm_range_intervals(str(item["vulnerable_versions"])))
        except (KeyError, ValueError) as exc:
            raise AdvisorySourceError(
                f"{self._client.source}: {url}: {name}: bad vulnerable_versions: {exc}"
            ) from exc
        cvss = item.get("cvss") if isinstance(item.get("cvss"), dict) else {}
        vector = cvss.get("vectorString") if cvss else None
        return Advisory(
            id=ident,
            aliases=(f"NPM-{item['id']}",) if ghsa and item.get("id") is not None else (),
            summary=str(item.get("title") or ""),
            severity=(("CVSS_V3", vector),) if isinstance(vector, str) else (),
            database_severity=str(item["severity"]) if item.get("severity") else None,
            affected=(AffectedPackage(ecosystem="npm", name=name, ranges=ranges),),
            references=(link,) if link else (),
            source=url,
        )

    def prepare(self, queries: Sequence[tuple[PackageKey, str]]) -> None:
        """Send the queried versions per package to the bulk endpoint (in chunks of 100).

        Raises:
            AdvisorySourceError, NetworkError: the registry cannot answer (names the URL).
        """
        wanted: dict[PackageKey, list[str]] = {}
        for key, version in self._remember(queries):
            wanted.setdefault(key, []).append(version)
        url = f"{self._base}/-/npm/v1/security/advisories/bulk"
        keys = sorted(wanted, key=lambda k: k.name)
        for start in range(0, len(keys), 100):
            chunk = keys[start : start + 100]
            body = {key.name: sorted(wanted[key]) for key in chunk}
            answer = _decode(self._client, url, self._client.request("POST", url, body))
            if not isinstance(answer, dict):
                raise AdvisorySourceError(f"{self._client.source}: {url}: expected an object")
            for key in chunk:
                items = answer.get(key.name) or []
                if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                    raise AdvisorySourceError(
                        f"{self._client.source}: {url}: {key.name}: expected a list of advisories"
                    )
                found = {a.id: a for a in self._answers.get(key, [])}
                for item in items:
                    advisory = self._advisory(key.name, item, url)
                    found[advisory.id] = advisory
                self._answers[key] = list(found.values())
