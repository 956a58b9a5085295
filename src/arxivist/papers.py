"""The paper record that every source produces and data/raw/papers.jsonl holds."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from arxivist.errors import ArxivistError

_VERSION = re.compile(r"v\d+$")


class NotEnoughPapers(ArxivistError):
    """A source delivered fewer papers than fetch.categories asks for."""


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


def check_quotas(papers: Iterable[Paper], wanted: Mapping[str, int], allow_short: bool) -> None:
    """Fail with the per-category shortfall unless every category got what it asked for."""
    got = dict.fromkeys(wanted, 0)
    for paper in papers:
        got[paper.primary_category] += 1
    short = {code: (got[code], n) for code, n in wanted.items() if got[code] < n}
    if short and not allow_short:
        detail = ", ".join(f"{code}: {have} of {n}" for code, (have, n) in short.items())
        raise NotEnoughPapers(
            f"fetch got fewer papers than fetch.categories asks for ({detail}); "
            "widen the source or set fetch.allow_short: true"
        )


def sort_papers(papers: Iterable[Paper]) -> list[Paper]:
    """The canonical order of data/raw/papers.jsonl: by id."""
    return sorted(papers, key=lambda paper: paper.id)
