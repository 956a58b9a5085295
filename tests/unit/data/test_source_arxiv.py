"""The `arxiv` source against a local arXiv-compatible server: paging, faults, filtering, quotas,
and a sample spread over the months of the window."""

import datetime as dt
import itertools
import time
from collections import Counter
from dataclasses import replace

import pytest

from arxivist.data.fetching import fetch_papers
from arxivist.data.papers import NotEnoughPapers, Paper
from arxivist.data.sources.arxiv_api import ArxivFetchError, allot, fetch_from_api, months_of
from arxivist.data.sources.query import Window
from arxivist.params import FetchParams
from standins.arxiv_api import FakeArxivApi, spread, synthetic_papers

# Paging, faults and filtering are tested in a one-month window: one query per category.
WINDOW = "submittedDate:[202401010000 TO 202401312359]"
YEAR = {"submitted_from": dt.date(2024, 1, 1), "submitted_to": dt.date(2024, 12, 31)}
MONTHS = [f"2024-{month:02d}" for month in range(1, 13)]


def settings(server: FakeArxivApi, categories: dict[str, int], **overrides: object) -> FetchParams:
    values = {
        "categories": categories,
        "submitted_to": dt.date(2024, 1, 31),
        "api_url": server.url,
        "page_size": 5,
        "delay_seconds": 0.0,
        "timeout_seconds": 0.5,
        "retries": 2,
        **overrides,
    }
    return FetchParams(**values)


def fetch(server: FakeArxivApi, categories: dict[str, int], **overrides: object) -> list[Paper]:
    return fetch_from_api(settings(server, categories, **overrides), backoff_seconds=0).papers


def paper(id: str, primary: str, *others: str, published: str = "2024-01-15") -> Paper:
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
    days = ["2023-12-31", "2024-01-01", "2024-01-31", "2024-02-01"]
    arxiv_server.add(paper(f"2401.0000{n}", "cs.AI", published=day) for n, day in enumerate(days))

    got = fetch(arxiv_server, {"cs.AI": 4})

    assert [p.published for p in got] == ["2024-01-01", "2024-01-31"]
    (request,) = arxiv_server.requests
    assert request.params["search_query"] == f"cat:cs.AI AND {WINDOW}"
    assert (request.params["sortBy"], request.params["sortOrder"]) == ("submittedDate", "ascending")


def test_stops_paging_once_the_quota_is_met(arxiv_server: FakeArxivApi) -> None:
    arxiv_server.add(synthetic_papers({"cs.AI": 20, "cs.IR": 3}))

    got = fetch(arxiv_server, {"cs.AI": 7, "cs.IR": 3})

    assert Counter(p.primary_category for p in got) == {"cs.AI": 7, "cs.IR": 3}
    assert starts(arxiv_server) == [0, 5, 0]


def test_keeps_configured_primaries_once_without_version(arxiv_server: FakeArxivApi) -> None:
    arxiv_server.add(
        [
            paper("2401.00001", "cs.AI", "cs.IR"),  # cross-listed: in both queries
            paper("2401.00002", "cs.LG", "cs.AI"),  # primary category not configured
            paper("2401.00003", "cs.IR", "cs.AI"),
            paper("cs/0101001", "cs.AI", published="2024-01-02"),  # old-style id
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


def test_keeps_the_newest_version_and_each_abstract_text_once(arxiv_server: FakeArxivApi) -> None:
    """The API may list a paper twice; the later of two papers of one text, and an abstract
    without words, are dropped and counted, and the quota check names the shortfall."""
    first, second, copy, wordless, last = (paper(f"2401.0000{n}", "cs.AI") for n in range(1, 6))
    copy = replace(copy, abstract=first.abstract.upper())
    wordless = replace(wordless, abstract="$\\,$ {} $$")
    arxiv_server.add([first, second, copy, wordless, last])
    arxiv_server.add(replace(second, abstract="The second version."), version=2)

    sample = fetch_from_api(settings(arxiv_server, {"cs.AI": 5}), backoff_seconds=0)

    assert [(p.id, p.abstract) for p in sample.papers] == [
        (first.id, first.abstract),
        (second.id, "The second version."),
        (last.id, last.abstract),
    ]
    assert {kind: (t.count, t.examples) for kind, t in sample.tallies.items() if t.count} == {
        "versions_collapsed": (1, ["2401.00002: v2 kept, v1 dropped"]),
        "duplicate_texts": (1, ["2401.00003 (same text as 2401.00001)"]),
        "wordless_abstracts": (1, ["2401.00004"]),
    }
    with pytest.raises(NotEnoughPapers, match=r"cs\.AI: 3 of 5"):
        fetch_papers(settings(arxiv_server, {"cs.AI": 5}))


def test_an_id_that_is_no_arxiv_id_is_refused_naming_it(arxiv_server: FakeArxivApi) -> None:
    arxiv_server.add(paper("2413.00001", "cs.AI", published="2024-01-02"))
    with pytest.raises(
        ArxivFetchError,
        match=r"^fetch cs\.AI: the arXiv API served a bad id: '2413\.00001v1' is not an arXiv "
        r"id: 13 is no month \(YYMM\)$",
    ):
        fetch(arxiv_server, {"cs.AI": 1})


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
    [(503, 2), (429, 1), ("drop", 2), ("hang", 2), ("empty", 1), ("empty", 2), ("truncated", 2)],
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


def year_of(counts: dict[str, int]) -> list[Paper]:
    """synthetic_papers(counts), dated evenly over 2024."""
    return spread(synthetic_papers(counts), dt.date(2024, 1, 1), dt.date(2024, 12, 31))


def month_of(paper: Paper) -> str:
    return (paper.published or "")[:7]


def test_quotas_follow_the_days_of_each_month_and_sum_to_the_quota() -> None:
    months = months_of(dt.date(2024, 1, 20), dt.date(2024, 3, 10))

    assert months == [
        Window(dt.date(2024, 1, 20), dt.date(2024, 1, 31)),
        Window(dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        Window(dt.date(2024, 3, 1), dt.date(2024, 3, 10)),
    ]
    assert allot(10, [month.days for month in months]) == [2, 6, 2]  # 2.35, 5.69, 1.96
    assert allot(1, [31, 29, 31]) == [1, 0, 0]  # ties go to the earliest
    year = [month.days for month in months_of(dt.date(2024, 1, 1), dt.date(2024, 12, 31))]
    assert all(sum(allot(n, year)) == n for n in (1, 11, 100, 1000, 1001))


def test_sample_spreads_each_class_over_every_month_of_the_window(
    arxiv_server: FakeArxivApi,
) -> None:
    year = year_of({"cs.AI": 365, "cs.IR": 365})
    arxiv_server.add(year)
    wanted = {"cs.AI": 60, "cs.IR": 24}

    got = fetch(arxiv_server, wanted, **YEAR)

    for code, n in wanted.items():
        sample = [p for p in got if p.primary_category == code]
        assert Counter(map(month_of, sample)) == dict.fromkeys(MONTHS, n // 12)
        for month in MONTHS:  # each month's first papers by submission date
            served = [p for p in year if p.primary_category == code and month_of(p) == month]
            assert [p for p in sample if month_of(p) == month] == served[: n // 12]
    queries = [request.params["search_query"] for request in arxiv_server.requests]
    assert len(queries) == 24  # one a month and category: each share fits a page of 5
    assert "cat:cs.IR AND submittedDate:[202402010000 TO 202402292359]" in queries
    with FakeArxivApi() as shuffled:  # the same papers, added in another order
        shuffled.add(reversed(year))
        assert fetch(shuffled, wanted, **YEAR) == got


def test_a_sparse_month_gives_its_shortfall_to_the_other_months(
    arxiv_server: FakeArxivApi,
) -> None:
    year = year_of({"cs.AI": 365})
    served = [p for p in year if month_of(p) != "2024-03" or p.published < "2024-03-03"]
    arxiv_server.add(served)

    got = fetch(arxiv_server, {"cs.AI": 60}, **YEAR)

    # March has 2 of its 5; the 3 left go to the longest open months, ties to the earliest.
    extra = {"2024-01": 6, "2024-03": 2, "2024-05": 6, "2024-07": 6}
    assert Counter(map(month_of, got)) == {**dict.fromkeys(MONTHS, 5), **extra}
    assert len({p.id for p in got}) == 60
    # A window that holds fewer than asked for: all of it, and allow_short decides.
    everything = fetch(arxiv_server, {"cs.AI": 400}, page_size=100, **YEAR)
    assert sorted(p.id for p in everything) == sorted(p.id for p in served)
    short = settings(arxiv_server, {"cs.AI": 400}, page_size=100, **YEAR)
    with pytest.raises(NotEnoughPapers, match=rf"cs\.AI: {len(served)} of 400"):
        fetch_papers(short)
    allowed = fetch_papers(settings(arxiv_server, {"cs.AI": 400}, allow_short=True, **YEAR))
    assert allowed == sorted(served, key=lambda p: p.id)


def test_an_empty_month_fails_naming_its_query(arxiv_server: FakeArxivApi) -> None:
    arxiv_server.add(p for p in year_of({"cs.AI": 365}) if month_of(p) != "2024-03")

    with pytest.raises(ArxivFetchError, match=r"fetch cs\.AI: .* 3 tries: zero results") as err:
        fetch(arxiv_server, {"cs.AI": 60}, **YEAR)

    assert "query: cat:cs.AI AND submittedDate:[202403010000 TO 202403312359]" in str(err.value)
