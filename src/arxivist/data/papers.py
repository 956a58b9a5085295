"""The paper record that every source produces and data/raw/papers.jsonl holds."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from arxivist.errors import ArxivistError

TEXT = "abstract"  # the field of a paper, and the column of the split files, that a model reads

# arXiv's two id schemes (https://info.arxiv.org/help/arxiv_identifier.html). New style, from April
# 2007: YYMM.NNNN, five digits (YYMM.NNNNN) from January 2015, an optional version vN. Old style,
# August 1991 to March 2007: archive, optional subject class, /YYMMNNN, e.g. cs/0112017 or
# math.GT/0309136v2.
_NEW = re.compile(r"(\d\d)(\d\d)\.(\d+)(?:v(\d+))?")
_OLD = re.compile(r"([a-z-]+(?:\.[A-Za-z-]+)?/)(\d\d)(\d\d)(\d+)(?:v(\d+))?")
_SCHEMES = "YYMM.NNNNN, or YYMM.NNNN before 2015, or archive/YYMMNNN"
_FIRST_NEW, _FIVE_DIGITS, _FIRST_OLD = (2007, 4), (2015, 1), (1991, 8)


class NotEnoughPapers(ArxivistError):
    """A source delivered fewer papers than fetch.categories (or later.categories) asks for."""


class BadArxivId(ArxivistError):
    """An id that is not an arXiv identifier, so it tells no submission month."""


@dataclass(frozen=True)
class Paper:
    """One arXiv paper, labelled by its primary category."""

    id: str
    title: str
    abstract: str
    primary_category: str
    categories: list[str]
    published: str | None = None

    def to_record(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ArxivId:
    """An id read against arXiv's schemes: `id` as the pipeline writes it (no version; a new-style
    number with its lost trailing zeros back, `padded`), its submission month and its sequence
    number within that month, and the version it named (vN), if any."""

    id: str
    year: int
    month: int
    number: int
    version: int | None = None
    padded: bool = False

    @property
    def key(self) -> tuple[int, int, int, str]:
        """arXiv's submission order, both schemes: year, month, number, then the id."""
        return (self.year, self.month, self.number, self.id)


def parse_id(text: str) -> ArxivId:
    """Read an arXiv id; a new-style id with fewer digits than its month's scheme (one that went
    through a float column: 2509.197 for 2509.19700) gets its trailing zeros back. Anything else
    that is not an arXiv id raises BadArxivId."""
    raw = text.strip()
    if found := _NEW.fullmatch(raw):
        return _new_style(raw, *found.groups())
    if found := _OLD.fullmatch(raw):
        return _old_style(raw, *found.groups())
    raise BadArxivId(f"{text!r} is not an arXiv id ({_SCHEMES})")


def _new_style(raw: str, yy: str, mm: str, digits: str, version: str | None) -> ArxivId:
    year, month = _month(raw, 2000 + int(yy), mm)
    if (year, month) < _FIRST_NEW:
        raise BadArxivId(f"{raw!r} is not an arXiv id: new-style ids start in April 2007 (0704)")
    width = 5 if (year, month) >= _FIVE_DIGITS else 4
    if len(digits) > width:
        raise BadArxivId(
            f"{raw!r} is not an arXiv id: ids of {year}-{month:02d} have {width} digits after "
            "the dot"
        )
    full = digits.ljust(width, "0")
    return ArxivId(
        f"{yy}{mm}.{full}", year, month, int(full), _version(version), padded=full != digits
    )


def _old_style(
    raw: str, archive: str, yy: str, mm: str, digits: str, version: str | None
) -> ArxivId:
    year, month = _month(raw, (1900 if int(yy) >= 91 else 2000) + int(yy), mm)
    if len(digits) != 3:
        raise BadArxivId(f"{raw!r} is not an arXiv id: old-style ids have 7 digits (YYMMNNN)")
    if not _FIRST_OLD <= (year, month) < _FIRST_NEW:
        raise BadArxivId(
            f"{raw!r} is not an arXiv id: old-style ids run from August 1991 to March 2007"
        )
    return ArxivId(f"{archive}{yy}{mm}{digits}", year, month, int(digits), _version(version))


def _month(raw: str, year: int, mm: str) -> tuple[int, int]:
    if not 1 <= int(mm) <= 12:
        raise BadArxivId(f"{raw!r} is not an arXiv id: {mm} is no month (YYMM)")
    return year, int(mm)


def _version(digits: str | None) -> int | None:
    return None if digits is None else int(digits)


def submission_month(arxiv_id: str) -> dt.date:
    """The month an arXiv id was given in, which is its paper's submission month, as the first
    day of that month: '2501.01234v2' -> 2025-01-01, 'cs/0112017' -> 2001-12-01 (the old-style
    years 91 to 99 are 1991 to 1999)."""
    parsed = parse_id(arxiv_id)
    return dt.date(parsed.year, parsed.month, 1)


def submission_key(arxiv_id: str) -> tuple[int, int, int, str]:
    """The sort key of arXiv's submission order: 'cs/9308101' before '0704.0001' before
    '2501.01234' (string order puts old-style ids last)."""
    return parse_id(arxiv_id).key


def check_quotas(
    papers: Iterable[Paper], wanted: Mapping[str, int], allow_short: bool, key: str = "fetch"
) -> None:
    """Fail with the per-category shortfall unless every category got what it asked for (or, with
    allow_short, at least one paper); `key` is the params section that asks (fetch or later)."""
    got = dict.fromkeys(wanted, 0)
    for paper in papers:
        got[paper.primary_category] += 1
    short = {code: (got[code], n) for code, n in wanted.items() if got[code] < n}
    if none := [code for code, (have, _) in short.items() if have == 0]:
        raise NotEnoughPapers(
            f"{key} got no papers of {', '.join(none)} ({key}.categories asks for "
            f"{', '.join(str(wanted[code]) for code in none)}): a class without papers cannot be "
            f"learned or evaluated; {key}.allow_short allows fewer papers, not none. Check the "
            "source, the window and the category codes"
        )
    if short and not allow_short:
        detail = ", ".join(f"{code}: {have} of {n}" for code, (have, n) in short.items())
        raise NotEnoughPapers(
            f"{key} got fewer papers than {key}.categories asks for ({detail}); "
            f"widen the source or set {key}.allow_short: true"
        )


def sort_papers(papers: Iterable[Paper]) -> list[Paper]:
    """The canonical order of data/raw/papers.jsonl: arXiv's submission order (submission_key)."""
    return sorted(papers, key=lambda paper: submission_key(paper.id))
