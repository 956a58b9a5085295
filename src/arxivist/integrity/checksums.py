"""A model folder's file hashes (checksums.sha256), written by publish and checked on load.

The list is in `sha256sum` format ("HEX  NAME" a line), so anyone can check a downloaded folder
without arxivist: `cd FOLDER && sha256sum -c checksums.sha256`. transformers never reads it, and the
Hub upload carries it like any other file. A folder without one (models/model, a user's own) loads
unchecked.

A downloaded folder is not trusted: its checksum list may name only files inside it (plain relative
names, no symlink leading out), and every entry is checked before any file is opened, so a checksum
list cannot make arxivist read, hash and report on files elsewhere on the machine.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from arxivist.atomic import atomic_path
from arxivist.errors import ArxivistError

CHECKSUMS = "checksums.sha256"


class ModelIntegrityError(ArxivistError):
    """A file of a model folder is missing or differs from the folder's checksum list."""


def sha256_file(path: Path) -> str:
    """The hex sha256 of the file at `path`, read in blocks."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def listed_files(folder: Path) -> list[Path]:
    """The files a checksum list of `folder` covers: all but hidden ones and the list, sorted.

    A symlink (to a file or a folder) that leads out of the folder fails naming it: what it
    points to is no part of the folder.
    """
    files = []
    for path in sorted(folder.rglob("*")):
        if path.name == CHECKSUMS or any(
            part.startswith(".") for part in path.relative_to(folder).parts
        ):
            continue
        if _leaves(folder, path):
            raise ModelIntegrityError(f"{path}: {_OUTSIDE}; copy what it points to into the folder")
        if path.is_file():
            files.append(path)
    return files


def write_checksums(folder: Path) -> Path:
    """Write `folder`/checksums.sha256 listing every file's sha256; return its path."""
    lines = [
        f"{sha256_file(path)}  {path.relative_to(folder).as_posix()}\n"
        for path in listed_files(folder)
    ]
    with atomic_path(folder / CHECKSUMS) as tmp:
        tmp.write_text("".join(lines), encoding="utf-8")
    return folder / CHECKSUMS


def read_checksums(folder: Path) -> dict[str, str] | None:
    """name -> sha256 from `folder`'s checksum list; None when it has none.

    Every entry must name a file inside `folder` (see `refused_name`); the first that does not
    fails naming it and its line, before the caller opens any listed file.
    """
    path = folder / CHECKSUMS
    if not path.is_file():
        return None
    if _leaves(folder, CHECKSUMS):
        raise ModelIntegrityError(f"{path}: {_OUTSIDE}; {_NOT_PUBLISHED}")
    entries = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise ModelIntegrityError(f"{path}, line {number}: not a 'SHA256  NAME' line")
        problem = refused_name(name)
        if not problem and _leaves(folder, name):
            problem = _OUTSIDE
        if problem:
            raise ModelIntegrityError(
                f"{path}, line {number}: refused entry {name!r} ({problem}): a checksum list names "
                f"only files inside its folder; {_NOT_PUBLISHED}"
            )
        entries[name] = digest
    return entries


def refused_name(name: str) -> str:
    """Why `name` is not a plain relative path inside a folder ('dir/file', '/' between parts);
    "" when it is one."""
    parts = name.split("/")
    if name.startswith("/"):
        return "an absolute path"
    if "\\" in name:
        return "a backslash"
    if any(not char.isprintable() for char in name):
        return "a control character"
    if ".." in parts:
        return "a '..' part"
    if "" in parts or "." in parts:
        return "an empty or '.' part"
    return ""


def _leaves(folder: Path, name: str | Path) -> bool:
    """Whether `folder`/`name` resolves, through symlinks, to a path outside `folder` (or does
    not resolve: a symlink loop)."""
    try:
        return not (folder / name).resolve().is_relative_to(folder.resolve())
    except RuntimeError:  # a symlink loop (Python < 3.13)
        return True


def verify_folder(folder: str | Path) -> bool:
    """Fail naming the first file of `folder` that is missing or differs from its checksum list.

    Returns False when the folder has no checksum list (nothing to check), True when all files
    match.
    """
    folder = Path(folder)
    entries = read_checksums(folder)
    if entries is None:
        return False
    for name, digest in entries.items():
        path = folder / name
        if not path.is_file():
            raise ModelIntegrityError(f"{path}: missing (listed in {CHECKSUMS}); {_RESTORE}")
        if sha256_file(path) != digest:
            raise ModelIntegrityError(
                f"{path}: damaged (its sha256 differs from {CHECKSUMS}: changed or truncated); "
                f"{_RESTORE}"
            )
    return True


_OUTSIDE = "a symlink that does not resolve inside the folder"
_NOT_PUBLISHED = "this folder is not as publish writes it: do not use it"
_RESTORE = (
    "restore the folder (`dvc checkout models/published`, or `dvc pull`) or download it again"
)
