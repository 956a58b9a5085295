"""The object half of `arxivist check-data`: tracked bytes hashed against dvc.lock and .dvc files,
and tracked objects looked up on the DVC remote.

`dvc data status` (arxivist.integrity.status_check) says what the workspace holds; this module reads
the bytes. Every tracked file, and every member of a tracked directory, is hashed (md5, as DVC 3
names its objects) in the workspace, in the local cache and, on request, on the remote (each object
downloaded and hashed as it streams, nothing written to disk). A directory's `.dir` manifest is an
object too, checked like the rest, and its members are read from a copy whose hash is right.

On the remote (arxivist.integrity.remote_check: reached within a bound, progress shown), every
object that `dvc push` would upload is looked up, each member of a directory on its own, as `dvc
data status --granular --not-in-remote` does, but in parallel.

It uses DVC's Python API (dvc.repo.Repo) only to list the outputs and to reach the cache and the
remote with the repository's own configuration; the hashing is plain hashlib.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fsspec.callbacks import DEFAULT_CALLBACK, Callback

from arxivist.integrity import remote_check

if TYPE_CHECKING:
    from dvc.repo import Repo
    from dvc_data.hashfile.db import HashFileDB

JOBS = 4  # objects hashed at once (the remote's latency, not the CPU, is what this hides)
MANIFEST = ".dir"  # DVC's suffix for a directory's manifest object


@dataclass(frozen=True)
class Tracked:
    """One tracked object: a file, or a directory's manifest (`path` ending in "/")."""

    path: str  # relative to the repository root, "/"-separated
    oid: str  # the md5 that dvc.lock/.dvc records; a manifest's ends in ".dir"
    cached: bool  # kept in the cache (false for `cache: false` outputs)
    pushed: bool  # what `dvc push` uploads: cached, not `push: false`, not a `dvc import`


@dataclass(frozen=True)
class Finding:
    """A corrupted (or missing) object, where it was found, and the file that holds it there."""

    tracked: Tracked
    where: str  # "workspace", "cache" or "remote"
    location: str  # a local path or a URL
    missing: bool = False

    def line(self) -> tuple[str, str]:
        """(path, what) in check-data's report style."""
        if self.where == "workspace":
            return self.tracked.path, "modified in workspace"
        if self.missing:
            return self.tracked.path, f"missing from {self.where}"
        return (
            self.tracked.path,
            f"corrupted {'on' if self.where == 'remote' else 'in'} {self.where} ({self.location})",
        )


def md5_matches(data_md5: str, oid: str) -> bool:
    """Whether bytes hashing to `data_md5` are the object `oid` (a manifest's oid ends in .dir)."""
    return data_md5 == oid.removesuffix(MANIFEST)


def hash_object(odb: HashFileDB, oid: str) -> str | None:
    """The md5 of object `oid`'s bytes in `odb`, streamed; None when it is not there."""
    try:
        with odb.fs.open(odb.oid_to_path(oid), mode="rb") as stream:
            return hashlib.file_digest(stream, "md5").hexdigest()
    except FileNotFoundError:
        return None


def corrupted_oids(
    odb: HashFileDB, oids: Iterable[str], progress: Callback = DEFAULT_CALLBACK
) -> set[str]:
    """The objects of `oids` present in `odb` whose bytes do not hash to their name; `progress`
    counts the objects read."""
    oids = sorted(set(oids))
    bad = set()
    with ThreadPoolExecutor(JOBS) as pool:
        for oid, md5 in zip(oids, pool.map(lambda oid: hash_object(odb, oid), oids), strict=True):
            if md5 is not None and not md5_matches(md5, oid):
                bad.add(oid)
            progress.relative_update()
    return bad


def read_manifest(odbs: Iterable[HashFileDB], oid: str) -> list[tuple[str, str]] | None:
    """A directory's members (relpath, md5) from the first of `odbs` holding an intact copy."""
    for odb in odbs:
        try:
            data = odb.fs.cat_file(odb.oid_to_path(oid))
        except FileNotFoundError:
            continue
        if md5_matches(hashlib.md5(data).hexdigest(), oid):
            return [(entry["relpath"], entry["md5"]) for entry in json.loads(data)]
    return None


def tracked_outputs(repo: Repo) -> Iterator[Tracked]:
    """Every output recorded in dvc.lock and .dvc files that has an md5 (DVC 3 hashes)."""
    for out in repo.index.outs:
        if out.hash_name != "md5" or not out.hash_info or not out.hash_info.value:
            continue  # never run, or a DVC 2 (md5-dos2unix) output this check does not cover
        path = Path(os.path.relpath(out.fs_path, repo.root_dir)).as_posix()
        suffix = "/" if out.hash_info.isdir else ""
        cached = bool(out.use_cache)
        pushed = cached and out.can_push and not out.stage.is_repo_import
        yield Tracked(path + suffix, out.hash_info.value, cached, pushed)


def expand(outputs: Iterable[Tracked], odbs: list[HashFileDB]) -> list[Tracked]:
    """`outputs` plus each directory's members, read from an intact manifest where there is one."""
    found = []
    for out in outputs:
        found.append(out)
        if out.oid.endswith(MANIFEST):
            for relpath, md5 in read_manifest(odbs, out.oid) or []:
                found.append(Tracked(f"{out.path}{relpath}", md5, out.cached, out.pushed))
    return found


def modified_files(root: Path, tracked: Iterable[Tracked]) -> list[Tracked]:
    """Tracked files present in the workspace whose bytes differ from the recorded md5."""
    files = [t for t in tracked if not t.path.endswith("/") and (root / t.path).is_file()]

    def differs(entry: Tracked) -> bool:
        with (root / entry.path).open("rb") as stream:
            return hashlib.file_digest(stream, "md5").hexdigest() != entry.oid

    with ThreadPoolExecutor(JOBS) as pool:
        return [entry for entry, bad in zip(files, pool.map(differs, files), strict=True) if bad]


def store_findings(
    odb: HashFileDB, where: str, tracked: list[Tracked], progress: Callback = DEFAULT_CALLBACK
) -> list[Finding]:
    """A Finding for each entry of `tracked` whose object in `odb` is corrupted."""
    bad = corrupted_oids(odb, (t.oid for t in tracked), progress)
    return [Finding(t, where, location(odb, t)) for t in tracked if t.oid in bad]


def location(odb: HashFileDB, tracked: Tracked) -> str:
    """The URL (or path) of `tracked`'s object in `odb`."""
    return odb.fs.unstrip_protocol(odb.oid_to_path(tracked.oid))


def remote_findings(
    remote: remote_check.Reached, tracked: list[Tracked], verify: bool, progress_after_s: float
) -> list[Finding]:
    """A Finding for each object of `tracked` that `dvc push` uploads and that `remote` lacks,
    and, with `verify`, for each one there that is corrupted."""
    pushed = [t for t in tracked if t.pushed]
    oids = {t.oid for t in pushed}
    with remote_check.remote_failures(remote.label):
        with remote.progress("looked up", len(oids), progress_after_s) as done:
            missing = remote_check.missing_oids(remote.odb, oids, done)
        findings = [
            Finding(t, "remote", location(remote.odb, t), missing=True)
            for t in pushed
            if t.oid in missing
        ]
        if verify:
            present = [t for t in pushed if t.oid not in missing]
            with remote.progress(
                "downloaded and hashed", len(oids - missing), progress_after_s
            ) as done:
                findings += store_findings(remote.odb, "remote", present, done)
    return findings


def open_repo(repo_dir: Path) -> Repo:
    """The DVC repository at `repo_dir` (DVC's Repo, to use as a context manager)."""
    # gcsfs otherwise probes every bucket over gRPC, which a GCS emulator never answers (60 s each)
    os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
    from dvc.repo import Repo

    return Repo(str(repo_dir))


def check_content(
    repo: Repo,
    remote: remote_check.Reached | None = None,
    verify_remote: bool = False,
    progress_after_s: float = remote_check.PROGRESS_AFTER_S,
) -> list[Finding]:
    """Corrupted objects of the workspace of `repo`: its files, its local cache and, with a
    `remote`, the objects missing from it; with `verify_remote` also those corrupted there, every
    object downloaded. A remote check that takes `progress_after_s` or more says how far it is
    on stderr."""
    cache = repo.cache.local
    tracked = expand(tracked_outputs(repo), [cache] + ([remote.odb] if remote else []))
    root = Path(repo.root_dir)
    findings = [Finding(t, "workspace", str(root / t.path)) for t in modified_files(root, tracked)]
    findings += store_findings(cache, "cache", [t for t in tracked if t.cached])
    if remote:
        findings += remote_findings(remote, tracked, verify_remote, progress_after_s)
    return findings
