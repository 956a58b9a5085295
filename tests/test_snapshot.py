"""The snapshot source: bulk-metadata JSON lines, plain or gzipped, streamed and filtered."""

from __future__ import annotations

from pathlib import Path

import pytest

from arxivist.papers import NotEnoughPapers
from arxivist.params import params_from_dict
from arxivist.sources import fetch_papers
from arxivist.sources.snapshot import SnapshotError, read_snapshot
from tests.fakes.corpus import REAL_SNAPSHOT, snapshot_records, write_snapshot

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
        {"id": "2401.00001v2", "categories": "cs.LG cs.AI", "abstract": "a", "title": " T \n x"},
        {"id": "2401.00002", "categories": "cs.AI cs.LG", "abstract": "b  c", "title": ""},
    ]
    papers = read_snapshot(str(write_snapshot(tmp_path / "s.jsonl", records)), {"cs.AI": 5})
    assert [(p.id, p.categories, p.abstract) for p in papers] == [
        ("2401.00002", ["cs.AI", "cs.LG"], "b c")
    ]


def test_published_comes_from_the_first_version(tmp_path: Path) -> None:
    record = {
        "id": "0704.0001",
        "categories": "cs.AI",
        "abstract": "x",
        "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
    }
    (paper,) = read_snapshot(str(write_snapshot(tmp_path / "s.jsonl", [record])), {"cs.AI": 1})
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
