"""An evaluation set the pipeline never saw: for each category, the papers right after its sample.

The fetch stage's snapshot source keeps the first N papers by id of each primary category
(`arxivist.sources.snapshot.read_snapshot`). Asking it for N + M and dropping the first N gives the
next M papers by id, under exactly the same selection rules (primary category, dedupe by id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from arxivist.jsonlines import read_jsonl
from arxivist.papers import Paper
from arxivist.predict import positive_int
from arxivist.sources.snapshot import read_snapshot

DEFAULT_UNSEEN = {"cs.AI": 400, "cs.IR": 200, "cs.RO": 200}


class UnseenError(ValueError):
    """An unseen-set request the snapshot or the configured categories cannot satisfy."""


def parse_unseen(spec: str) -> dict[str, int] | int:
    """'cs.AI=400,cs.IR=200' -> {'cs.AI': 400, 'cs.IR': 200}; '20' -> 20 (every category)."""
    if "=" not in spec:
        return positive_int(spec)
    counts = {}
    for item in spec.split(","):
        code, _, count = item.partition("=")
        counts[code.strip()] = positive_int(count)
    return counts


def unseen_counts(spec: Mapping[str, int] | int, categories: Iterable[str]) -> dict[str, int]:
    """Papers wanted per category: `spec` for each, or `spec`'s entry, which must name exactly
    the configured categories."""
    categories = list(categories)
    if isinstance(spec, int):
        return dict.fromkeys(categories, spec)
    if set(spec) != set(categories):
        raise UnseenError(
            f"--unseen names {sorted(spec)} but fetch.categories are {sorted(categories)}; "
            "give a count for each category, or one count for all"
        )
    return {code: spec[code] for code in categories}


def select_unseen(
    papers: Iterable[Paper], sample: Mapping[str, int], unseen: Mapping[str, int]
) -> list[Paper]:
    """Per category (in `sample`'s order), the `unseen[code]` papers by id after the first
    `sample[code]`; fails naming each category that has too few."""
    by_code: dict[str, list[Paper]] = {code: [] for code in sample}
    for paper in papers:
        if paper.primary_category in by_code:
            by_code[paper.primary_category].append(paper)
    selected, short = [], []
    for code, bucket in by_code.items():
        bucket.sort(key=lambda paper: paper.id)
        chosen = bucket[sample[code] : sample[code] + unseen[code]]
        if len(chosen) < unseen[code]:
            short.append(f"{code}: {len(chosen)} of {unseen[code]}")
        selected.extend(chosen)
    if short:
        raise UnseenError(
            f"the snapshot has too few papers after the training sample ({', '.join(short)})"
        )
    return selected


def read_unseen(snapshot: str, sample: Mapping[str, int], unseen: Mapping[str, int]) -> list[Paper]:
    """The unseen set of a snapshot file: select_unseen over read_snapshot's first N + M."""
    wanted = {code: sample[code] + unseen[code] for code in sample}
    return select_unseen(read_snapshot(snapshot, wanted), sample, unseen)


def check_disjoint(unseen: Iterable[Paper], raw_papers: Path) -> None:
    """Fail if any unseen paper is in the pipeline's data/raw/papers.jsonl."""
    seen = {record["id"] for record in read_jsonl(raw_papers)}
    if overlap := sorted(paper.id for paper in unseen if paper.id in seen):
        raise UnseenError(
            f"{len(overlap)} unseen papers are in {raw_papers}, e.g. {overlap[0]}: "
            "the unseen set must lie outside the training sample"
        )
