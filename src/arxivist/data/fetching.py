"""The sample fetch.source names, from the arXiv API or a snapshot (arxivist.data.sources), checked
against its quotas; the source's module is imported only when it is the one named."""

from __future__ import annotations

from collections.abc import Callable

from arxivist.data.dedup import Sample
from arxivist.data.papers import Paper, check_quotas, sort_papers, submission_month
from arxivist.params import FetchParams, LaterParams


def fetch_sample(
    params: FetchParams, later: LaterParams | None = None, exclude: frozenset[str] | None = None
) -> Sample:
    """The configured papers from fetch.source, in submission order, with the counts of what
    arxivist.data.dedup's rules changed (logged); fails when a category falls short of its quota
    (unless allow_short).

    The training sample (fetch.*) by default; with `later`, the later set (later.*): from the API,
    its window and counts; from a snapshot, the first papers in submission order among those whose
    id month (the submission month) is within its window, where the training sample takes the
    first. `exclude`: normalised abstract texts no paper may have (the training sample's).
    """
    wanted, key = (later, "later") if later else (params, "fetch")
    if params.source == "snapshot":
        from arxivist.data.sources.snapshot import read_snapshot

        keep = _submitted_within(later) if later else None
        sample = read_snapshot(str(params.snapshot_path), wanted.categories, keep, exclude)
    else:
        from arxivist.data.sources.arxiv_api import fetch_from_api

        sample = fetch_from_api(params, wanted, key=key, exclude=exclude)
    sample.log(key)
    check_quotas(sample.papers, wanted.categories, wanted.allow_short, key)
    return Sample(sort_papers(sample.papers), sample.tallies)


def fetch_papers(params: FetchParams, later: LaterParams | None = None) -> list[Paper]:
    """fetch_sample's papers."""
    return fetch_sample(params, later).papers


def _submitted_within(later: LaterParams) -> Callable[[Paper], bool]:
    """Whether a paper's id month is within later's window, both ends' months included."""
    first, last = later.submitted_from.replace(day=1), later.submitted_to.replace(day=1)
    return lambda paper: first <= submission_month(paper.id) <= last
