"""A local stand-in for export.arxiv.org/api/query, for tests that must not touch the network.

It serves the API's Atom feeds (opensearch totals, entries with id, updated, published, title,
summary, author, links, category terms and arxiv:primary_category) from papers loaded into it, and
answers the parts of the query language the fetch stage uses:

- search_query: terms joined by `AND`, each `cat:<code>` (primary or cross-listed, as on arXiv) or
  `submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM]` (inclusive); anything else is an HTTP 400;
- start, max_results (default 10), sortBy (relevance | lastUpdatedDate | submittedDate),
  sortOrder (ascending | descending; default descending, as on arXiv).

Use it through the `arxiv_server` fixture (`pytest_plugins = ["standins.arxiv_api"]`) or, outside
pytest, as a context manager::

    with FakeArxivApi() as server:
        server.add(synthetic_papers({"cs.AI": 30, "cs.IR": 30}))
        server.inject(503)                 # the next request gets an HTTP 503
        server.inject("empty", at=3)       # the 3rd request gets a page with zero results
        ...  # point fetch.api_url at server.url
        server.requests                    # what it received, in order

Papers are `arxivist.data.papers.Paper`s; `published` (YYYY-MM-DD, default 2024-01-01) becomes the
submission time, noon UTC, and the served id gets a version suffix (`add(..., version=2)`).
`synthetic_papers` dates papers `per_day` a day; `spread(papers, first, last)` dates them evenly
over a span instead, e.g. over a year for the fetch's month-by-month `submittedDate` queries.

PYTEST_DONT_REWRITE: no asserts here, and test modules import it before pytest loads it as a plugin.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape, quoteattr

import pytest

from arxivist.data.papers import Paper

Fault = int | Literal["empty", "hang", "drop", "truncated"]
"""An HTTP status to answer with; "empty": a valid feed with zero results (how the API's transient
failures look); "hang": no answer for `hang_seconds`, then a closed connection; "drop": the
connection closed without an answer; "truncated": a 200 whose body stops halfway, then a closed
connection (the client sees a broken read, requests' ChunkedEncodingError)."""

PATH = "/api/query"
_SORT_KEYS = {"relevance", "lastUpdatedDate", "submittedDate"}
_TERM = re.compile(r"^(?:cat:(?P<cat>\S+)|submittedDate:\[(?P<lo>\d{12}) TO (?P<hi>\d{12})\])$")


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the server received: its query parameters, when, and the fault it got."""

    params: dict[str, str]
    at: float
    """time.monotonic() on arrival."""
    fault: Fault | None


@dataclass(frozen=True)
class _Entry:
    paper: Paper
    version: int
    submitted: dt.datetime


@dataclass
class FakeArxivApi:
    """An arXiv-API-compatible HTTP server on 127.0.0.1, in a background thread."""

    hang_seconds: float = 30.0
    requests: list[ReceivedRequest] = field(default_factory=list, init=False)
    _entries: list[_Entry] = field(default_factory=list, init=False)
    _faults: dict[int, Fault] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _server: ThreadingHTTPServer | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        """The query endpoint, for fetch.api_url."""
        if self._server is None:
            raise RuntimeError("FakeArxivApi is not running; use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    def add(self, papers: Paper | Iterable[Paper], *, version: int = 1) -> None:
        """Serve these papers too; an id added twice is served twice (as the API sometimes does)."""
        batch = [papers] if isinstance(papers, Paper) else list(papers)
        with self._lock:
            for paper in batch:
                day = dt.date.fromisoformat(paper.published or "2024-01-01")
                submitted = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
                self._entries.append(_Entry(paper, version, submitted))

    def inject(self, fault: Fault, *, at: int | None = None, times: int = 1) -> None:
        """Answer `times` requests with `fault`, from the `at`-th (1-based; default: the next)."""
        with self._lock:
            first = len(self.requests) + 1 if at is None else at
            for number in range(first, first + times):
                self._faults[number] = fault

    def __enter__(self) -> FakeArxivApi:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._stop.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _receive(self, params: dict[str, str]) -> Fault | None:
        with self._lock:
            fault = self._faults.pop(len(self.requests) + 1, None)
            self.requests.append(ReceivedRequest(params, time.monotonic(), fault))
        return fault

    def _answer(self, params: dict[str, str]) -> tuple[int, str]:
        """The status and body for a query: an Atom feed, or a plain-text error."""
        try:
            start = int(params.get("start", "0"))
            max_results = int(params.get("max_results", "10"))
        except ValueError:
            return 400, "start and max_results must be integers"
        sort_by = params.get("sortBy", "relevance")
        sort_order = params.get("sortOrder", "descending")
        if start < 0 or max_results < 0:
            return 400, "start and max_results must be >= 0"
        if sort_by not in _SORT_KEYS or sort_order not in {"ascending", "descending"}:
            return 400, f"unsupported sortBy={sort_by!r} or sortOrder={sort_order!r}"
        if params.get("id_list"):
            return 400, "the fake arXiv API does not support id_list"
        terms = [t.strip() for t in params.get("search_query", "").split(" AND ")]
        matches = [_TERM.match(term) for term in terms]
        if not all(matches):
            return 400, f"unsupported search_query {params.get('search_query')!r}"
        with self._lock:
            hits = [e for e in self._entries if all(_matches(e, m) for m in matches if m)]
        if sort_by != "relevance":  # relevance: insertion order
            hits.sort(key=lambda e: (e.submitted, e.paper.id))
            if sort_order == "descending":
                hits.reverse()
        return 200, _feed(params, hits, start, max_results)


def _matches(entry: _Entry, term: re.Match[str]) -> bool:
    if term["cat"]:
        return term["cat"] in _categories(entry.paper)
    return term["lo"] <= entry.submitted.strftime("%Y%m%d%H%M") <= term["hi"]


def _categories(paper: Paper) -> list[str]:
    rest = [code for code in paper.categories if code != paper.primary_category]
    return [paper.primary_category, *rest]


def _feed(params: dict[str, str], hits: list[_Entry], start: int, max_results: int) -> str:
    page = hits[start : start + max_results]
    opensearch = 'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
    entries = "".join(_entry_xml(entry) for entry in page)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f'  <link href={quoteattr("http://arxiv.org/api/query?" + _encode(params))} rel="self" '
        'type="application/atom+xml"/>\n'
        f'  <title type="html">ArXiv Query: {escape(_encode(params))}</title>\n'
        "  <id>http://arxiv.org/api/fake</id>\n"
        f"  <updated>{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}</updated>\n"
        f"  <opensearch:totalResults {opensearch}>{len(hits)}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex {opensearch}>{start}</opensearch:startIndex>\n"
        f"  <opensearch:itemsPerPage {opensearch}>{max_results}</opensearch:itemsPerPage>\n"
        f"{entries}</feed>\n"
    )


def _entry_xml(entry: _Entry) -> str:
    paper, arxiv_ns = entry.paper, 'xmlns:arxiv="http://arxiv.org/schemas/atom"'
    versioned = f"{paper.id}v{entry.version}"
    stamp = f"{entry.submitted:%Y-%m-%dT%H:%M:%SZ}"
    # The API wraps titles and abstracts over several indented lines.
    title = "\n  ".join(textwrap.wrap(paper.title, 60))
    summary = "\n".join(textwrap.wrap(paper.abstract, 80))
    categories = "".join(
        f'    <category term={quoteattr(code)} scheme="http://arxiv.org/schemas/atom"/>\n'
        for code in _categories(paper)
    )
    return (
        "  <entry>\n"
        f"    <id>http://arxiv.org/abs/{escape(versioned)}</id>\n"
        f"    <updated>{stamp}</updated>\n"
        f"    <published>{stamp}</published>\n"
        f"    <title>{escape(title)}</title>\n"
        f"    <summary>  {escape(summary)}\n</summary>\n"
        "    <author>\n      <name>A. Author</name>\n    </author>\n"
        f'    <link href="http://arxiv.org/abs/{escape(versioned)}" rel="alternate" '
        'type="text/html"/>\n'
        f'    <link title="pdf" href="http://arxiv.org/pdf/{escape(versioned)}" rel="related" '
        'type="application/pdf"/>\n'
        f"    <arxiv:primary_category {arxiv_ns} term={quoteattr(paper.primary_category)} "
        'scheme="http://arxiv.org/schemas/atom"/>\n'
        f"{categories}  </entry>\n"
    )


def _encode(params: dict[str, str]) -> str:
    return "&".join(f"{key}={value}" for key, value in params.items())


def _handler_for(api: FakeArxivApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != PATH:
                self._send(404, f"no such path {parts.path}", "text/plain")
                return
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            fault = api._receive(params)
            if fault == "hang":
                api._stop.wait(api.hang_seconds)
            if fault in ("hang", "drop"):
                self.close_connection = True
                return
            if fault == "empty":
                self._send(200, _feed(params, [], 0, 0), "application/atom+xml")
            elif fault == "truncated":
                status, body = api._answer(params)
                self._send(status, body, "application/atom+xml", cut=True)
            elif isinstance(fault, int):
                self._send(fault, f"injected HTTP {fault}", "text/plain")
            else:
                status, body = api._answer(params)
                kind = "application/atom+xml" if status == 200 else "text/plain"
                self._send(status, body, f"{kind}; charset=utf-8")

        def _send(self, status: int, body: str, content_type: str, cut: bool = False) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2] if cut else data)
            self.close_connection = cut

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: tests read `FakeArxivApi.requests` instead."""

    return Handler


def synthetic_papers(
    counts: Mapping[str, int], *, start: dt.date = dt.date(2024, 1, 1), per_day: int = 10
) -> list[Paper]:
    """`counts[code]` papers with primary category `code`, interleaved, `per_day` a day from start.

    Ids are `YYMM.NNNNN` of `start`, numbered in submission order; abstracts name their category
    and are each their own (they name the id).
    """
    codes = [
        code for n in range(max(counts.values(), default=0)) for code in counts if n < counts[code]
    ]
    return [
        Paper(
            id=f"{start:%y%m}.{number:05d}",
            title=f"Synthetic {code} paper {number}",
            abstract=(
                f"We study problem {start:%y%m}.{number:05d} in {code}. This abstract is long "
                "enough to be wrapped over several lines by the API, as real abstracts are, and "
                "says nothing else."
            ),
            primary_category=code,
            categories=[code],
            published=(start + dt.timedelta(days=(number - 1) // per_day)).isoformat(),
        )
        for number, code in enumerate(codes, start=1)
    ]


def spread(papers: Iterable[Paper], first: dt.date, last: dt.date) -> list[Paper]:
    """The papers, in their order, with publication dates spread evenly from `first` to `last`."""
    batch = list(papers)
    days, gaps = (last - first).days, max(len(batch) - 1, 1)
    return [
        replace(paper, published=(first + dt.timedelta(days=i * days // gaps)).isoformat())
        for i, paper in enumerate(batch)
    ]


@pytest.fixture
def arxiv_server() -> Iterator[FakeArxivApi]:
    """A running FakeArxivApi with no papers; stopped after the test."""
    with FakeArxivApi() as server:
        yield server
