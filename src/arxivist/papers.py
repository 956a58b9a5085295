"""The paper record that every source produces and data/raw/papers.jsonl holds."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from arxivist.errors import ArxivistError

_VERSION = re.compile(r"v\d+$")
# New-style ids (from April 2007): YYMM.NNNN, or YYMM.NNNNN from 2015; fewer digits are accepted,
# as ids that went through a float column arrive (2509.19700 -> 2509.197), their month intact. Old
# style: archive (with an optional subject class) / YYMMNNN, e.g. cs/0112017 or math.GT/0309136.
_ID_MONTH = re.compile(r"^(?:(\d\d)(\d\d)\.\d{1,5}|[a-z-]+(?:\.[A-Za-z-]+)?/(\d\d)(\d\d)\d{3})$")


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


def strip_version(arxiv_id: str) -> str:
    """'2401.01234v2' -> '2401.01234'; ids without a version pass through."""
    return _VERSION.sub("", arxiv_id.strip())


def submission_month(arxiv_id: str) -> dt.date:
    """The month an arXiv id was given in, which is its paper's submission month, as the first
    day of that month: '2501.01234v2' -> 2025-01-01, 'cs/0112017' -> 2001-12-01 (the old-style
    years 91 to 99 are 1991 to 1999)."""
    found = _ID_MONTH.match(strip_version(arxiv_id))
    yy, mm = (found[1] or found[3], found[2] or found[4]) if found else ("", "")
    if not found or not 1 <= int(mm) <= 12:
        raise BadArxivId(f"{arxiv_id!r} is not an arXiv id (YYMM.NNNNN or archive/YYMMNNN)")
    return dt.date((1900 if int(yy) >= 91 else 2000) + int(yy), int(mm), 1)


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
    """The canonical order of data/raw/papers.jsonl: by id."""
    return sorted(papers, key=lambda paper: paper.id)
