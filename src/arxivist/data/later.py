"""The later set: papers submitted after the training sample, disjoint from it by construction.

Its window (later.submitted_from .. submitted_to) must start in a month after the submission month
of the training sample's newest paper, read from its arXiv id (YYMM). The papers come from
fetch.source as the training sample's do (`arxivist.data.fetching.fetch_sample`), without a paper
whose normalised abstract text is in the training sample (dropped while choosing, counted), and as a
last check none of them may be in the training sample by id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from arxivist.data.dedup import Sample, normalized_text
from arxivist.data.fetching import fetch_sample
from arxivist.data.papers import Paper, submission_month
from arxivist.errors import ArxivistError
from arxivist.params import Params, ParamsError


class OverlapError(ArxivistError):
    """Papers of the later set that are also in the training sample."""


def later_sample(params: Params, training: Iterable[Paper]) -> Sample:
    """later.categories papers of the later window from fetch.source, in submission order, with
    the counts of what was dropped; none of them in the training sample (`training`: the papers
    of data/raw/papers.jsonl), by id or by normalised abstract text."""
    training = list(training)
    ids = {paper.id for paper in training}
    check_window_after(params.later.submitted_from, ids)
    texts = frozenset(normalized_text(paper.abstract) for paper in training)
    sample = fetch_sample(params.fetch, params.later, exclude=texts)
    shared = sorted(paper.id for paper in sample.papers if paper.id in ids)
    if shared:
        raise OverlapError(
            f"later set: {len(shared)} of its papers are in the training sample "
            f"(first: {', '.join(shared[:5])}); it must share none"
        )
    return sample


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
