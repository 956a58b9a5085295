"""Reading JSON-lines files (one JSON object a line): the one reader of the snapshot source, the
pipeline's own .jsonl outputs and `arxivist predict --input`.

Bytes are decoded as strict UTF-8 a line at a time, so every fault is one line that names the file
and the line: bytes that are not UTF-8, a line that is not JSON or not an object, and a string
holding a lone surrogate escape (valid JSON, but no character: it cannot be written back as UTF-8).
Callers pass their own error type, a subclass of ArxivistError, so each command reports its faults
as its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from arxivist.errors import ArxivistError

# A \u escape of a UTF-16 surrogate (D800-DFFF); a pair of them is one character, a lone one none.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JsonLinesError(ArxivistError):
    """A JSON-lines file that cannot be read; the message names the file and line."""


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every object of the JSON-lines file at `path` (as write_jsonl writes them), in order."""
    with Path(path).open("rb") as raw:
        return [record for _, record in parse_objects(decode_lines(raw, str(path)), str(path))]


def decode_lines(
    raw: Iterable[bytes], source: str, error: type[ArxivistError] = JsonLinesError
) -> Iterator[str]:
    """The lines of `raw` (binary lines, as a file opened "rb" gives them) decoded as UTF-8, a
    byte-order mark at the start dropped; bytes that are not UTF-8 fail naming byte and line."""
    offset = 0
    for number, chunk in enumerate(raw, start=1):
        try:
            line = chunk.decode("utf-8-sig" if offset == 0 else "utf-8")
        except UnicodeDecodeError as err:
            raise error(
                f"{source}: cannot read (not UTF-8 text at byte {offset + err.start}) "
                f"in line {number}"
            ) from None
        offset += len(chunk)
        yield line


def parse_objects(
    lines: Iterable[str], source: str, error: type[ArxivistError] = JsonLinesError
) -> Iterator[tuple[str, dict[str, Any]]]:
    """("SOURCE, line N", object) for each non-blank line of `lines`."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            where = f"{source}, line {number}"
            yield where, parse_object(line, where, error)


def parse_object(line: str, where: str, error: type[ArxivistError] = JsonLinesError) -> dict:
    """One line's JSON object; `where` ("SOURCE, line N") starts the message of any fault."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise error(f"{where}: not valid JSON ({err.msg})") from None
    if not isinstance(record, dict):
        raise error(f"{where}: expected a JSON object")
    if "\\u" in line:
        _check_encodable(record, line, where, error)
    return record


def _check_encodable(record: dict, line: str, where: str, error: type[ArxivistError]) -> None:
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        escape = next((m[0] for m in _SURROGATE_ESCAPE.finditer(line)), "\\uD800")
        raise error(
            f"{where}: a lone surrogate ({escape}) in a string, which is no character and "
            "cannot be written as UTF-8"
        ) from None
