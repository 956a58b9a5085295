"""The demo corpus is real arXiv metadata, verbatim; demo/sample.py makes it again byte for byte."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from demo.sample import FIELDS, OUT, PER_CATEGORY, sample
from tests.fakes.corpus import REAL_SNAPSHOT

pytestmark = pytest.mark.skipif(
    not REAL_SNAPSHOT.exists(), reason=f"{REAL_SNAPSHOT} is not on this machine"
)


def records() -> list[dict[str, str]]:
    with OUT.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def test_every_demo_record_is_a_real_record_unedited() -> None:
    real = {}
    with REAL_SNAPSHOT.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            real[record["id"]] = {field: record[field] for field in FIELDS}
    demo = records()
    assert [record for record in demo if real.get(record["id"]) != record] == []
    assert len({record["id"] for record in demo}) == len(demo)


def test_the_sample_has_each_class_and_cross_listed_papers() -> None:
    demo = records()
    primaries = Counter(record["categories"].split()[0] for record in demo)
    assert primaries == Counter(PER_CATEGORY)
    assert sum(len(record["categories"].split()) > 1 for record in demo) >= 25


def test_the_sampler_writes_the_committed_file_again() -> None:
    expected = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sample(REAL_SNAPSHOT))
    assert OUT.read_text(encoding="utf-8") == expected
