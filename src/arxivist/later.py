"""The later set: papers submitted after the training sample, disjoint from it by construction.

Its window (later.submitted_from .. submitted_to) must start in a month after the submission month
of the training sample's newest paper, read from its arXiv id (YYMM). The papers come from
fetch.source as the training sample's do (`arxivist.sources.fetch_papers`), and as a last check
none of them may be in the training sample.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from arxivist.errors import ArxivistError
from arxivist.papers import Paper, submission_month
from arxivist.params import Params, ParamsError
from arxivist.sources import fetch_papers


class OverlapError(ArxivistError):
    """Papers of the later set that are also in the training sample."""


def later_papers(params: Params, training_ids: Iterable[str]) -> list[Paper]:
    """later.categories papers of the later window from fetch.source, sorted by id; none of them
    in the training sample (`training_ids`: the ids of data/raw/papers.jsonl)."""
    training = set(training_ids)
    check_window_after(params.later.submitted_from, training)
    papers = fetch_papers(params.fetch, params.later)
    shared = sorted(paper.id for paper in papers if paper.id in training)
    if shared:
        raise OverlapError(
            f"later set: {len(shared)} of its papers are in the training sample "
            f"(first: {', '.join(shared[:5])}); it must share none"
        )
    return papers


def check_window_after(submitted_from: dt.date, training_ids: Iterable[str]) -> None:
    """Refuse a later window that does not start in a month after the newest training paper's."""
    newest = max((submission_month(arxiv_id) for arxiv_id in training_ids), default=None)
    if newest is not None and submitted_from.replace(day=1) <= newest:
        raise ParamsError(
            "later.submitted_from",
            f"{submitted_from} does not start after {newest:%Y-%m}, the submission month of the "
            "newest paper in the training sample (by its arXiv id); set it to the first day of a "
            "later month",
        )
