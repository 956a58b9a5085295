"""The content half of `arxivist check-data`: tracked bytes hashed against dvc.lock and .dvc files.

`dvc data status` (arxivist.datacheck) says what is present; this module reads the bytes. Every
tracked file, and every member of a tracked directory, is hashed (md5, as DVC 3 names its objects)
in the workspace, in the local cache and, on request, on the remote (each object downloaded and
hashed as it streams, nothing written to disk). A directory's `.dir` manifest is an object too,
checked like the rest, and its members are read from a copy whose hash is right.

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
    cached: bool  # kept in the cache and on the remote (false for `cache: false` outputs)


@dataclass(frozen=True)
class Finding:
    """A corrupted object, where it was found, and the file that holds it there."""

    tracked: Tracked
    where: str  # "workspace", "cache" or "remote"
    location: str  # a local path or a URL

    def line(self) -> tuple[str, str]:
        """(path, what) in check-data's report style."""
        if self.where == "workspace":
            return self.tracked.path, "modified in workspace"
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


def corrupted_oids(odb: HashFileDB, oids: Iterable[str]) -> set[str]:
    """The objects of `oids` present in `odb` whose bytes do not hash to their name."""
    oids = sorted(set(oids))
    with ThreadPoolExecutor(JOBS) as pool:
        digests = pool.map(lambda oid: hash_object(odb, oid), oids)
        return {
            oid
            for oid, md5 in zip(oids, digests, strict=True)
            if md5 is not None and not md5_matches(md5, oid)
        }


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
        yield Tracked(path + suffix, out.hash_info.value, bool(out.use_cache))


def expand(outputs: Iterable[Tracked], odbs: list[HashFileDB]) -> list[Tracked]:
    """`outputs` plus each directory's members, read from an intact manifest where there is one."""
    found = []
    for out in outputs:
        found.append(out)
        if out.oid.endswith(MANIFEST):
            for relpath, md5 in read_manifest(odbs, out.oid) or []:
                found.append(Tracked(f"{out.path}{relpath}", md5, out.cached))
    return found


def modified_files(root: Path, tracked: Iterable[Tracked]) -> list[Tracked]:
    """Tracked files present in the workspace whose bytes differ from the recorded md5."""
    files = [t for t in tracked if not t.path.endswith("/") and (root / t.path).is_file()]

    def differs(entry: Tracked) -> bool:
        with (root / entry.path).open("rb") as stream:
            return hashlib.file_digest(stream, "md5").hexdigest() != entry.oid

    with ThreadPoolExecutor(JOBS) as pool:
        return [entry for entry, bad in zip(files, pool.map(differs, files), strict=True) if bad]


def store_findings(odb: HashFileDB, where: str, tracked: list[Tracked]) -> list[Finding]:
    """A Finding for each cached entry of `tracked` whose object in `odb` is corrupted."""
    cached = [t for t in tracked if t.cached]
    bad = corrupted_oids(odb, (t.oid for t in cached))
    return [
        Finding(t, where, odb.fs.unstrip_protocol(odb.oid_to_path(t.oid)))
        for t in cached
        if t.oid in bad
    ]


def check_content(
    repo_dir: Path, remote_name: str | None = None, remote: bool = False
) -> list[Finding]:
    """Corrupted objects of the workspace at `repo_dir`: its files, its local cache and, with
    `remote`, the DVC remote `remote_name` (else the default), every object downloaded."""
    # gcsfs otherwise probes every bucket over gRPC, which a GCS emulator never answers (60 s each)
    os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
    from dvc.repo import Repo

    with Repo(str(repo_dir)) as repo:
        stores = {"cache": repo.cache.local}
        if remote:
            stores["remote"] = repo.cloud.get_remote_odb(remote_name)
        tracked = expand(tracked_outputs(repo), list(stores.values()))
        findings = [
            Finding(t, "workspace", str(Path(repo_dir) / t.path))
            for t in modified_files(Path(repo.root_dir), tracked)
        ]
        for where, odb in stores.items():
            findings += store_findings(odb, where, tracked)
        return findings
