"""Fetch a file with the standard library and verify its checksum before keeping it."""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from ..errors import DataError


def md5sum(path: Path) -> str:
    """Hex MD5 digest of a file, read in chunks."""
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, destination: Path, md5: str) -> Path:
    """Download ``url`` to ``destination`` unless a file with the right checksum is there.

    The download goes to a ``.part`` file that is renamed only once its checksum matches, so an
    interrupted or corrupt download never leaves a file that looks complete.
    """
    if destination.exists() and md5sum(destination) == md5:
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                out.write(chunk)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DataError(f"cannot download {url}: {exc}") from exc
    actual = md5sum(partial)
    if actual != md5:
        partial.unlink()
        raise DataError(f"checksum mismatch for {url}: expected md5 {md5}, got {actual}")
    partial.replace(destination)
    return destination
