"""The `snapshot` source: arXiv's bulk-metadata JSON lines, local or gs://, plain or gzipped.

The file is streamed: only the papers that may still be among the first N (in submission order)
of each wanted category are held in memory, so a multi-GB dump never has to fit; ids, versions and
abstract texts follow arxivist.data.dedup's rules. Any line that is not a usable paper (an id that
is no arXiv id among them) stops the read with one line naming the file and line, before anything is
written. `categories` is arXiv's space-separated string (primary first) or a JSON list of codes.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

import fsspec

from arxivist.data.dedup import IdBook, Sample, Selection, choose
from arxivist.data.papers import ArxivId, BadArxivId, Paper, parse_id
from arxivist.errors import ArxivistError
from arxivist.jsonlines import decode_lines, parse_objects

REQUIRED = ("id", "categories", "abstract")


class SnapshotError(ArxivistError):
    """A snapshot line that is not a usable paper; the message names the file and line."""


class Record(NamedTuple):
    """One line's paper, with what tells its records apart: its place in the file, its id as
    written and as read, and its version."""

    index: int
    raw_id: str
    id: ArxivId
    version: int
    paper: Paper


def read_snapshot(
    url: str,
    wanted: Mapping[str, int],
    keep: Callable[[Paper], bool] | None = None,
    exclude: frozenset[str] | None = None,
) -> Sample:
    """The first `wanted[code]` papers in submission order whose primary category is `code` (and,
    given `keep`, for which keep(paper) is true), one record per id and each abstract text once
    (arxivist.data.dedup), none of whose texts is in `exclude` when given.

    One pass reads the file and chooses among each id's first record; when a later record of an
    id beat its first (a newer version), a second pass chooses again among the winners.
    """

    def considered() -> Iterator[Record]:
        for record in iter_snapshot(url):
            if record.paper.primary_category in wanted and (keep is None or keep(record.paper)):
                yield record

    ids = IdBook()
    first = (r.paper for r in considered() if ids.offer(r.raw_id, r.id, r.version, r.index))
    chosen = choose(first, ids, Selection(wanted, exclude))
    if ids.replaced:
        winners = (r.paper for r in considered() if ids.winner(r.id.id) == r.index)
        chosen = choose(winners, ids, Selection(wanted, exclude))
    return chosen


def iter_snapshot(url: str) -> Iterator[Record]:
    """Every paper of a snapshot file, in file order."""
    where = f"{url}, its start"
    try:
        with fsspec.open(url, "rb", compression="infer") as raw:
            lines = decode_lines(raw, url, SnapshotError)
            for index, (where, record) in enumerate(parse_objects(lines, url, SnapshotError)):
                yield _to_record(index, record, where)
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


def _to_record(index: int, record: dict[str, Any], where: str) -> Record:
    missing = [name for name in REQUIRED if record.get(name) in (None, "", [])]
    if missing:
        raise SnapshotError(f"{where}: missing {', '.join(missing)}")
    raw_id = _id(record["id"], where)
    try:
        parsed = parse_id(raw_id)
    except BadArxivId as err:
        raise SnapshotError(f"{where}: id {err}") from None
    paper = Paper(
        id=parsed.id,
        title=_text(record, "title", where, required=False),
        abstract=_text(record, "abstract", where, required=True),
        primary_category=(categories := _categories(record["categories"], where))[0],
        categories=categories,
        published=_first_version_date(record),
    )
    return Record(index, raw_id, parsed, _version(parsed, record), paper)


def _id(value: Any, where: str) -> str:
    """A string id; a number is read as its digits (ids that went through a float column)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SnapshotError(f"{where}: id must be a string, got {_shown(value)}")
    return str(value)


def _version(parsed: ArxivId, record: dict[str, Any]) -> int:
    """The id's vN, else the length of the record's `versions` list, else 1."""
    versions = record.get("versions")
    if parsed.version is not None:
        return parsed.version
    return len(versions) if isinstance(versions, list) and versions else 1


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
