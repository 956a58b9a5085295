"""The `arxiv` source against a local arXiv-compatible server: paging, faults, filtering, quotas."""

import itertools
import time

import pytest

from arxivist.papers import Paper
from arxivist.params import FetchParams
from arxivist.sources.arxiv_api import ArxivFetchError, fetch_from_api
from tests.fakes.arxiv_api import FakeArxivApi, synthetic_papers

WINDOW = "submittedDate:[202401010000 TO 202412312359]"


def fetch(server: FakeArxivApi, categories: dict[str, int], **overrides: object) -> list[Paper]:
    settings = {
        "categories": categories,
        "api_url": server.url,
        "page_size": 5,
        "delay_seconds": 0.0,
        "timeout_seconds": 0.5,
        "retries": 2,
        **overrides,
    }
    return fetch_from_api(FetchParams(**settings), backoff_seconds=0)


def paper(id: str, primary: str, *others: str, published: str = "2024-03-01") -> Paper:
    return Paper(
        id=id,
        title=f"Title of {id}",
        abstract=f"Abstract of {id}.",
        primary_category=primary,
        categories=[primary, *others],
        published=published,
    )


def starts(server: FakeArxivApi) -> list[int]:
    return [int(request.params["start"]) for request in server.requests]


def test_pages_through_results_in_submission_order(arxiv_server: FakeArxivApi) -> None:
    wanted = synthetic_papers({"cs.AI": 12}, per_day=1)
    arxiv_server.add(reversed(wanted))

    assert fetch(arxiv_server, {"cs.AI": 12}) == wanted
    assert starts(arxiv_server) == [0, 5, 10]
    assert {request.params["max_results"] for request in arxiv_server.requests} == {"5"}


def test_query_sends_window_and_ascending_submission_sort(arxiv_server: FakeArxivApi) -> None:
    days = ["2023-12-31", "2024-01-01", "2024-12-31", "2025-01-01"]
    arxiv_server.add(paper(f"2401.0000{n}", "cs.AI", published=day) for n, day in enumerate(days))

    got = fetch(arxiv_server, {"cs.AI": 4})

    assert [p.published for p in got] == ["2024-01-01", "2024-12-31"]
    (request,) = arxiv_server.requests
    assert request.params["search_query"] == f"cat:cs.AI AND {WINDOW}"
    assert (request.params["sortBy"], request.params["sortOrder"]) == ("submittedDate", "ascending")


def test_stops_paging_once_the_quota_is_met(arxiv_server: FakeArxivApi) -> None:
    arxiv_server.add(synthetic_papers({"cs.AI": 20, "cs.IR": 3}))

    got = fetch(arxiv_server, {"cs.AI": 7, "cs.IR": 3})

    assert [p.primary_category for p in got] == ["cs.AI"] * 7 + ["cs.IR"] * 3
    assert starts(arxiv_server) == [0, 5, 0]


def test_keeps_configured_primaries_once_without_version(arxiv_server: FakeArxivApi) -> None:
    arxiv_server.add(
        [
            paper("2401.00001", "cs.AI", "cs.IR"),  # cross-listed: in both queries
            paper("2401.00002", "cs.LG", "cs.AI"),  # primary category not configured
            paper("2401.00003", "cs.IR", "cs.AI"),
            paper("cs/0101001", "cs.AI", published="2024-02-01"),  # old-style id
        ]
    )
    arxiv_server.add(paper("2401.00003", "cs.IR", "cs.AI"), version=2)  # listed twice

    got = fetch(arxiv_server, {"cs.AI": 5, "cs.IR": 5})

    assert [(p.id, p.primary_category) for p in got] == [
        ("cs/0101001", "cs.AI"),
        ("2401.00001", "cs.AI"),
        ("2401.00003", "cs.IR"),
    ]
    assert got[1] == paper("2401.00001", "cs.AI", "cs.IR")


def test_collapses_the_api_line_wrapping(arxiv_server: FakeArxivApi) -> None:
    (wanted,) = synthetic_papers({"cs.RO": 1})
    arxiv_server.add(wanted)

    (got,) = fetch(arxiv_server, {"cs.RO": 1})

    assert len(wanted.abstract) > 80  # so the server wraps it
    assert got == wanted


def test_paces_requests(arxiv_server: FakeArxivApi) -> None:
    arxiv_server.add(synthetic_papers({"cs.AI": 15}))

    fetch(arxiv_server, {"cs.AI": 15}, delay_seconds=0.1)

    times = [request.at for request in arxiv_server.requests]
    assert len(times) == 3
    assert all(later - earlier >= 0.1 for earlier, later in itertools.pairwise(times))


@pytest.mark.parametrize(
    ("fault", "at"),
    [(503, 2), (429, 1), ("drop", 2), ("hang", 2), ("empty", 1), ("empty", 2)],
)
def test_retries_a_transient_fault(arxiv_server: FakeArxivApi, fault: str | int, at: int) -> None:
    wanted = synthetic_papers({"cs.AI": 12})
    arxiv_server.add(wanted)
    arxiv_server.inject(fault, at=at)

    began = time.monotonic()
    got = fetch(arxiv_server, {"cs.AI": 12})

    assert got == wanted
    page = 5 * (at - 1)
    assert starts(arxiv_server) == sorted([0, 5, 10, page])
    assert arxiv_server.requests[at - 1].fault == fault
    if fault == "hang":
        assert 0.5 <= time.monotonic() - began < arxiv_server.hang_seconds


def test_gives_up_after_retries_with_backoff(arxiv_server: FakeArxivApi) -> None:
    arxiv_server.add(synthetic_papers({"cs.AI": 3}))
    arxiv_server.inject(503, times=3)
    params = FetchParams(
        categories={"cs.AI": 3}, api_url=arxiv_server.url, delay_seconds=0, retries=2
    )

    with pytest.raises(ArxivFetchError, match=r"fetch cs\.AI: .* after 3 tries: HTTP 503") as err:
        fetch_from_api(params, backoff_seconds=0.05)

    assert arxiv_server.url in str(err.value)
    first, second, third = (request.at for request in arxiv_server.requests)
    assert second - first >= 0.05
    assert third - second >= 0.1


def test_zero_results_fail_after_retries(arxiv_server: FakeArxivApi) -> None:
    arxiv_server.add(synthetic_papers({"cs.AI": 3}))

    with pytest.raises(ArxivFetchError, match=r"fetch cs\.RO: .* 3 tries: zero results") as err:
        fetch(arxiv_server, {"cs.AI": 3, "cs.RO": 1})

    assert f"query: cat:cs.RO AND {WINDOW}" in str(err.value)
    assert arxiv_server.url in str(err.value)
    assert starts(arxiv_server) == [0, 0, 0, 0]


def test_client_error_fails_at_once(arxiv_server: FakeArxivApi) -> None:
    arxiv_server.add(synthetic_papers({"cs.AI": 3}))
    arxiv_server.inject(404)

    with pytest.raises(ArxivFetchError, match=r"fetch cs\.AI: .* 1 try: HTTP 404") as err:
        fetch(arxiv_server, {"cs.AI": 3}, retries=5)

    assert arxiv_server.url in str(err.value)
    assert len(arxiv_server.requests) == 1
