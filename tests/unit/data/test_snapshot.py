"""The snapshot source: bulk-metadata JSON lines, plain or gzipped, streamed and filtered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from arxivist.data.fetching import fetch_papers
from arxivist.data.papers import NotEnoughPapers, check_quotas
from arxivist.data.sources.snapshot import SnapshotError, read_snapshot
from arxivist.params import params_from_dict
from standins.corpus import REAL_SNAPSHOT, snapshot_records, write_snapshot
from standins.workspace import ROOT

WANTED = {"cs.AI": 4, "cs.IR": 3, "cs.RO": 2}


def fetch_params(path: Path, categories: dict[str, int], allow_short: bool = False):
    return params_from_dict(
        {
            "fetch": {
                "source": "snapshot",
                "snapshot_path": str(path),
                "categories": categories,
                "allow_short": allow_short,
            },
            "later": {"categories": dict.fromkeys(categories, 1)},
            "labels": {code: code for code in categories},
        }
    ).fetch


@pytest.mark.parametrize("name", ["snap.jsonl", "snap.jsonl.gz"])
def test_first_n_per_primary_category_in_id_order(tmp_path: Path, name: str) -> None:
    records = snapshot_records({"cs.AI": 6, "cs.IR": 5, "cs.RO": 3, "cs.CV": 4})
    path = write_snapshot(tmp_path / name, list(reversed(records)))
    papers = fetch_papers(fetch_params(path, WANTED))
    got = {code: [p.id for p in papers if p.primary_category == code] for code in WANTED}
    expected = {
        code: sorted(r["id"] for r in records if r["categories"].split()[0] == code)[:n]
        for code, n in WANTED.items()
    }
    assert got == expected
    assert [p.id for p in papers] == sorted(p.id for p in papers)
    assert all(p.primary_category != "cs.CV" for p in papers)


def test_primary_category_is_the_first_listed(tmp_path: Path) -> None:
    records = [
        {"id": "2401.00001v2", "categories": "cs.LG cs.AI", "abstract": "A", "title": " T \n x"},
        {
            "id": "2401.00002",
            "categories": "cs.AI cs.LG",
            "abstract": "An \n abstract",
            "title": "",
        },
    ]
    papers = read_snapshot(str(write_snapshot(tmp_path / "s.jsonl", records)), {"cs.AI": 5}).papers
    assert [(p.id, p.categories, p.abstract) for p in papers] == [
        ("2401.00002", ["cs.AI", "cs.LG"], "An abstract")
    ]


def test_published_comes_from_the_first_version(tmp_path: Path) -> None:
    record = {
        "id": "0704.0001",
        "categories": "cs.AI",
        "abstract": "An abstract.",
        "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
    }
    path = write_snapshot(tmp_path / "s.jsonl", [record])
    (paper,) = read_snapshot(str(path), {"cs.AI": 1}).papers
    assert paper.published == "2007-04-02"


def test_malformed_line_names_its_number(tmp_path: Path) -> None:
    path = write_snapshot(tmp_path / "s.jsonl", snapshot_records({"cs.AI": 3}))
    lines = path.read_text().splitlines()
    lines.insert(2, '{"id": "2401.9", "categories": "cs.AI", ')
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SnapshotError, match=r"s\.jsonl, line 3: not valid JSON"):
        read_snapshot(str(path), {"cs.AI": 1})


def test_missing_field_names_its_line(tmp_path: Path) -> None:
    records = snapshot_records({"cs.AI": 2})
    del records[1]["abstract"]
    with pytest.raises(SnapshotError, match="line 2: missing abstract"):
        read_snapshot(str(write_snapshot(tmp_path / "s.jsonl", records)), {"cs.AI": 1})


def test_too_few_papers_fails_unless_allowed(tmp_path: Path) -> None:
    path = write_snapshot(tmp_path / "s.jsonl", snapshot_records({"cs.AI": 5, "cs.IR": 1}))
    wanted = {"cs.AI": 3, "cs.IR": 2}
    with pytest.raises(NotEnoughPapers, match=r"cs\.IR: 1 of 2"):
        fetch_papers(fetch_params(path, wanted))
    papers = fetch_papers(fetch_params(path, wanted, allow_short=True))
    assert len(papers) == 4


@pytest.mark.skipif(not REAL_SNAPSHOT.exists(), reason=f"{REAL_SNAPSHOT} is not on this machine")
def test_real_snapshot_blog_sized_sample() -> None:
    blog = {"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 100}
    papers = fetch_papers(fetch_params(REAL_SNAPSHOT, blog))
    assert len(papers) == 2100
    assert len({p.id for p in papers}) == 2100
    counts = {code: sum(p.primary_category == code for p in papers) for code in blog}
    assert counts == blog
    assert all(p.abstract and "v" not in p.id.split(".")[-1] for p in papers)


def three_papers(tmp_path: Path) -> tuple[Path, list[str]]:
    """A snapshot's three lines, for a test to spoil its second."""
    path = write_snapshot(tmp_path / "s.jsonl", snapshot_records({"cs.AI": 3}))
    return path, path.read_text().splitlines()


def spoiled(tmp_path: Path, second: str | bytes) -> Path:
    """three_papers with its second line replaced by `second` (text, or raw bytes)."""
    path, lines = three_papers(tmp_path)
    raw = second if isinstance(second, bytes) else second.encode()
    path.write_bytes(b"\n".join([lines[0].encode(), raw, lines[2].encode()]) + b"\n")
    return path


def line(title: str = '"T"', categories: str = '"cs.AI"', abstract: str = '"An abstract."') -> str:
    """Paper 2401.00002's snapshot line with these fields (each JSON text)."""
    fields = f'"title": {title}, "categories": {categories}, "abstract": {abstract}'
    return f'{{"id": "2401.00002", {fields}}}'


# A second line, and what the message says after the file name ({at}: the offset of byte E9).
BAD_LINES = {
    "latin1": (
        b'{"id": "2401.00002", "categories": "cs.AI", "abstract": "caf\xe9"}',
        ": cannot read (not UTF-8 text at byte {at}) in line 2",
    ),
    "lone-surrogate": (
        line(abstract='"a \\ud800 b"'),
        ", line 2: a lone surrogate (\\ud800) in a string, which is no character and cannot be "
        "written as UTF-8",
    ),
    "blank-abstract": (
        line(abstract='" \\n\\t "'),
        ", line 2: abstract is blank (only whitespace)",
    ),
    "numeric-abstract": (
        line(abstract="42"),
        ", line 2: abstract must be a string, got a number (42)",
    ),
    "object-abstract": (
        line(abstract='{"en": "x"}'),
        ', line 2: abstract must be a string, got an object ({"en": "x"})',
    ),
    "numeric-title": (
        line(title="7", categories='"cs.AI"'),
        ", line 2: title must be a string, got a number (7)",
    ),
    "categories-number": (
        line(categories="5"),
        ", line 2: categories must be a space-separated string or a list of category codes, got "
        "a number (5)",
    ),
    "categories-list-of-numbers": (
        line(categories="[1, 2]"),
        ", line 2: categories must be a space-separated string or a list of category codes, got "
        "a list ([1, 2])",
    ),
    "id-no-month": (
        '{"id": "2513.00001", "categories": "cs.AI", "abstract": "x"}',
        ", line 2: id '2513.00001' is not an arXiv id: 13 is no month (YYMM)",
    ),
    "id-too-many-digits": (
        '{"id": "2401.000021", "categories": "cs.AI", "abstract": "x"}',
        ", line 2: id '2401.000021' is not an arXiv id: ids of 2024-01 have 5 digits after the dot",
    ),
    "id-object": (
        '{"id": {"n": 2}, "categories": "cs.AI", "abstract": "x"}',
        ', line 2: id must be a string, got an object ({"n": 2})',
    ),
}


@pytest.mark.parametrize("name", BAD_LINES)
def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path: Path, name: str) -> None:
    second, message = BAD_LINES[name]
    path = spoiled(tmp_path, second)
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(str(path), {"cs.AI": 3})
    at = path.read_bytes().find(b"\xe9")
    assert str(caught.value) == f"{path}{message.replace('{at}', str(at))}"


def test_categories_may_be_a_json_list_primary_first(tmp_path: Path) -> None:
    path = spoiled(tmp_path, line(title="null", categories='["cs.AI", "cs.LG"]'))
    papers = read_snapshot(str(path), {"cs.AI": 3}).papers
    assert [(p.id, p.categories, p.title) for p in papers][1] == (
        "2401.00002",
        ["cs.AI", "cs.LG"],
        "",
    )


def test_a_truncated_gzip_names_the_last_good_line(tmp_path: Path) -> None:
    path = write_snapshot(tmp_path / "s.jsonl.gz", snapshot_records({"cs.AI": 200}))
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(
        SnapshotError,
        match=r"s\.jsonl\.gz: the compressed file is truncated or "
        r"corrupt after line \d+ \(EOFError",
    ):
        read_snapshot(str(path), {"cs.AI": 3})


def test_a_missing_file_names_the_param(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match=r"nope\.jsonl: no such file \(fetch\.snapshot_path\)"):
        read_snapshot(str(tmp_path / "nope.jsonl"), {"cs.AI": 3})


@pytest.mark.parametrize("allow_short", [False, True])
def test_a_category_without_papers_fails_at_fetch_even_when_short_is_allowed(
    tmp_path: Path, allow_short: bool
) -> None:
    path = write_snapshot(tmp_path / "s.jsonl", snapshot_records({"cs.AI": 5, "cs.IR": 1}))
    wanted = {"cs.AI": 3, "cs.IR": 2, "cs.RO": 2}
    with pytest.raises(
        NotEnoughPapers,
        match=r"fetch got no papers of cs\.RO \(fetch\.categories "
        r"asks for 2\).*fetch\.allow_short allows fewer papers, not none",
    ):
        fetch_papers(fetch_params(path, wanted, allow_short=allow_short))


def test_an_empty_snapshot_fails_at_fetch_naming_every_category(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.raises(
        NotEnoughPapers,
        match=r"no papers of cs\.AI, cs\.IR \(fetch\.categories "
        r"asks for 3, 2\)",
    ):
        fetch_papers(fetch_params(path, {"cs.AI": 3, "cs.IR": 2}, allow_short=True))


def run_fetch(
    workdir: Path, snapshot: Path, categories: dict[str, int]
) -> subprocess.CompletedProcess[str]:
    """The fetch stage on `snapshot` in `workdir`, as dvc.yaml runs it."""
    params = {
        "fetch": {"source": "snapshot", "snapshot_path": str(snapshot), "categories": categories},
        "later": {"categories": dict.fromkeys(categories, 1)},
        "labels": {code: code for code in categories},
    }
    (workdir / "params.yaml").write_text(json.dumps(params))
    return subprocess.run(
        [sys.executable, "-m", "stages.fetch", "raw/papers.jsonl", "reports/papers.json"],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_fetch_stage_says_one_line_and_writes_nothing(tmp_path: Path) -> None:
    path = spoiled(tmp_path, line(abstract="42"))
    done = run_fetch(tmp_path, path, {"cs.AI": 2, "cs.IR": 1})
    assert done.returncode == 1
    assert done.stderr == f"error: {path}, line 2: abstract must be a string, got a number (42)\n"
    assert not (tmp_path / "raw").exists() and not (tmp_path / "reports").exists()


def test_the_fetch_stage_logs_and_reports_what_it_repaired_and_dropped(tmp_path: Path) -> None:
    records = snapshot_records({"cs.AI": 4, "cs.IR": 3})
    records[1]["id"] = float(records[1]["id"].rstrip("0"))  # 2401.00002: no zero to lose
    records[2]["id"] = "2401.0003"  # 2401.00030, once a float
    records[4]["abstract"] = records[0]["abstract"]  # cs.IR's first copies cs.AI's first
    records.append({**records[3], "id": records[3]["id"] + "v2", "abstract": "A newer abstract."})
    records.append({**records[6], "abstract": "$\\,$ \\\\ {} $$", "id": "2401.00099"})
    snapshot = write_snapshot(tmp_path / "s.jsonl", records)
    done = run_fetch(tmp_path, snapshot, {"cs.AI": 4, "cs.IR": 2})
    assert done.returncode == 0, done.stderr
    logged = [line.split(" arxivist.data.dedup: ", 1)[1] for line in done.stderr.splitlines()]
    assert logged == [
        "fetch: 6 papers",
        "fetch: ids that had lost trailing zeros (an id once read as a number), padded to their "
        "month's digits: 1, e.g. 2401.0003 -> 2401.00030",
        "fetch: records dropped for a newer version of their paper: 1, e.g. 2401.00004: v2 kept, "
        "v1 dropped",
        "fetch: records dropped for repeating an id in the same version: 0",
        "fetch: papers dropped for the abstract text of an earlier paper of the sample: 1, e.g. "
        "2401.00005 (same text as 2401.00001)",
        "fetch: papers dropped for an abstract without words: 0",
    ]
    report = json.loads((tmp_path / "reports/papers.json").read_text())
    assert report == {
        "papers": 6,
        "ids_repaired": {"count": 1, "examples": ["2401.0003 -> 2401.00030"]},
        "versions_collapsed": {"count": 1, "examples": ["2401.00004: v2 kept, v1 dropped"]},
        "duplicate_ids": {"count": 0, "examples": []},
        "duplicate_texts": {"count": 1, "examples": ["2401.00005 (same text as 2401.00001)"]},
        "wordless_abstracts": {"count": 0, "examples": []},
    }
    papers = [json.loads(line) for line in (tmp_path / "raw/papers.jsonl").open()]
    assert [p["id"] for p in papers] == [
        *("2401.00001", "2401.00002", "2401.00004", "2401.00006", "2401.00007", "2401.00030")
    ]
    assert papers[2]["abstract"] == "A newer abstract."


def test_the_later_set_without_papers_of_a_category_names_later() -> None:
    with pytest.raises(
        NotEnoughPapers, match=r"later got no papers of cs\.RO .*later\.allow_short"
    ):
        check_quotas([], {"cs.RO": 5}, allow_short=True, key="later")
