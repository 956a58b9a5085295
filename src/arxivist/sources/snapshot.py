"""The `snapshot` source: arXiv's bulk-metadata JSON lines, local or gs://, plain or gzipped.

The file is streamed: only the papers that may still be among the first N (by id) of each wanted
category are held in memory, so a multi-GB dump never has to fit. Any line that is not a usable
paper stops the read with one line naming the file and line, before anything is written.
`categories` is arXiv's space-separated string (primary first) or a JSON list of codes.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import fsspec

from arxivist.errors import ArxivistError
from arxivist.jsonlines import decode_lines, parse_objects
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
    where = f"{url}, its start"
    try:
        with fsspec.open(url, "rb", compression="infer") as raw:
            lines = decode_lines(raw, url, SnapshotError)
            for where, record in parse_objects(lines, url, SnapshotError):
                yield _to_paper(record, where)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        after = where.removeprefix(f"{url}, ")
        raise SnapshotError(
            f"{url}: the compressed file is truncated or corrupt after {after} "
            f"({type(err).__name__}: {err})"
        ) from None
    except FileNotFoundError:
        raise SnapshotError(f"{url}: no such file (fetch.snapshot_path)") from None
    except OSError as err:
        raise SnapshotError(f"{url}: cannot read ({type(err).__name__}: {err})") from None


def _to_paper(record: dict[str, Any], where: str) -> Paper:
    missing = [name for name in REQUIRED if record.get(name) in (None, "", [])]
    if missing:
        raise SnapshotError(f"{where}: missing {', '.join(missing)}")
    return Paper(
        id=strip_version(_id(record["id"], where)),
        title=_text(record, "title", where, required=False),
        abstract=_text(record, "abstract", where, required=True),
        primary_category=(categories := _categories(record["categories"], where))[0],
        categories=categories,
        published=_first_version_date(record),
    )


def _id(value: Any, where: str) -> str:
    """A string id; a number is read as its digits (ids that went through a float column)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SnapshotError(f"{where}: id must be a string, got {_shown(value)}")
    return str(value)


def _text(record: dict[str, Any], name: str, where: str, *, required: bool) -> str:
    """A string field with its runs of whitespace made single spaces; a required one must hold
    more than whitespace (an optional one may be absent or null)."""
    value = record.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise SnapshotError(f"{where}: {name} must be a string, got {_shown(value)}")
    text = " ".join(value.split())
    if required and not text:
        raise SnapshotError(f"{where}: {name} is blank (only whitespace)")
    return text


def _categories(value: Any, where: str) -> list[str]:
    """arXiv's space-separated string of codes, or a JSON list of codes; the primary first."""
    if isinstance(value, str):
        categories = value.split()
    elif isinstance(value, list) and all(isinstance(code, str) for code in value):
        categories = [code.strip() for code in value]
    else:
        categories = []
    if not categories or not all(code and code.split() == [code] for code in categories):
        raise SnapshotError(
            f"{where}: categories must be a space-separated string or a list of category codes, "
            f"got {_shown(value)}"
        )
    return categories


def _shown(value: Any) -> str:
    """A JSON value for a message: its kind, and its text cut short."""
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string", type(None): ""}
    text = json.dumps(value, ensure_ascii=False)
    text = text if len(text) <= 40 else text[:37] + "..."
    found = kind.get(type(value), "a list" if isinstance(value, list) else "an object")
    return f"{found} ({text})" if found else text


def _first_version_date(record: dict[str, Any]) -> str | None:
    versions = record.get("versions") or []
    try:
        return parsedate_to_datetime(versions[0]["created"]).date().isoformat()
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def _keep_first(bucket: list[Paper], n: int) -> None:
    bucket.sort(key=lambda paper: paper.id)
    del bucket[n:]
