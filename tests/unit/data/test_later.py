"""The later set: papers submitted after the training sample, from either source, never one of
the training sample's papers; the stage refuses a window that overlaps the sample, and writes
nothing when it fails."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from arxivist.atomic import write_jsonl
from arxivist.data.fetching import fetch_papers
from arxivist.data.later import OverlapError, later_sample
from arxivist.data.papers import BadArxivId, NotEnoughPapers, Paper, submission_month
from arxivist.params import Params, ParamsError, params_from_dict
from standins.arxiv_api import FakeArxivApi, spread, synthetic_papers
from standins.corpus import snapshot_records, write_snapshot
from standins.workspace import dvc, git, make_workspace

ROOT = Path(__file__).resolve().parents[3]
CODES = ("cs.AI", "cs.IR", "cs.RO")


@pytest.mark.parametrize(
    ("arxiv_id", "month"),
    [
        ("2501.01234", dt.date(2025, 1, 1)),
        ("2512.00001v3", dt.date(2025, 12, 1)),
        ("0704.0001", dt.date(2007, 4, 1)),  # the first new-style id, four digits until 2014
        ("cs/0112017", dt.date(2001, 12, 1)),
        ("math.GT/0309136v2", dt.date(2003, 9, 1)),
        ("hep-th/9901001", dt.date(1999, 1, 1)),
        ("2509.197", dt.date(2025, 9, 1)),  # 2509.19700 through a float column, as in real data
    ],
)
def test_submission_month_of_new_and_old_style_ids(arxiv_id: str, month: dt.date) -> None:
    assert submission_month(arxiv_id) == month


@pytest.mark.parametrize(
    "arxiv_id", ["2513.00001", "25.01234", "2501.", "2501.123456", "paper-1", "cs/01120", ""]
)
def test_submission_month_refuses_what_is_not_an_arxiv_id(arxiv_id: str) -> None:
    with pytest.raises(BadArxivId, match="is not an arXiv id"):
        submission_month(arxiv_id)


# A snapshot whose ids say their month: the training sample takes the first by id (January 2024);
# later windows pick among December 2024, then January, March and May 2025.
MONTHS = {"2401": 5, "2412": 2, "2501": 2, "2503": 3, "2505": 3}


def snapshot(tmp_path: Path, months: dict[str, int] = MONTHS) -> Path:
    records, start = [], 1
    for month, n in months.items():
        records += snapshot_records({**dict.fromkeys(CODES, n), "cs.CV": 1}, start, month)
        start += 3 * n + 1
    return write_snapshot(tmp_path / "snapshot.jsonl", list(reversed(records)))


def snapshot_params(path: Path, training: int = 5, **later: Any) -> Params:
    return params_from_dict(
        {
            "fetch": {
                "source": "snapshot",
                "snapshot_path": str(path),
                "categories": dict.fromkeys(CODES, training),
            },
            "later": {
                "categories": dict.fromkeys(CODES, 4),
                "submitted_from": "2025-01-01",
                "submitted_to": "2025-03-31",
                **later,
            },
        }
    )


def ids_by_code(papers: list[Paper]) -> dict[str, list[str]]:
    return {code: [p.id for p in papers if p.primary_category == code] for code in CODES}


def test_snapshot_later_set_is_the_first_by_id_within_the_window(tmp_path: Path) -> None:
    params = snapshot_params(snapshot(tmp_path), submitted_from="2025-01-15")  # month granularity
    training = fetch_papers(params.fetch)
    papers = later_sample(params, training).papers
    by_code = ids_by_code(papers)
    assert {code: len(ids) for code, ids in by_code.items()} == dict.fromkeys(CODES, 4)
    for ids in by_code.values():  # both January papers, then the first two of March
        assert [i[:4] for i in ids] == ["2501", "2501", "2503", "2503"]
        assert ids == sorted(ids)
    assert [p.id for p in papers] == sorted(p.id for p in papers)
    assert not {p.id for p in papers} & {p.id for p in training}


def test_snapshot_later_set_short_fails_naming_counts_unless_allowed(tmp_path: Path) -> None:
    path = snapshot(tmp_path)
    wanted = {"cs.AI": 6, "cs.IR": 5, "cs.RO": 4}  # January and March hold 5 of each
    params = snapshot_params(path, categories=wanted)
    training = fetch_papers(params.fetch)
    with pytest.raises(NotEnoughPapers, match=r"later\.categories.*cs\.AI: 5 of 6") as caught:
        later_sample(params, training)
    assert "cs.IR" not in str(caught.value)
    assert "later.allow_short" in str(caught.value)
    allowed = later_sample(snapshot_params(path, categories=wanted, allow_short=True), training)
    allowed = allowed.papers
    assert Counter(p.primary_category for p in allowed) == {"cs.AI": 5, "cs.IR": 5, "cs.RO": 4}


def test_a_later_paper_with_a_training_text_is_dropped_counted_and_replaced(
    tmp_path: Path,
) -> None:
    """The training sample's texts are dropped while choosing: the next papers fill the quota."""
    records = snapshot_records(dict.fromkeys(CODES, 3))
    later = snapshot_records(dict.fromkeys(CODES, 3), month="2501")
    later[0]["abstract"] = records[2]["abstract"].upper()  # cs.AI: the same text once normalised
    later[4]["abstract"] = records[0]["abstract"]  # cs.IR's second, a cs.AI training text
    path = write_snapshot(tmp_path / "s.jsonl", records + later)
    params = snapshot_params(path, training=3, categories=dict.fromkeys(CODES, 2))
    training = fetch_papers(params.fetch)

    sample = later_sample(params, training)

    assert ids_by_code(sample.papers) == {
        "cs.AI": ["2501.00002", "2501.00003"],
        "cs.IR": ["2501.00004", "2501.00006"],
        "cs.RO": ["2501.00007", "2501.00008"],
    }
    assert sample.report()["training_texts"] == {
        "count": 2,
        "examples": ["2501.00001", "2501.00005"],
    }
    params = snapshot_params(path, training=3, categories=dict.fromkeys(CODES, 3))
    with pytest.raises(NotEnoughPapers, match=r"cs\.AI: 2 of 3, cs\.IR: 2 of 3"):
        later_sample(params, training)


def test_a_window_that_does_not_start_after_the_training_sample_is_refused(
    tmp_path: Path,
) -> None:
    path = snapshot(tmp_path)
    params = snapshot_params(path, training=8)  # 5 of January 2024, 2 of December, 1 of January
    training = fetch_papers(params.fetch)
    with pytest.raises(ParamsError, match=r"later\.submitted_from: 2025-01-01 .* 2025-01,") as err:
        later_sample(params, training)
    assert err.value.key == "later.submitted_from"
    params = snapshot_params(
        path, training=8, submitted_from="2025-02-01", categories=dict.fromkeys(CODES, 3)
    )
    assert {p.id[:4] for p in later_sample(params, training).papers} == {"2503"}


def test_snapshot_later_set_never_shares_a_paper_with_the_training_sample(tmp_path: Path) -> None:
    """Every training sample size against every window that the stage accepts."""
    path = snapshot(tmp_path)
    for training_size in range(1, 16):
        training = fetch_papers(snapshot_params(path, training_size).fetch)
        newest = max(submission_month(p.id) for p in training)
        for month in ("2024-02", "2025-01", "2025-02", "2025-04"):
            start = dt.date.fromisoformat(f"{month}-01")
            if start <= newest:
                continue
            window = {"submitted_from": str(start), "submitted_to": "2025-12-31"}
            params = snapshot_params(path, training_size, allow_short=True, **window)
            later = later_sample(params, training).papers
            assert later, (training_size, month)
            assert not {p.id for p in later} & {p.id for p in training}, (training_size, month)


def api_params(server: FakeArxivApi, **later: Any) -> Params:
    polite = {"page_size": 5, "delay_seconds": 0.0, "timeout_seconds": 2.0, "retries": 0}
    return params_from_dict(
        {
            "fetch": {
                "api_url": server.url,
                "categories": dict.fromkeys(CODES, 6),
                "submitted_from": "2024-10-01",
                "submitted_to": "2024-12-31",
                **polite,
            },
            "later": {
                "categories": dict.fromkeys(CODES, 6),
                "submitted_from": "2025-01-01",
                "submitted_to": "2025-03-31",
                **later,
            },
        }
    )


def test_api_later_set_never_shares_a_paper_with_the_training_sample(
    arxiv_server: FakeArxivApi,
) -> None:
    """Training sample and later set from one local arXiv server that holds papers of both
    windows (some served twice, as the API does)."""
    before = synthetic_papers(dict.fromkeys(CODES, 12), start=dt.date(2024, 10, 1))
    after = synthetic_papers(dict.fromkeys(CODES, 12), start=dt.date(2025, 1, 1))
    arxiv_server.add(spread(before, dt.date(2024, 10, 1), dt.date(2024, 12, 31)))
    after = spread(after, dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    arxiv_server.add(after, version=2)
    arxiv_server.add(after[::5], version=3)
    params = api_params(arxiv_server)

    training = fetch_papers(params.fetch)
    asked = len(arxiv_server.requests)
    later = later_sample(params, training).papers

    assert Counter(p.primary_category for p in later) == dict.fromkeys(CODES, 6)
    assert not {p.id for p in later} & {p.id for p in training}
    assert all("2025-01-01" <= p.published <= "2025-03-31" for p in later)
    assert [p.id for p in later] == sorted(p.id for p in later)
    queries = [r.params["search_query"] for r in arxiv_server.requests[asked:]]
    assert queries and all("submittedDate:[2025" in query for query in queries), queries


def test_api_later_paper_with_a_training_text_is_dropped_and_counted(
    arxiv_server: FakeArxivApi,
) -> None:
    """From the API the later set is filtered after fetching: the quota check names the
    shortfall (allow_short keeps what is left)."""
    wanted = {"categories": dict.fromkeys(CODES, 2), "submitted_to": "2025-01-31"}
    params = api_params(arxiv_server, allow_short=True, **wanted)
    trained = Paper("2412.00009", "T", "A text seen in training.", "cs.AI", ["cs.AI"])
    later = [
        Paper(f"2501.0000{i}", "T", f"Later abstract {i}.", code, [code], "2025-01-03")
        for i, code in enumerate([*CODES, *CODES], start=1)
    ]
    later[3] = replace(later[3], abstract=trained.abstract)
    arxiv_server.add(later)

    sample = later_sample(params, [trained])

    ids = [p.id for p in sample.papers]
    assert ids == ["2501.00001", "2501.00002", "2501.00003", "2501.00005", "2501.00006"]
    assert sample.report()["training_texts"] == {"count": 1, "examples": ["2501.00004"]}


def test_api_later_paper_in_the_training_sample_is_refused(arxiv_server: FakeArxivApi) -> None:
    """The last check: a paper whose id month is before its submission date (2412.00001,
    submitted 2025-01-02) in both samples is caught, naming it, also when its abstract changed
    (so that the text filter does not drop it first)."""
    params = api_params(arxiv_server, categories=dict.fromkeys(CODES, 1))
    straddler = Paper("2412.00001", "T", "Its second abstract.", "cs.AI", ["cs.AI"], "2025-01-02")
    others = [
        Paper(f"2501.0000{i}", "T", f"Abstract {i}.", code, [code], "2025-01-03")
        for i, code in enumerate(CODES[1:], start=2)
    ]
    arxiv_server.add([straddler, *others])
    older = Paper("2411.00007", "T", "An older paper.", "cs.AI", ["cs.AI"], "2024-11-05")
    first_version = replace(straddler, abstract="Its first abstract.")
    with pytest.raises(OverlapError, match=r"1 of its papers .*2412\.00001"):
        later_sample(params, [first_version, older])
    assert [p.id for p in later_sample(params, [older]).papers] == [
        "2412.00001",
        *(p.id for p in others),
    ]


# dvc.yaml's paths for the later stage: the training sample, the later set, its report.
STAGE_PATHS = ("data/raw/papers.jsonl", "data/later/papers.jsonl", "reports/later/papers.json")


def run_stage(workdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    return subprocess.run(
        [sys.executable, "-m", "stages.later", *STAGE_PATHS],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with a snapshot, params.yaml and the training sample the fetch stage wrote."""
    params = {
        "fetch": {
            "source": "snapshot",
            "snapshot_path": str(snapshot(tmp_path)),
            "categories": dict.fromkeys(CODES, 5),
        },
        "later": {
            "categories": dict.fromkeys(CODES, 4),
            "submitted_from": "2025-01-01",
            "submitted_to": "2025-12-31",
        },
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    training = fetch_papers(params_from_dict(params).fetch)
    write_jsonl(tmp_path / "data" / "raw" / "papers.jsonl", (p.to_record() for p in training))
    return tmp_path


def test_stage_writes_the_later_set_as_the_training_sample_is_written(workdir: Path) -> None:
    done = run_stage(workdir)
    assert done.returncode == 0, done.stderr
    raw = [json.loads(line) for line in (workdir / "data/raw/papers.jsonl").open()]
    later = [json.loads(line) for line in (workdir / "data/later/papers.jsonl").open()]
    assert len(later) == 12
    assert {tuple(record) for record in later} == {tuple(raw[0])}
    assert [r["id"] for r in later] == sorted(r["id"] for r in later)
    assert not {r["id"] for r in later} & {r["id"] for r in raw}
    report = json.loads((workdir / "reports/later/papers.json").read_text())
    assert report["papers"] == 12 and report["training_texts"] == {"count": 0, "examples": []}


@pytest.mark.parametrize(
    ("later", "message"),
    [
        ({"submitted_from": "2024-01-01"}, "later.submitted_from: 2024-01-01 does not start after"),
        ({"categories": dict.fromkeys(CODES, 9)}, "later got fewer papers"),
    ],
)
def test_stage_fails_in_one_line_and_writes_nothing(
    workdir: Path, later: dict[str, Any], message: str
) -> None:
    params = yaml.safe_load((workdir / "params.yaml").read_text(encoding="utf-8"))
    params["later"].update(later)
    (workdir / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    done = run_stage(workdir)
    assert done.returncode == 1
    # A shortfall comes after the log's counts of what was dropped (which may explain it).
    *counts, line = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line, done.stderr
    assert all(" later: " in count for count in counts), done.stderr
    assert not (workdir / "data" / "later").exists()
    assert not (workdir / "reports").exists()


@pytest.mark.slow
def test_dvc_repro_drops_later_copies_of_training_texts_and_says_how_many(tmp_path: Path) -> None:
    """The constructed case of issue 24: training abstracts copied onto papers of the later
    window. `dvc repro later` keeps them out of the later set, fills its quota from the next
    papers, and says so in its log and in reports/later/papers.json."""
    training = snapshot_records(dict.fromkeys(CODES, 6))
    later = snapshot_records(dict.fromkeys(CODES, 5), month="2502")
    for copy, original in ((0, 0), (1, 3), (6, 7), (11, 14)):  # cs.AI twice, cs.IR and cs.RO
        later[copy]["abstract"] = training[original]["abstract"]
    (tmp_path / "ws").mkdir()
    write_snapshot(tmp_path / "ws" / "corpus.jsonl", training + later)
    params = {
        "fetch": {
            "source": "snapshot",
            "snapshot_path": "corpus.jsonl",
            "categories": dict.fromkeys(CODES, 5),
        },
        "later": {
            "categories": dict.fromkeys(CODES, 3),
            "submitted_from": "2025-01-01",
            "submitted_to": "2025-12-31",
        },
    }
    workspace = make_workspace(tmp_path / "ws", params)

    done = dvc(workspace, "repro", "later")

    assert (
        "later: papers dropped for the abstract text of a paper of the training sample: 4, "
        "e.g. 2502.00001" in done.stdout + done.stderr
    )
    report = json.loads((workspace / "reports/later/papers.json").read_text())
    assert report["papers"] == 9
    assert report["training_texts"] == {
        "count": 4,
        "examples": ["2502.00001", "2502.00002", "2502.00007"],
    }
    chosen = [json.loads(line)["id"] for line in (workspace / "data/later/papers.jsonl").open()]
    assert chosen == [
        *("2502.00003", "2502.00004", "2502.00005", "2502.00006", "2502.00008", "2502.00009"),
        *("2502.00011", "2502.00013", "2502.00014"),
    ]
    assert json.loads((workspace / "reports/fetch/papers.json").read_text())["papers"] == 15
    untracked = git(workspace, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert {"?? reports/fetch/papers.json", "?? reports/later/papers.json"} <= set(untracked)
    assert "?? data/later/papers.jsonl" not in untracked  # DVC's to track, git ignores it
