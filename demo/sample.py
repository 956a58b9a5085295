"""Write demo/corpus.jsonl: real arXiv records, verbatim, from the project's shared real-data file.

For each primary category, the newest papers by id (the benchmarks' training samples and unseen sets
take the oldest), keeping only `id`, `title`, `abstract` and `categories` exactly as they are.
arXiv metadata is public domain (CC0).

    python demo/sample.py ../shared/data/arxiv-cs-ai-ir-ro.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PER_CATEGORY = {"cs.AI": 85, "cs.IR": 85, "cs.RO": 80}
FIELDS = ("id", "title", "abstract", "categories")
OUT = Path(__file__).with_name("corpus.jsonl")


def sample(source: Path) -> list[dict[str, str]]:
    """The newest PER_CATEGORY[code] records of each primary category, sorted by id."""
    by_code: dict[str, list[dict[str, str]]] = {code: [] for code in PER_CATEGORY}
    with source.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            bucket = by_code.get(record["categories"].split()[0])
            if bucket is not None:
                bucket.append({field: record[field] for field in FIELDS})
    chosen = [
        record
        for code, records in by_code.items()
        for record in sorted(records, key=lambda r: r["id"])[-PER_CATEGORY[code] :]
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
