"""One paper, one place: arXiv ids read against both schemes (a short new-style id padded, anything
else refused), arXiv's submission order, one record per id (the newest version), each abstract text
once and none without words, chosen while selecting so that quotas still fill, and counts that say
what was dropped from the sample; on small snapshots and on the shared real one."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from arxivist.data.dedup import has_words, normalized_text
from arxivist.data.fetching import fetch_sample
from arxivist.data.papers import BadArxivId, Paper, parse_id, sort_papers
from arxivist.data.sources.snapshot import SnapshotError, read_snapshot
from arxivist.params import params_from_dict
from standins.corpus import REAL_SNAPSHOT, write_snapshot


@pytest.mark.parametrize(
    ("text", "arxiv_id", "key", "version"),
    [
        ("2501.01234", "2501.01234", (2025, 1, 1234), None),
        ("2512.00001v3", "2512.00001", (2025, 12, 1), 3),
        ("0704.0001", "0704.0001", (2007, 4, 1), None),  # four digits until December 2014
        ("1412.9999v1", "1412.9999", (2014, 12, 9999), 1),
        ("cs/0112017", "cs/0112017", (2001, 12, 17), None),
        ("math.GT/0309136v2", "math.GT/0309136", (2003, 9, 136), 2),
        ("hep-th/9108001", "hep-th/9108001", (1991, 8, 1), None),
    ],
)
def test_ids_of_both_schemes_are_read_with_month_and_number(
    text: str, arxiv_id: str, key: tuple[int, int, int], version: int | None
) -> None:
    parsed = parse_id(text)
    assert (parsed.id, parsed.key, parsed.version, parsed.padded) == (
        arxiv_id,
        (*key, arxiv_id),
        version,
        False,
    )


@pytest.mark.parametrize(
    ("text", "arxiv_id"),
    [
        ("2503.1868", "2503.18680"),  # 2503.18680 once read as a float
        ("2502.034", "2502.03400"),
        ("2509.197v2", "2509.19700"),
        ("1412.123", "1412.1230"),  # a month of four-digit ids
        ("0704.1", "0704.1000"),
    ],
)
def test_a_new_style_id_short_of_its_months_digits_gets_its_zeros_back(
    text: str, arxiv_id: str
) -> None:
    parsed = parse_id(text)
    assert (parsed.id, parsed.padded) == (arxiv_id, True)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2513.00001", "13 is no month"),
        ("0612.1234", "new-style ids start in April 2007"),
        ("2501.123456", "ids of 2025-01 have 5 digits after the dot"),
        ("1412.12345", "ids of 2014-12 have 4 digits after the dot"),
        ("cs/01120", "old-style ids have 7 digits"),
        ("cs/0801001", "old-style ids run from August 1991 to March 2007"),
        ("cs/0100001", "00 is no month"),
        ("paper-1", "(YYMM.NNNNN, or YYMM.NNNN before 2015, or archive/YYMMNNN)"),
        ("2501", "(YYMM.NNNNN"),
        ("", "(YYMM.NNNNN"),
    ],
)
def test_what_cannot_be_an_arxiv_id_is_refused_saying_why(text: str, why: str) -> None:
    with pytest.raises(BadArxivId) as caught:
        parse_id(text)
    assert str(caught.value).startswith(f"{text!r} is not an arXiv id")
    assert why in str(caught.value)


def test_submission_order_puts_old_style_ids_before_new_style_ones() -> None:
    ids = ["2501.00002", "cs/9308101", "1501.00001", "0704.0001", "math.GT/0309136"]
    ids += ["hep-th/9308101", "cs/9308100", "1412.9999", "2501.00001v2"]
    papers = [Paper(arxiv_id, "", "", "cs.AI", ["cs.AI"]) for arxiv_id in ids]
    assert [paper.id for paper in sort_papers(papers)] == [
        "cs/9308100",
        "cs/9308101",
        "hep-th/9308101",  # the same month and number: the id decides
        "math.GT/0309136",
        "0704.0001",
        "1412.9999",
        "1501.00001",
        "2501.00001v2",
        "2501.00002",
    ]


def test_texts_compare_ignoring_case_width_punctuation_and_spacing() -> None:
    assert (
        normalized_text("  Deep ﬁne-tuning,\n of LLMs (GPT-4)! ")
        == "deep fine tuning of llms gpt 4"
    )
    assert normalized_text("Straße café") == normalized_text("STRASSE  CAFÉ")
    assert normalized_text("a_b") == "a b"


@pytest.mark.parametrize(
    ("text", "worded"),
    [
        ("$\\,$ \\\\ {} $$", False),
        ("\\alpha \\beta_{i} = 1", False),
        ("x + y = 2", False),
        ("é", False),
        ("An abstract.", True),
        ("\\emph{We} do", True),
        ("Été", True),
    ],
)
def test_an_abstract_has_words_outside_latex_commands(text: str, worded: bool) -> None:
    assert has_words(text) is worded


CODES = ("cs.AI", "cs.IR", "cs.RO")


def record(arxiv_id: str, code: str, abstract: str | None = None, **extra: Any) -> dict:
    return {
        "id": arxiv_id,
        "title": f"Paper {arxiv_id}",
        "categories": code,
        "abstract": abstract or f"The abstract of paper {arxiv_id} in {code}.",
        **extra,
    }


def read(tmp_path: Path, records: list[dict], wanted: dict[str, int], **kwargs: Any):
    return read_snapshot(str(write_snapshot(tmp_path / "s.jsonl", records)), wanted, **kwargs)


def counts(sample) -> dict[str, int]:
    return {kind: tally.count for kind, tally in sample.tallies.items() if tally.count}


def test_short_ids_are_padded_and_counted_with_an_example(tmp_path: Path) -> None:
    """A string short of its digits, or a number (2401.00020 read as the float 2401.0002)."""
    records = [record("2401.1", "cs.AI"), record(2401.0002, "cs.AI"), record("2401.00003", "cs.AI")]
    sample = read(tmp_path, records, {"cs.AI": 3})
    assert [paper.id for paper in sample.papers] == ["2401.00003", "2401.00020", "2401.10000"]
    assert sample.report()["ids_repaired"] == {
        "count": 2,
        "examples": ["2401.1 -> 2401.10000", "2401.0002 -> 2401.00020"],
    }


def test_an_id_that_cannot_be_one_stops_the_read_naming_file_and_line(tmp_path: Path) -> None:
    path = write_snapshot(
        tmp_path / "s.jsonl", [record("2401.00001", "cs.AI"), record(2513, "cs.AI")]
    )
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(str(path), {"cs.AI": 1})
    assert str(caught.value) == (
        f"{path}, line 2: id '2513' is not an arXiv id (YYMM.NNNNN, or YYMM.NNNN before 2015, or "
        "archive/YYMMNNN)"
    )


def test_the_newest_version_of_a_paper_wins_wherever_it_is_in_the_file(tmp_path: Path) -> None:
    records = [
        record("2401.00001v2", "cs.AI", "Second version."),
        record("2401.00001", "cs.AI", "First version.", versions=[{"version": "v1"}]),
        record("2401.00002", "cs.AI"),
        record("2401.00001v3", "cs.IR", "Third version, now retrieval."),
        record("2401.00003", "cs.AI"),
    ]
    sample = read(tmp_path, records, {"cs.AI": 2, "cs.IR": 1})
    assert [(p.id, p.primary_category, p.abstract) for p in sample.papers] == [
        ("2401.00001", "cs.IR", "Third version, now retrieval."),
        ("2401.00002", "cs.AI", records[2]["abstract"]),
        ("2401.00003", "cs.AI", records[4]["abstract"]),  # the next fills cs.AI's quota
    ]
    assert counts(sample) == {"versions_collapsed": 2}
    assert sample.report()["versions_collapsed"]["examples"] == [
        "2401.00001: v2 kept, v1 dropped",
        "2401.00001: v3 kept, v2 dropped",
    ]


def test_a_versions_list_counts_as_the_version(tmp_path: Path) -> None:
    two = [{"version": "v1"}, {"version": "v2"}]
    records = [
        record("2401.00001", "cs.AI", "Without a list."),
        record("2401.00001", "cs.AI", "With two versions.", versions=two),
    ]
    (paper,) = read(tmp_path, records, {"cs.AI": 1}).papers
    assert paper.abstract == "With two versions."


def test_an_id_twice_in_one_version_keeps_the_intact_record_then_the_first(
    tmp_path: Path,
) -> None:
    """As the shared snapshot has it: 2503.1868 (a float's) right before 2503.18680."""
    records = [
        record("2503.1868", "cs.IR", "The float's copy."),
        record("2503.18680", "cs.IR cs.CL", "The intact record."),
        record("2503.18681", "cs.IR", "Another paper."),
        record("2503.18681", "cs.IR", "Its second listing."),
    ]
    sample = read(tmp_path, records, {"cs.IR": 5})
    assert [(p.id, p.abstract) for p in sample.papers] == [
        ("2503.18680", "The intact record."),
        ("2503.18681", "Another paper."),
    ]
    assert counts(sample) == {"ids_repaired": 1, "duplicate_ids": 2}
    assert sample.report()["duplicate_ids"]["examples"] == ["2503.18680", "2503.18681"]


def test_a_repeated_text_keeps_the_earliest_paper_across_categories_and_quotas_still_fill(
    tmp_path: Path,
) -> None:
    text = "We rank documents for robots."
    records = [
        record("2401.00005", "cs.RO", text.upper()),  # the same text once normalised
        record("2401.00001", "cs.AI"),
        record("2401.00002", "cs.IR", text),
        record("2401.00003", "cs.RO"),
        record("2401.00004", "cs.RO", f"  {text}!"),
        record("2401.00006", "cs.RO"),
    ]
    sample = read(tmp_path, records, {"cs.AI": 1, "cs.IR": 1, "cs.RO": 2})
    assert [p.id for p in sample.papers] == ["2401.00001", "2401.00002", "2401.00003", "2401.00006"]
    assert sample.report()["duplicate_texts"] == {
        "count": 2,
        "examples": [
            "2401.00004 (same text as 2401.00002)",
            "2401.00005 (same text as 2401.00002)",
        ],
    }


def test_only_drops_from_the_sample_are_counted(tmp_path: Path) -> None:
    """A copy, or an abstract without words, beyond a category's quota took no paper's place."""
    records = [
        record("2401.00001", "cs.AI", "A text."),
        record("2401.00002", "cs.AI", "$$"),
        record("2401.00003", "cs.AI"),
        record("2401.00004", "cs.AI", "A text."),
        record("2401.00005", "cs.AI", "$x$"),
    ]
    assert counts(read(tmp_path, records, {"cs.AI": 2})) == {"wordless_abstracts": 1}
    assert counts(read(tmp_path, records, {"cs.AI": 3})) == {
        "wordless_abstracts": 2,
        "duplicate_texts": 1,
    }


def test_an_abstract_without_words_is_dropped_and_counted(tmp_path: Path) -> None:
    records = [record("2401.00001", "cs.AI", "$\\,$ \\\\ {} $$"), record("2401.00002", "cs.AI")]
    sample = read(tmp_path, records, {"cs.AI": 1})
    assert [p.id for p in sample.papers] == ["2401.00002"]
    assert sample.report()["wordless_abstracts"] == {"count": 1, "examples": ["2401.00001"]}


def reference(records: list[dict], wanted: dict[str, int]) -> tuple[list[str], dict[str, int]]:
    """The rules on the whole file at once: each id's best record, then papers in submission
    order, each taken unless its category is full, its abstract has no words or its text was
    taken."""
    best: dict[str, tuple[tuple[int, bool, int], Paper]] = {}
    for index, raw in enumerate(records):
        parsed = parse_id(str(raw["id"]))
        code = raw["categories"].split()[0]
        if code not in wanted:
            continue
        rank = (parsed.version or len(raw.get("versions", [])) or 1, not parsed.padded, -index)
        paper = Paper(parsed.id, "", " ".join(raw["abstract"].split()), code, [code])
        if parsed.id not in best or rank > best[parsed.id][0]:
            best[parsed.id] = (rank, paper)
    chosen, taken, dropped = [], set(), {"duplicate_texts": 0, "wordless_abstracts": 0}
    got = dict.fromkeys(wanted, 0)
    for paper in sort_papers(paper for _, paper in best.values()):
        text = normalized_text(paper.abstract)
        if got[paper.primary_category] >= wanted[paper.primary_category]:
            continue
        if not has_words(paper.abstract):
            dropped["wordless_abstracts"] += 1
        elif text in taken:
            dropped["duplicate_texts"] += 1
        else:
            chosen.append(paper.id)
            taken.add(text)
            got[paper.primary_category] += 1
    return chosen, dropped


def random_records(rng: random.Random, repeats: bool) -> list[dict]:
    """Papers of a few months in random order: repeated texts across categories, abstracts
    without words, and (`repeats`) more records of some papers: other versions, repeated and
    float-shortened ids."""
    texts = [f"Topic {n} text." for n in range(12)] + ["$$", "\\alpha"]
    records = []
    for number in rng.sample(range(1, 400), 60):
        arxiv_id = f"{rng.choice(['2401', '2402', '2403'])}.{number * 10:05d}"
        code = rng.choice([*CODES, "cs.CV"])
        records.append(record(arxiv_id, code, rng.choice([*texts, *[None] * 14])))
        for _ in range(rng.choice([0, 0, 0, 1, 2]) if repeats else 0):
            again = arxiv_id.rstrip("0") if rng.random() < 0.3 else arxiv_id
            version = f"v{rng.randint(1, 3)}" if rng.random() < 0.5 else ""
            records.append(record(again + version, rng.choice(CODES), rng.choice(texts)))
    rng.shuffle(records)
    return records


@pytest.mark.parametrize("seed", range(40))
def test_the_streamed_choice_is_the_whole_file_choice(tmp_path: Path, seed: int) -> None:
    """Small quotas make the stream cut its held papers many times, and later versions make it
    read the file twice; the papers chosen and the counts are still exactly those of the rules
    applied to the whole file at once."""
    rng = random.Random(seed)
    records = random_records(rng, repeats=seed % 2 == 1)
    wanted = {code: rng.randint(1, 4) for code in CODES}
    sample = read(tmp_path, records, wanted)
    chosen, dropped = reference(records, wanted)
    assert [paper.id for paper in sample.papers] == chosen
    got = counts(sample)
    assert {kind: got.get(kind, 0) for kind in dropped} == dropped
    considered = [r for r in records if r["categories"] in CODES]
    distinct = {parse_id(str(r["id"])).id for r in considered}
    assert got.get("versions_collapsed", 0) + got.get("duplicate_ids", 0) == len(considered) - len(
        distinct
    )


needs_real_snapshot = pytest.mark.skipif(
    not REAL_SNAPSHOT.exists(), reason=f"{REAL_SNAPSHOT} is not on this machine"
)


@needs_real_snapshot
def test_the_shared_snapshot_s_twelve_id_pairs_are_found_and_resolved() -> None:
    """205 ids of the shared file lost their trailing zeros; 12 of them are a second record of
    a paper also listed under its intact id: each such paper is kept once, as its intact record."""
    every = read_snapshot(str(REAL_SNAPSHOT), dict.fromkeys(CODES, 10**9))
    report = every.report()
    assert report["ids_repaired"]["count"] == 205
    assert report["ids_repaired"]["examples"][0] == "2501.0393 -> 2501.03930"
    assert report["duplicate_ids"]["count"] == 12
    assert report["versions_collapsed"]["count"] == 0
    by_id = {paper.id: paper for paper in every.papers}
    assert len(by_id) == len(every.papers)
    pair = by_id["2503.18680"]
    assert (pair.title, pair.categories) != ("", ["cs.IR"])  # the intact record, not the copy
    assert all(len(arxiv_id.split(".")[1]) == 5 for arxiv_id in by_id)
    # Three more pairs are one abstract under two intact ids: the earlier stays.
    assert report["duplicate_texts"] == {
        "count": 3,
        "examples": [
            "2508.04915 (same text as 2508.02621)",
            "2510.27094 (same text as 2510.09021)",
            "2605.20190 (same text as 2604.05547)",
        ],
    }
    assert report["papers"] == 17333 - 12 - 3


@needs_real_snapshot
def test_the_blog_sized_sample_of_the_shared_snapshot_reports_its_repairs() -> None:
    params = params_from_dict(
        {
            "fetch": {
                "source": "snapshot",
                "snapshot_path": str(REAL_SNAPSHOT),
                "categories": {"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 100},
            }
        }
    )
    sample = fetch_sample(params.fetch)
    assert {kind: t.count for kind, t in sample.tallies.items()} == {
        "ids_repaired": 205,
        "versions_collapsed": 0,
        "duplicate_ids": 12,
        "duplicate_texts": 0,
        "wordless_abstracts": 0,
    }
    assert len(sample.papers) == 2100
