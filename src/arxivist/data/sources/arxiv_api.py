"""The `arxiv` source: papers from the arXiv API (or a compatible server at fetch.api_url).

A sample spread over the whole window (fetch's, or the later set's), not its first days: the window
is cut into calendar months (the first and last clipped to it), each category's quota is shared out
among them in proportion to their days (`allot`), and a month's share is its first papers by
submission date, from one query per month (`cat:<code> AND submittedDate:[<first> TO <last>]`,
ascending). A month that runs out gives its shortfall back, shared out the same way among the months
that still have papers, until the quota is met or every month has run out (then the caller's quota
check and allow_short decide). The same params and server answers give the same sample.

Requests go through the `arxiv` package's client. The package retries at once, without a timeout and
without backoff, and takes a zero-result first page for "no papers"; the client here adds a timeout
on every request, retries with exponential backoff, fails at once on a 4xx, and treats a zero-result
first page as a failure (the API answers with transient empty pages), so a month without a single
paper of a category that gets a share fails too, naming the month's query.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

import arxiv
import requests
from tqdm import tqdm

from arxivist.data.dedup import IdBook, Sample, Selection, choose
from arxivist.data.papers import ArxivId, BadArxivId, Paper, parse_id
from arxivist.data.sources.query import Window, window_query
from arxivist.errors import ArxivistError
from arxivist.params import FetchParams, LaterParams

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 1.0
"""The wait before the first retry; it doubles with each retry, up to BACKOFF_MAX_SECONDS."""
BACKOFF_MAX_SECONDS = 60.0
_RETRYABLE_4XX = frozenset({408, 429})


class ArxivFetchError(ArxivistError):
    """The arXiv API could not deliver a category's papers; the message names category and URL."""


def fetch_from_api(
    params: FetchParams,
    wanted: FetchParams | LaterParams | None = None,
    *,
    key: str = "fetch",
    backoff_seconds: float = BACKOFF_SECONDS,
    exclude: frozenset[str] | None = None,
) -> Sample:
    """Fetch up to wanted.categories[code] papers whose primary category is code, for each code,
    submitted from wanted.submitted_from to wanted.submitted_to.

    `wanted` is the sample: fetch's own (the default) or the later set's, whose params section
    `key` names in messages; `params` gives the server and how politely to ask it. Papers come
    per category in submission order, spread over the months of the window, each id once (its
    newest version served); then arxivist.data.dedup's rules drop a repeated abstract text, one
    without words and (given `exclude`) one whose text is in it, so fewer than asked for may remain,
    as when the window holds fewer (the caller checks quotas). Raises ArxivFetchError when the API
    fails.
    """
    wanted = wanted or params
    client = _Client(params, backoff_seconds, key)
    months = months_of(wanted.submitted_from, wanted.submitted_to)
    papers: list[Paper] = []
    ids = IdBook()
    for code, quota in wanted.categories.items():
        streams = {month: _stream(client, code, month, ids) for month in months}
        with tqdm(total=quota, desc=f"{key} {code}", unit="paper") as progress:
            papers += _sample(key, code, streams, quota, progress)
    newest = (ids.winner(paper.id) for paper in papers)
    return choose(newest, ids, Selection(wanted.categories, exclude))


def months_of(first: dt.date, last: dt.date) -> list[Window]:
    """The calendar months from `first` to `last`, the first and last clipped to them."""
    months = []
    while first <= last:
        next_month = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        months.append(Window(first, min(next_month - dt.timedelta(days=1), last)))
        first = next_month
    return months


def allot(total: int, weights: Sequence[int]) -> list[int]:
    """`total` shared out in proportion to positive `weights`, in whole numbers that sum to it.

    Each gets the floor of its exact share; the units left go to the largest remainders, ties to
    the earliest (largest-remainder apportionment, in integers, so the same on every machine).
    """
    whole = sum(weights)
    shares = [total * weight // whole for weight in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _sample(
    key: str, code: str, streams: dict[Window, Iterator[Paper]], quota: int, progress: tqdm
) -> list[Paper]:
    """Up to `quota` papers, each month's share by `allot` from its stream, in month order.

    A month that runs short is closed and the papers still wanted are shared out again among the
    open months; each round meets the quota or closes a month, so the rounds end.
    """
    taken: dict[Window, list[Paper]] = {month: [] for month in streams}
    open_months, wanted = list(streams), quota
    while wanted and open_months:
        shares = allot(wanted, [month.days for month in open_months])
        for month, share in zip(list(open_months), shares, strict=True):
            got = list(itertools.islice(streams[month], share))
            taken[month] += got
            wanted -= len(got)
            progress.update(len(got))
            if len(got) < share:
                open_months.remove(month)
                logger.info(
                    "%s %s: %s to %s ran out at %d of its %d; the other months share the rest",
                    key,
                    code,
                    month.first,
                    month.last,
                    len(got),
                    share,
                )
    return [paper for papers in taken.values() for paper in papers]


def _stream(client: _Client, code: str, month: Window, ids: IdBook) -> Iterator[Paper]:
    """The month's papers with primary category `code`, by submission date, each id once (the
    first served; `ids` notes a newer version served later).

    Lazy: the first request goes out when the first paper is asked for.
    """
    query = window_query(code, month)
    search = arxiv.Search(
        query=query,
        max_results=None,
        sort_by=arxiv.SortCriterion.SubmittedDate,
        sort_order=arxiv.SortOrder.Ascending,
    )
    try:
        for result in client.results(search):
            raw_id = result.get_short_id()
            parsed = _parse_id(client.key, code, raw_id)
            paper = _to_paper(result, parsed.id)
            version = parsed.version or 1
            if paper.primary_category == code and ids.offer(raw_id, parsed, version, paper):
                yield paper
    except _PageError as err:
        raise ArxivFetchError(
            f"{client.key} {code}: the arXiv API failed after {err.tries} "
            f"{'try' if err.tries == 1 else 'tries'}: {err.problem}\n"
            f"  query: {query}\n  URL: {err.url}"
        ) from None


def _parse_id(key: str, code: str, raw_id: str) -> ArxivId:
    try:
        return parse_id(raw_id)
    except BadArxivId as err:
        raise ArxivFetchError(f"{key} {code}: the arXiv API served a bad id: {err}") from None


def _to_paper(result: arxiv.Result, arxiv_id: str) -> Paper:
    return Paper(
        id=arxiv_id,
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


# Network failures worth another try: no connection, no answer in time, an answer cut off mid-body
# (a dropped chunked or short read) or one that does not decode.
_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


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

    def __init__(self, params: FetchParams, backoff_seconds: float, key: str) -> None:
        # num_retries=0: the package makes one try per call to _parse_feed; retries happen here.
        super().__init__(
            page_size=params.page_size, delay_seconds=params.delay_seconds, num_retries=0
        )
        self.query_url_format = params.api_url + "?{}"
        self._session = _TimeoutSession(params.timeout_seconds)
        self.retries = params.retries
        self.backoff_seconds = backoff_seconds
        self.key = key  # the params section whose sample this is: fetch or later

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
            except _TRANSIENT as err:
                problem = f"{type(err).__name__}: {err}"
            else:
                if feed.results or not first_page:
                    return feed
                problem = (
                    "zero results on the first page; check the category and the "
                    f"{self.key}.submitted_from/submitted_to window, or retry later "
                    "(the API sometimes answers with transient empty pages)"
                )
            logger.warning(
                "arXiv API try %d of %d failed: %s (%s)", attempt + 1, tries, problem, url
            )
        raise _PageError(url, problem, tries)
