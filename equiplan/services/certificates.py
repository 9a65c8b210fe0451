"""Calibration certificate files: checked, stored under a random name, found again for download.

Files live in `CERTIFICATE_DIR` (default `<instance>/certificates`), outside the web root, so
the only way to one is the download route, which checks the user's scope first. A file is
named by `secrets.token_hex`, never by the user's file name; the original name is kept in the
database for the download. Only PDF, PNG and JPEG are accepted, recognised by their first bytes
(the file name and the browser's content type are the sender's claims, not facts).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from flask_babel import lazy_gettext as _l

MEGABYTE = 1024 * 1024
MAX_FILENAME_LENGTH = 255


@dataclass(frozen=True)
class FileKind:
    mimetype: str
    extension: str  # of the stored file, and added to a download name that lacks it
    extensions: tuple[str, ...]  # names the original file may have kept as they are
    magic: tuple[bytes, ...]


FILE_KINDS = (
    FileKind("application/pdf", ".pdf", (".pdf",), (b"%PDF-",)),
    FileKind("image/png", ".png", (".png",), (b"\x89PNG\r\n\x1a\n",)),
    FileKind("image/jpeg", ".jpg", (".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
)
_BY_EXTENSION = {kind.extension: kind for kind in FILE_KINDS}
# What a stored name looks like; anything else in the database is refused, never opened.
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg)$")


@dataclass(frozen=True)
class CertificateUpload:
    """A certificate file as received: the name the user gave it and its bytes.

    Read at most `CertificateStore.max_bytes + 1` bytes from the upload stream, so that a too
    large file is recognised without holding all of it in memory.
    """

    filename: str
    data: bytes


@dataclass(frozen=True)
class CertificateStore:
    """Where certificate files are kept and how large one may be."""

    directory: Path
    max_bytes: int

    @property
    def max_megabytes(self) -> int:
        return max(1, self.max_bytes // MEGABYTE)

    def path_of(self, stored_name: str) -> Path:
        """The file of a stored name (which must look like one we made)."""
        if not _STORED_NAME.match(stored_name):
            raise ValueError(f"not a stored certificate name: {stored_name!r}")
        return self.directory / stored_name

    def save(self, data: bytes, kind: FileKind) -> str:
        """Write `data` under a new random name and return the name.

        The bytes go to a temporary file first and are renamed into place when complete, so
        a half-written file never carries a stored name. The caller deletes the file with
        `discard` when its transaction fails.
        """
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = secrets.token_hex(16) + kind.extension
        partial = self.directory / f".{name}.part"
        # O_EXCL: never write into a file that already exists under that name.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, self.directory / name)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
        return name

    def discard(self, stored_name: str) -> None:
        """Delete a stored file (after a failed transaction); a missing one is fine."""
        with contextlib.suppress(FileNotFoundError):
            self.path_of(stored_name).unlink()


def store_from_config(config: Mapping[str, Any]) -> CertificateStore:
    """The store an app is configured with (`CERTIFICATE_DIR`, `UPLOAD_MAX_MB`)."""
    return CertificateStore(
        directory=Path(config["CERTIFICATE_DIR"]),
        max_bytes=int(config["UPLOAD_MAX_MB"]) * MEGABYTE,
    )


def sniff(data: bytes) -> FileKind | None:
    """The kind of file by its first bytes: PDF, PNG or JPEG, or None for anything else."""
    for kind in FILE_KINDS:
        if any(data.startswith(magic) for magic in kind.magic):
            return kind
    return None


def kind_of_stored(stored_name: str) -> FileKind:
    """The kind of a stored file, from the extension we gave it."""
    return _BY_EXTENSION[PurePosixPath(stored_name).suffix]


def check_upload(upload: CertificateUpload, store: CertificateStore) -> tuple[FileKind | None, str]:
    """The upload's kind, or None and a message saying what is wrong with it."""
    if not upload.data:
        return None, str(_l("The certificate file is empty."))
    if len(upload.data) > store.max_bytes:
        return None, str(
            _l(
                "The certificate file is too large: at most %(n)d MB is accepted.",
                n=store.max_megabytes,
            )
        )
    kind = sniff(upload.data)
    if kind is None:
        return None, str(_l("The certificate must be a PDF, PNG or JPEG file."))
    return kind, ""


def download_name(filename: str, kind: FileKind) -> str:
    """A safe name to offer the file under: the user's own name without any folder, control
    characters or path tricks, ending in the extension of what the file really is."""
    # Browsers send a bare name, but old ones sent the full path of the user's computer.
    name = PureWindowsPath(PurePosixPath(filename).name).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '"\\/')
    name = name.strip().strip(".").strip()
    stem, _dot, suffix = name.rpartition(".")
    if not stem or f".{suffix.lower()}" not in kind.extensions:
        name = (name or "certificate") + kind.extension
    if len(name) > MAX_FILENAME_LENGTH:
        keep = MAX_FILENAME_LENGTH - len(kind.extension)
        name = name[:keep].rstrip() + kind.extension
    return name
