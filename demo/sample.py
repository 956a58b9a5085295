"""Write demo/corpus.jsonl: real arXiv records, verbatim, from the project's shared real-data file.

Two parts, told apart by their ids (an arXiv id starts with its submission month, YYMM):
- the training part: for each primary category, the newest PER_CATEGORY papers submitted before
  LATER_FROM (the fetch stage takes the first papers by id of these);
- the later part: for each primary category, the newest LATER_PER_CATEGORY papers submitted from
  LATER_FROM on (the later stage takes them, with the Makefile's later window).
Only `id`, `title`, `abstract` and `categories` are kept, exactly as they are. arXiv metadata is
public domain (CC0).

    python demo/sample.py ../shared/data/arxiv-cs-ai-ir-ro.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PER_CATEGORY = {"cs.AI": 85, "cs.IR": 85, "cs.RO": 80}
LATER_PER_CATEGORY = {"cs.AI": 40, "cs.IR": 40, "cs.RO": 40}
LATER_FROM = "2510"  # October 2025: the later part's ids are from this month on
FIELDS = ("id", "title", "abstract", "categories")
OUT = Path(__file__).with_name("corpus.jsonl")


def sample(source: Path) -> list[dict[str, str]]:
    """The newest PER_CATEGORY[code] records of each primary category before LATER_FROM and the
    newest LATER_PER_CATEGORY[code] from LATER_FROM on, sorted by id."""
    # later part? -> primary category -> records
    parts: dict[bool, dict[str, list[dict[str, str]]]] = {
        later: {code: [] for code in PER_CATEGORY} for later in (False, True)
    }
    with source.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            bucket = parts[record["id"] >= LATER_FROM].get(record["categories"].split()[0])
            if bucket is not None:
                bucket.append({field: record[field] for field in FIELDS})
    chosen = [
        record
        for later, counts in ((False, PER_CATEGORY), (True, LATER_PER_CATEGORY))
        for code, records in parts[later].items()
        for record in sorted(records, key=lambda r: r["id"])[-counts[code] :]
    ]
    return sorted(chosen, key=lambda record: record["id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the shared arxiv-cs-ai-ir-ro.jsonl")
    records = sample(parser.parse_args().source)
    OUT.write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records),
        encoding="utf-8",
    )
    print(f"wrote {len(records)} records to {OUT}")


if __name__ == "__main__":
    main()
