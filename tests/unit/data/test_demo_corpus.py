"""The demo corpus is real arXiv metadata, verbatim; demo/sample.py makes it again byte for byte;
with the demo params of the Makefile, its later part is the later set, the rest the sample."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from arxivist.data.fetching import fetch_papers
from arxivist.data.later import later_sample
from arxivist.params import params_from_dict
from demo.sample import FIELDS, LATER_FROM, LATER_PER_CATEGORY, OUT, PER_CATEGORY, sample
from standins.corpus import REAL_SNAPSHOT

ROOT = Path(__file__).resolve().parents[3]
needs_real_snapshot = pytest.mark.skipif(
    not REAL_SNAPSHOT.exists(), reason=f"{REAL_SNAPSHOT} is not on this machine"
)


def records() -> list[dict[str, str]]:
    with OUT.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


@needs_real_snapshot
def test_every_demo_record_is_a_real_record_unedited() -> None:
    real = {}
    with REAL_SNAPSHOT.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            real[record["id"]] = {field: record[field] for field in FIELDS}
    demo = records()
    assert [record for record in demo if real.get(record["id"]) != record] == []
    assert len({record["id"] for record in demo}) == len(demo)


def test_the_sample_has_each_class_and_cross_listed_papers_in_both_parts() -> None:
    demo = records()
    for later, wanted in ((False, PER_CATEGORY), (True, LATER_PER_CATEGORY)):
        part = [record for record in demo if (record["id"] >= LATER_FROM) == later]
        assert Counter(record["categories"].split()[0] for record in part) == Counter(wanted)
        assert sum(len(record["categories"].split()) > 1 for record in part) >= 25


@needs_real_snapshot
def test_the_sampler_writes_the_committed_file_again() -> None:
    expected = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sample(REAL_SNAPSHOT))
    assert OUT.read_text(encoding="utf-8") == expected


def test_the_docs_state_the_demo_corpus_counts() -> None:
    """What README.md, demo/README.md and the Makefile say the file holds, counted."""
    demo = records()
    later = sum(record["id"] >= LATER_FROM for record in demo)
    texts = {
        name: " ".join((ROOT / name).read_text(encoding="utf-8").split())
        for name in ("README.md", "demo/README.md", "Makefile")
    }
    stated = {
        name: re.findall(r"(\d+) (?:\*\*)?real arXiv records", t) for name, t in texts.items()
    }
    assert stated == {name: [str(len(demo))] for name in texts}
    assert f"{len(demo) - later} to train on and {later} for the later set" in texts["README.md"]
    assert f"training part**, {len(demo) - later} records" in texts["demo/README.md"]
    assert f"later part**, {later} records" in texts["demo/README.md"]
    assert f"{later} of them the later set" in texts["Makefile"]


def demo_params() -> dict[str, Any]:
    """The fetch and later overrides of the Makefile's DEMO_PARAMS, as params.yaml holds them."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    block = text[text.index("DEMO_PARAMS :=") :].split("\n\n")[0]
    params: dict[str, Any] = {}
    for key, value in re.findall(r"-S '?((?:fetch|later)\.\w+)=([^' \n]+)", block):
        section, name = key.split(".")
        if value.startswith("{"):
            items = (item.split(":") for item in value.strip("{}").split(","))
            value = {code: int(count) for code, count in items}
        params.setdefault(section, {})[name] = value
    return params


def test_the_demo_params_take_the_training_part_and_the_later_part() -> None:
    raw = demo_params()
    raw["fetch"]["snapshot_path"] = str(ROOT / raw["fetch"]["snapshot_path"])
    params = params_from_dict(raw)
    training = fetch_papers(params.fetch)
    later = later_sample(params, training).papers
    assert all(paper.id < LATER_FROM for paper in training)
    assert Counter(paper.primary_category for paper in later) == Counter(LATER_PER_CATEGORY)
    assert all(paper.id >= LATER_FROM for paper in later)
