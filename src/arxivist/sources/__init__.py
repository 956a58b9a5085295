"""Where papers come from: the live arXiv API or a bulk-metadata snapshot."""

from __future__ import annotations

from arxivist.papers import Paper, check_quotas, sort_papers
from arxivist.params import FetchParams


def fetch_papers(params: FetchParams) -> list[Paper]:
    """The configured papers, sorted by id; fails when a category falls short of its quota."""
    if params.source == "snapshot":
        from arxivist.sources.snapshot import read_snapshot

        papers = read_snapshot(str(params.snapshot_path), params.categories)
    else:
        from arxivist.sources.arxiv_api import fetch_from_api

        papers = fetch_from_api(params)
    check_quotas(papers, params.categories, params.allow_short)
    return sort_papers(papers)
