"""A project folder as the stages before publish leave it, and a shell that could upload."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import yaml

from arxivist.evaluation.metrics import HEADLINE
from stages.publish import publish
from standins.hub import FakeHub
from standins.tiny_bert import LABELS, WORDS
from standins.workspace import ROOT

TOKEN = "hf_TestTokenThatMustNeverBeWritten0123"
REPO_ID = "someone/arxiv-topics"
# papers per split and category code
COUNTS = {
    "train": {"cs.AI": 4, "cs.IR": 4, "cs.RO": 2},
    "validation": {"cs.AI": 2, "cs.IR": 2, "cs.RO": 1},
    "test": {"cs.AI": 3, "cs.IR": 2, "cs.RO": 1},
}

# reports/fetch/papers.json as the fetch stage writes it (here: 21 papers).
FETCH_REPORT = {
    "papers": 21,
    "ids_repaired": {"count": 2, "examples": ["2503.1868 -> 2503.18680", "2502.034 -> 2502.03400"]},
    "versions_collapsed": {"count": 1, "examples": ["2401.00003: v2 kept, v1 dropped"]},
    "duplicate_ids": {"count": 1, "examples": ["2503.18680"]},
    "duplicate_texts": {"count": 3, "examples": ["2401.00009 (same text as 2401.00004)"]},
    "wordless_abstracts": {"count": 0, "examples": []},
}

ARGS = (
    "models/model",
    "reports/eval/details.json",
    "reports/train/metrics.json",
    "reports/train/details.json",
    "reports/fetch/papers.json",
    "data/labeled/labels.json",
    "data/split",
    "data/later/papers.jsonl",
    "models/published",
)


def scores(base: float) -> dict:
    per_class = {
        code: {
            "precision": base,
            "recall": base - 0.01,
            "f1": base - 0.02,
            "roc_auc": base + 0.01,
            "support": COUNTS["test"][code],
        }
        for code in LABELS.codes
    }
    return {
        "roc_auc_ovr": base + 0.05,
        "macro_f1": base,
        "accuracy": base + 0.01,
        "per_class": per_class,
    }


def with_interval(value: float) -> dict:
    return {"value": value, "low": round(value - 0.01, 4), "high": round(value + 0.01, 4)}


def set_report(papers: int, **systems: float) -> dict:
    """A set's report as the evaluate stage writes it, from each system's base score."""
    report: dict = {"papers": papers}
    for system, base in systems.items():
        report[system] = scores(base)
        report[system]["intervals"] = {k: with_interval(report[system][k]) for k in HEADLINE}
    report["differences"] = {
        f"model - {other}": {
            k: with_interval(round(report["model"][k] - report[other][k], 4)) for k in HEADLINE
        }
        for other in ("encoder", "tfidf")
    }
    return report


# Later set: the model beats TF-IDF by 0.12 but ties with the frozen encoder (within 0.01).
EVAL_METRICS = {
    "later": set_report(40, model=0.9121, encoder=0.9100, tfidf=0.7923),
    "test": set_report(6, model=0.9321, encoder=0.9400, tfidf=0.8123),
    "compute": {
        "device": "cpu",
        "precision": "fp32",
        "hardware": "AMD EPYC (AVX2, no native bf16)",
    },
}


def write_params(workdir: Path, **sections: dict) -> None:
    params = {
        "fetch": {"submitted_from": "2024-01-01", "submitted_to": "2024-12-31"},
        "train": {"learning_rate": 1e-4},
        "publish": {"repo_id": REPO_ID, "license": "mit"},
    }
    for name, values in sections.items():
        params[name] = {**params.get(name, {}), **values}
    (workdir / "params.yaml").write_text(yaml.safe_dump(params))


def later_texts(count: int = 60) -> list[str]:
    """The later papers' abstracts: 1 to 40 of the tiny vocabulary's words, seeded."""
    rng = np.random.default_rng(7)
    return [" ".join(rng.choice(WORDS, size=n)) for n in rng.integers(1, 41, size=count)]


def write_later(path: Path) -> None:
    """data/later/papers.jsonl as the later stage writes it, every category present."""
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [
        {
            "id": f"2501.{i:05d}",
            "title": f"paper {i}",
            "abstract": text,
            "primary_category": LABELS.codes[i % len(LABELS)],
            "categories": [LABELS.codes[i % len(LABELS)]],
            "published": "2025-01-15T10:00:00Z",
        }
        for i, text in enumerate(later_texts())
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def write_evaluation(workdir: Path, evaluation: dict) -> None:
    """`evaluation` as the evaluate stage writes it: the full report in details.json."""
    (workdir / "reports" / "eval" / "details.json").write_text(json.dumps(evaluation))


def run_publish(workdir: Path) -> Path:
    publish(*(workdir / arg for arg in ARGS))
    return workdir / "models" / "published"


def hub_env(fake_hub: FakeHub) -> dict[str, str]:
    """A user's shell that could upload: HF_TOKEN set, the local Hub, offline mode off."""
    return {
        **os.environ,
        "HF_TOKEN": TOKEN,
        "HF_ENDPOINT": fake_hub.url,
        "HF_HUB_OFFLINE": "0",
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
    }
