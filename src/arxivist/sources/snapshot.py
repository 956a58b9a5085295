"""The `snapshot` source: arXiv's bulk-metadata JSON lines, local or gs://, plain or gzipped.

The file is streamed: only the papers that may still be among the first N (by id) of each wanted
category are held in memory, so a multi-GB dump never has to fit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import fsspec

from arxivist.errors import ArxivistError
from arxivist.papers import Paper, strip_version

REQUIRED = ("id", "categories", "abstract")


class SnapshotError(ArxivistError):
    """A snapshot line that is not a usable paper; the message names the file and line."""


def read_snapshot(
    url: str, wanted: Mapping[str, int], keep: Callable[[Paper], bool] | None = None
) -> list[Paper]:
    """The first `wanted[code]` papers by id whose primary category is `code` (and, given `keep`,
    for which keep(paper) is true)."""
    kept: dict[str, list[Paper]] = {code: [] for code in wanted}
    seen: set[str] = set()
    for paper in iter_snapshot(url):
        bucket = kept.get(paper.primary_category)
        if bucket is None or paper.id in seen or (keep is not None and not keep(paper)):
            continue
        seen.add(paper.id)
        bucket.append(paper)
        if len(bucket) >= 2 * wanted[paper.primary_category]:
            _keep_first(bucket, wanted[paper.primary_category])
    for code, bucket in kept.items():
        _keep_first(bucket, wanted[code])
    return [paper for bucket in kept.values() for paper in bucket]


def iter_snapshot(url: str) -> Iterator[Paper]:
    """Every paper of a snapshot file, in file order."""
    with fsspec.open(url, "rt", compression="infer", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield _to_paper(_parse(line, url, number), url, number)


def _parse(line: str, url: str, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise SnapshotError(f"{url}, line {number}: not valid JSON ({err.msg})") from None
    if not isinstance(record, dict):
        raise SnapshotError(f"{url}, line {number}: expected a JSON object")
    missing = [name for name in REQUIRED if not record.get(name)]
    if missing:
        raise SnapshotError(f"{url}, line {number}: missing {', '.join(missing)}")
    return record


def _to_paper(record: dict[str, Any], url: str, number: int) -> Paper:
    categories = str(record["categories"]).split()
    if not categories:
        raise SnapshotError(f"{url}, line {number}: empty categories")
    return Paper(
        id=strip_version(str(record["id"])),
        title=" ".join(str(record.get("title") or "").split()),
        abstract=" ".join(str(record["abstract"]).split()),
        primary_category=categories[0],
        categories=categories,
        published=_first_version_date(record),
    )


def _first_version_date(record: dict[str, Any]) -> str | None:
    versions = record.get("versions") or []
    try:
        return parsedate_to_datetime(versions[0]["created"]).date().isoformat()
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def _keep_first(bucket: list[Paper], n: int) -> None:
    bucket.sort(key=lambda paper: paper.id)
    del bucket[n:]
