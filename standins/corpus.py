"""Small snapshot files in arXiv's bulk-metadata format, and the real one from shared/."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def real_snapshot() -> Path:
    """The shared real snapshot: $SNAPSHOT (make exports it), else the Makefile's `SNAPSHOT ?=`
    default, the one place its path is written; relative paths from the repository root."""
    stated = re.search(r"^export SNAPSHOT \?= (.+)$", (ROOT / "Makefile").read_text("utf-8"), re.M)
    if not stated:
        raise RuntimeError(f"{ROOT / 'Makefile'} states no `export SNAPSHOT ?=` line")
    return Path(os.path.normpath(ROOT / os.environ.get("SNAPSHOT", stated[1].strip())))


REAL_SNAPSHOT = real_snapshot()
DEMO_CORPUS = ROOT / "demo" / "corpus.jsonl"

TOPICS = {
    "cs.AI": "planning reasoning agents knowledge logic search",
    "cs.IR": "retrieval ranking query recommender users documents",
    "cs.RO": "robot grasping manipulation navigation control motion",
    "cs.CL": "language parsing translation speech words grammar",
    "cs.DB": "database storage transactions tables joins index",
}


def snapshot_records(
    per_category: dict[str, int], start: int = 1, month: str = "2401"
) -> list[dict]:
    """Records with ids <month>.00001... (YYMM: the submission month; January 2024 by default)
    whose abstracts use their category's words, each abstract its own (it names the id)."""
    records, number = [], start
    for code, count in per_category.items():
        for i in range(count):
            words = TOPICS.get(code, "learning neural network").split()
            rotated = words[i % len(words) :] + words[: i % len(words)]
            records.append(
                {
                    "id": f"{month}.{number:05d}",
                    "title": f"Paper {number}",
                    "categories": f"{code} cs.LG" if i % 3 == 0 else code,
                    "abstract": f"We study {' '.join(rotated)} with a learning model, case "
                    f"{month}.{number:05d}.",
                }
            )
            number += 1
    return records


def write_snapshot(path: Path, records: list[dict]) -> Path:
    """Write records as JSON lines, gzipped when the name ends in .gz."""
    text = "".join(json.dumps(record) + "\n" for record in records)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path
