"""The `arxiv` source: papers from the arXiv API (or a compatible server at fetch.api_url).

One query per category, ascending by submission date within the fetch window, through the `arxiv`
package's client. The package retries at once, without a timeout and without backoff, and takes a
zero-result first page for "no papers"; the client here adds a timeout on every request, retries
with exponential backoff, fails at once on a 4xx, and treats a zero-result first page as a failure
(the API answers with transient empty pages).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import arxiv
import requests
from tqdm import tqdm

from arxivist.errors import ArxivistError
from arxivist.papers import Paper, strip_version
from arxivist.params import FetchParams

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 1.0
"""The wait before the first retry; it doubles with each retry, up to BACKOFF_MAX_SECONDS."""
BACKOFF_MAX_SECONDS = 60.0
_RETRYABLE_4XX = frozenset({408, 429})


class ArxivFetchError(ArxivistError):
    """The arXiv API could not deliver a category's papers; the message names category and URL."""


def fetch_from_api(params: FetchParams, *, backoff_seconds: float = BACKOFF_SECONDS) -> list[Paper]:
    """Fetch up to fetch.categories[code] papers whose primary category is code, for each code.

    Papers come in submission order per category, without duplicates; fewer than asked for when the
    window holds fewer (the caller checks quotas). Raises ArxivFetchError when the API fails.
    """
    client = _Client(params, backoff_seconds)
    papers: list[Paper] = []
    seen: set[str] = set()
    for code, quota in params.categories.items():
        query = category_query(code, params)
        search = arxiv.Search(
            query=query,
            max_results=None,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        kept = 0
        with tqdm(total=quota, desc=f"fetch {code}", unit="paper") as progress:
            try:
                for result in client.results(search):
                    paper = _to_paper(result)
                    if paper.primary_category != code or paper.id in seen:
                        continue
                    seen.add(paper.id)
                    papers.append(paper)
                    kept += 1
                    progress.update()
                    if kept >= quota:
                        break
            except _PageError as err:
                raise ArxivFetchError(
                    f"fetch {code}: the arXiv API failed after {err.tries} "
                    f"{'try' if err.tries == 1 else 'tries'}: {err.problem}\n"
                    f"  query: {query}\n  URL: {err.url}"
                ) from None
    return papers


def category_query(code: str, params: FetchParams) -> str:
    """The API query for one category's papers submitted within the fetch window (whole days)."""
    start = params.submitted_from.strftime("%Y%m%d")
    end = params.submitted_to.strftime("%Y%m%d")
    return f"cat:{code} AND submittedDate:[{start}0000 TO {end}2359]"


def _to_paper(result: arxiv.Result) -> Paper:
    return Paper(
        id=strip_version(result.get_short_id()),
        title=" ".join(result.title.split()),
        abstract=" ".join(result.summary.split()),
        primary_category=result.primary_category,
        categories=list(result.categories),
        published=result.published.date().isoformat(),
    )


class _PageError(Exception):
    """A page that could not be fetched; fetch_from_api adds the category and query."""

    def __init__(self, url: str, problem: str, tries: int) -> None:
        super().__init__(problem)
        self.url = url
        self.problem = problem
        self.tries = tries


class _TimeoutSession(requests.Session):
    """A session whose requests time out after `timeout` seconds unless told otherwise."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


class _Client(arxiv.Client):
    """arxiv.Client against fetch.api_url, with timeouts, backoff and strict empty-page handling."""

    def __init__(self, params: FetchParams, backoff_seconds: float) -> None:
        # num_retries=0: the package makes one try per call to _parse_feed; retries happen here.
        super().__init__(
            page_size=params.page_size, delay_seconds=params.delay_seconds, num_retries=0
        )
        self.query_url_format = params.api_url + "?{}"
        self._session = _TimeoutSession(params.timeout_seconds)
        self.retries = params.retries
        self.backoff_seconds = backoff_seconds

    def _parse_feed(
        self, url: str, first_page: bool = True, _try_index: int = 0
    ) -> arxiv.ParsedFeed:
        tries = self.retries + 1
        for attempt in range(tries):
            if attempt:
                time.sleep(min(self.backoff_seconds * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS))
            try:
                feed = super()._parse_feed(url, first_page=first_page, _try_index=attempt)
            except arxiv.HTTPError as err:
                if err.status < 500 and err.status not in _RETRYABLE_4XX:
                    raise _PageError(url, f"HTTP {err.status} (not retried)", attempt + 1) from err
                problem = f"HTTP {err.status}"
            except arxiv.UnexpectedEmptyPageError:
                problem = "an empty page in the middle of the results"
            except (requests.ConnectionError, requests.Timeout) as err:
                problem = f"{type(err).__name__}: {err}"
            else:
                if feed.results or not first_page:
                    return feed
                problem = (
                    "zero results on the first page; check the category and the "
                    "fetch.submitted_from/submitted_to window, or retry later "
                    "(the API sometimes answers with transient empty pages)"
                )
            logger.warning(
                "arXiv API try %d of %d failed: %s (%s)", attempt + 1, tries, problem, url
            )
        raise _PageError(url, problem, tries)
