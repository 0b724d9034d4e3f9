"""Build container images here, without a registry: layers from files, packed as an OCI image
layout folder (OCI image spec v1.1 "image-layout.md") or a ``docker save`` tarball.

A layer is a mapping of path -> bytes (a regular file), ``Link(target)`` (a symlink), or
``WHITEOUT`` (delete the path from the layers below: a ``.wh.<name>`` entry) or ``OPAQUE`` on a
folder (``.wh..wh..opq``: hide what the layers below put there).

``debian_rootfs_layers`` turns ``.deb`` archives (``apt-get download``) into layers: each package's
files (``dpkg-deb -x``) plus ``var/lib/dpkg/status`` listing every package so far (its control
fields from ``dpkg-deb -f`` and ``Status: install ok installed``), one layer per package.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

WHITEOUT = object()
OPAQUE = object()


@dataclass(frozen=True)
class Link:
    """A symbolic link to ``target``."""

    target: str


Layer = dict[str, object]


def layer_tar(layer: Layer) -> bytes:
    """The uncompressed tar of one layer (sorted paths, fixed times: reproducible)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        folders: set[str] = set()
        for path in sorted(layer):
            parts = path.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                folder = "/".join(parts[:depth])
                if folder not in folders:
                    folders.add(folder)
                    info = tarfile.TarInfo(folder)
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
            value = layer[path]
            name = path.rsplit("/", 1)
            if value is WHITEOUT:
                info = tarfile.TarInfo("/".join([*name[:-1], ".wh." + name[-1]]))
                tar.addfile(info, io.BytesIO(b""))
            elif value is OPAQUE:
                tar.addfile(tarfile.TarInfo(f"{path}/.wh..wh..opq"), io.BytesIO(b""))
            elif isinstance(value, Link):
                info = tarfile.TarInfo(path)
                info.type, info.linkname = tarfile.SYMTYPE, value.target
                tar.addfile(info)
            else:
                assert isinstance(value, bytes)
                info = tarfile.TarInfo(path)
                info.size, info.mode = len(value), 0o644
                tar.addfile(info, io.BytesIO(value))
    return buffer.getvalue()


def _blob(folder: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    (folder / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (folder / "blobs" / "sha256" / digest).write_bytes(data)
    return f"sha256:{digest}"


def oci_layout(folder: Path, layers: list[Layer]) -> list[str]:
    """Write an OCI image layout (gzip layers); return the layer digests in order."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    tars = [layer_tar(layer) for layer in layers]
    compressed = [gzip.compress(t, mtime=0) for t in tars]
    digests = [_blob(folder, data) for data in compressed]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers",
                       "diff_ids": [f"sha256:{hashlib.sha256(t).hexdigest()}" for t in tars]},
        }
    ).encode()  # fmt: skip
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": _blob(folder, config), "size": len(config)},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d,
                 "size": len(c)}
                for d, c in zip(digests, compressed, strict=True)
            ],
        }
    ).encode()  # fmt: skip
    index = {
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": _blob(folder, manifest), "size": len(manifest)}],
    }  # fmt: skip
    (folder / "index.json").write_text(json.dumps(index))
    return digests


def docker_save(path: Path, layers: list[Layer]) -> list[str]:
    """Write a ``docker save``-style tarball; return the layers' sha256 digests in order."""
    tars = [layer_tar(layer) for layer in layers]
    digests = [hashlib.sha256(t).hexdigest() for t in tars]
    with tarfile.open(path, "w") as out:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))

        for digest, data in zip(digests, tars, strict=True):
            add(f"{digest}/layer.tar", data)
        add("config.json", b"{}")
        manifest = [{"Config": "config.json", "RepoTags": ["test:latest"],
                     "Layers": [f"{d}/layer.tar" for d in digests]}]  # fmt: skip
        add("manifest.json", json.dumps(manifest).encode())
    return [f"sha256:{d}" for d in digests]


def debian_rootfs_layers(debs: list[Path], work: Path) -> list[Layer]:
    """One layer per ``.deb``: its files and the dpkg status database so far."""
    layers: list[Layer] = []
    status: list[str] = []
    for number, deb in enumerate(debs):
        tree = work / f"deb{number}"
        tree.mkdir(parents=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
        control = subprocess.run(
            ["dpkg-deb", "-f", str(deb)], check=True, capture_output=True, text=True
        ).stdout.strip()
        paragraph = control.replace("\nVersion:", "\nStatus: install ok installed\nVersion:", 1)
        status.append(paragraph)
        layer: Layer = {}
        for file in sorted(tree.rglob("*")):
            relative = file.relative_to(tree).as_posix()
            if file.is_symlink():
                layer[relative] = Link(str(file.readlink()))
            elif file.is_file():
                layer[relative] = file.read_bytes()
        layer["var/lib/dpkg/status"] = ("\n\n".join(status) + "\n").encode()
        layers.append(layer)
    return layers
