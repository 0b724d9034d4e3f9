"""Container images as scan inputs: an OCI image layout folder, or a ``docker save`` tarball.

Formats: the OCI Image Layout (``oci-layout``, ``index.json``, ``blobs/<alg>/<hex>``; OCI image
spec v1.1 "image-layout.md"), as a folder or a tar of one, and Docker's ``docker save`` tarball
(``manifest.json`` listing each image's ``Layers`` paths). The first image is read: its
manifest's layers are applied in order to an empty root file system in a temporary folder (OCI
image spec "layer.md"): a ``.wh.<name>`` entry deletes ``<name>`` from the layers below, a
``.wh..wh..opq`` entry empties its folder first, links are recreated without being followed (an
absolute symlink target is made relative to the image root, so nothing resolves on the host),
devices and members escaping the root are skipped. The root is then cataloged like any folder:
Debian and Alpine package databases and the language packages in it.

Each component records the layer it came from in ``found_in``:
``<image>!/<layer digest>/<path>``. For an OS package that is the first layer whose package
database lists it (at that version); for anything else the layer that last wrote its file.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from liturgia.errors import InputError
from liturgia.model import Component, Inventory
from liturgia.sbom.cataloger import Cataloger
from liturgia.sbom.catalogers.os_packages import ApkInstalledCataloger, DpkgStatusCataloger

__all__ = ["catalog_image", "is_image"]

_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"
_OS_CATALOGERS: tuple[Cataloger, ...] = (DpkgStatusCataloger(), ApkInstalledCataloger())


@dataclass(frozen=True, slots=True, kw_only=True)
class _Layer:
    digest: str
    open: Callable[[], IO[bytes]]


def is_image(path: Path) -> bool:
    """Whether ``path`` is an OCI layout folder or a tar holding an image (by its index files)."""
    if path.is_dir():
        return (path / "oci-layout").is_file() and (path / "index.json").is_file()
    if not path.is_file() or not tarfile.is_tarfile(path):
        return False
    try:
        with tarfile.open(path) as archive:
            names = {posixpath.normpath(n) for n in archive.getnames()[:10_000]}
    except (tarfile.TarError, OSError):
        return False
    return "manifest.json" in names or {"oci-layout", "index.json"} <= names


def _json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{where}: not valid JSON: {exc}") from exc


def _blob_name(digest: str, where: str) -> str:
    algorithm, _colon, hexdigest = digest.partition(":")
    if not algorithm.isalnum() or not hexdigest.isalnum():
        raise InputError(f"{where}: invalid digest {digest!r}")
    return f"blobs/{algorithm}/{hexdigest}"


def _oci_layers(read: Callable[[str], bytes], where: str) -> list[tuple[str, str]]:
    """(digest, blob name) of the first image's layers, from an OCI layout's ``index.json``."""
    index = _json(read("index.json"), f"{where}: index.json")
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not manifests:
        raise InputError(f"{where}: index.json lists no image manifest")
    descriptor = manifests[0]
    for _depth in range(4):  # an index may point to a nested index (multi-platform)
        blob = _json(read(_blob_name(descriptor["digest"], where)), f"{where}: manifest")
        if "layers" in blob:
            return [
                (layer["digest"], _blob_name(layer["digest"], where)) for layer in blob["layers"]
            ]
        if not blob.get("manifests"):
            break
        descriptor = blob["manifests"][0]
    raise InputError(f"{where}: the index leads to no image manifest with layers")


@contextmanager
def _layers(path: Path) -> Iterator[list[_Layer]]:
    """The layers of the image at ``path``, in order, each opened on demand."""
    where = path.name
    if path.is_dir():

        def read_dir(name: str) -> bytes:
            try:
                return (path / name).read_bytes()
            except OSError as exc:
                raise InputError(f"{where}: cannot read {name}: {exc.strerror or exc}") from exc

        def file_opener(name: str) -> Callable[[], IO[bytes]]:
            return lambda: (path / name).open("rb")

        found = _oci_layers(read_dir, where)
        yield [_Layer(digest=digest, open=file_opener(name)) for digest, name in found]
        return
    with tarfile.open(path) as archive:
        members = {posixpath.normpath(m.name): m for m in archive.getmembers() if m.isfile()}

        def read_tar(name: str) -> bytes:
            member = members.get(posixpath.normpath(name))
            handle = archive.extractfile(member) if member is not None else None
            if handle is None:
                raise InputError(f"{where}: no {name} in the image archive")
            return handle.read()

        def opener(name: str) -> Callable[[], IO[bytes]]:
            def open_member() -> IO[bytes]:
                member = members.get(posixpath.normpath(name))
                handle = archive.extractfile(member) if member is not None else None
                if handle is None:
                    raise InputError(f"{where}: no layer {name} in the image archive")
                return handle

            return open_member

        if "manifest.json" in members:
            manifest = _json(read_tar("manifest.json"), f"{where}: manifest.json")
            if not isinstance(manifest, list) or not manifest or "Layers" not in manifest[0]:
                raise InputError(f"{where}: manifest.json lists no image with Layers")
            layers = []
            for name in manifest[0]["Layers"]:
                digest = hashlib.sha256()
                with opener(name)() as handle:
                    while chunk := handle.read(1 << 20):
                        digest.update(chunk)
                layers.append(_Layer(digest=f"sha256:{digest.hexdigest()}", open=opener(name)))
            yield layers
        else:
            yield [
                _Layer(digest=digest, open=opener(name))
                for digest, name in _oci_layers(read_tar, where)
            ]


def _inside(root: Path, relative: str) -> Path | None:
    """``root/relative`` when ``relative`` stays inside ``root``, else ``None``."""
    normal = posixpath.normpath("/" + relative).lstrip("/")
    if not normal or normal.startswith(".."):
        return None
    return root / normal


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _apply(root: Path, layer: IO[bytes], digest: str, writers: dict[str, str]) -> set[str]:
    """Apply one layer tar to ``root``; return the relative paths it wrote or deleted."""
    touched: set[str] = set()
    try:
        stream = tarfile.open(fileobj=layer, mode="r|*")  # noqa: SIM115 - closed by the with below
    except tarfile.TarError as exc:
        raise InputError(f"layer {digest}: not a (compressed) tar: {exc}") from exc
    with stream:
        for member in stream:
            target = _inside(root, member.name)
            if target is None:
                continue
            relative = target.relative_to(root).as_posix()
            name = target.name
            if name == _OPAQUE:
                for child in list(target.parent.iterdir()) if target.parent.is_dir() else []:
                    _remove(child)
                continue
            if name.startswith(_WHITEOUT):
                gone = target.with_name(name[len(_WHITEOUT) :])
                _remove(gone)
                touched.add(gone.relative_to(root).as_posix())
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or (target.exists() and not member.isdir()):
                _remove(target)
            if member.isdir():
                target.mkdir(exist_ok=True)
            elif member.isfile():
                source = stream.extractfile(member)
                if source is None:  # pragma: no cover - regular members always have data
                    continue
                with target.open("wb") as out:
                    shutil.copyfileobj(source, out)
                target.chmod(0o644 | (member.mode & 0o111))
                writers[relative] = digest
                touched.add(relative)
            elif member.issym():
                link = member.linkname
                if link.startswith("/"):
                    # Resolve inside the image, never on the host.
                    link = os.path.relpath(root / link.lstrip("/"), target.parent)
                target.symlink_to(link)
                touched.add(relative)
            elif member.islnk():
                source_path = _inside(root, member.linkname)
                if source_path is not None and source_path.is_file():
                    shutil.copyfile(source_path, target)
                    writers[relative] = digest
                    touched.add(relative)
            # Devices and FIFOs are not packages: skipped.
    return touched


def _os_attribution(root: Path, touched: set[str], layer: str, seen: dict[str, str]) -> None:
    """Attribute OS packages first listed by this layer's package databases to it."""
    for relative in sorted(touched):
        path = root / relative
        cataloger = next((c for c in _OS_CATALOGERS if c.claims(path)), None)
        if cataloger is None or not path.is_file():
            continue
        try:
            result = cataloger.catalog(path, found_in=relative)
        except InputError:
            continue
        for component in result.components:
            seen.setdefault(component.ref, layer)


def catalog_image(
    path: Path, *, catalog_root: Callable[[Path], Inventory], found_in: str
) -> Inventory:
    """Catalog a container image: apply its layers, catalog the root, record each layer.

    Args:
        path: an OCI layout folder, an OCI layout tar, or a ``docker save`` tarball.
        catalog_root: catalogs a root file system folder (``liturgia.sbom.catalog``).
        found_in: how the image is named in ``found_in`` (relative to the scan root).

    Returns:
        The inventory of the image's root file system, ``found_in`` of each component
        ``<image>!/<layer digest>/<path>``.

    Raises:
        InputError: the image is malformed (names the file and the reason).
    """
    with tempfile.TemporaryDirectory(prefix="liturgia-image-") as folder:
        root = Path(folder) / "rootfs"
        root.mkdir()
        writers: dict[str, str] = {}
        os_layers: dict[str, str] = {}
        try:
            with _layers(path) as layers:
                if not layers:
                    raise InputError(f"{found_in}: the image has no layers")
                for layer in layers:
                    with layer.open() as handle:
                        touched = _apply(root, handle, layer.digest, writers)
                    _os_attribution(root, touched, layer.digest, os_layers)
        except (tarfile.TarError, OSError, KeyError, TypeError) as exc:
            raise InputError(f"{found_in}: unreadable image: {exc}") from exc
        inventory = catalog_root(root)

    def locate(component: Component) -> Component:
        where = component.found_in or ""
        layer = os_layers.get(component.ref) or writers.get(where, "unknown-layer")
        return replace(component, found_in=f"{found_in}!/{layer}/{where}")

    return Inventory(
        root=inventory.root,
        components=tuple(locate(c) for c in inventory.components),
        dependencies=inventory.dependencies,
        warnings=tuple(f"{found_in}: {w}" for w in inventory.warnings),
    )
