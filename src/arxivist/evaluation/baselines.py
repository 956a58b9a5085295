"""The cheap systems the fine-tuned model has to beat, fitted on the train split only.

- `tfidf`: word uni- and bigram TF-IDF (sublinear tf) + L2 logistic regression.
- `encoder`: the checkpoint's frozen mean-pooled, L2-normalised sentence embeddings (as
  sentence-transformers pools all-MiniLM-L6-v2) + L2 logistic regression whose C is chosen by
  stratified cross-validation on the train split (log-loss), never on the papers it is scored on.

Both weight classes by inverse frequency, as the model's default train.class_weights does, and use
lbfgs on unshuffled folds: no random draws, so the same data give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline

from arxivist.data.papers import TEXT
from arxivist.errors import ArxivistError
from arxivist.evaluation.metrics import check_labels, rounded
from arxivist.evaluation.sets import BASELINES
from arxivist.jsonlines import read_jsonl
from arxivist.params import BaselinesParams

if TYPE_CHECKING:
    from arxivist.model.torch_inference import Encoder


def fit_tfidf(
    texts: Sequence[str], labels: np.ndarray, codes: Sequence[str], params: BaselinesParams
) -> Pipeline:
    """TF-IDF + logistic regression; `predict_proba` has one column per code, in id order."""
    check_labels(np.asarray(labels), codes, "baseline training labels")
    pipeline = make_pipeline(
        TfidfVectorizer(
            max_features=params.tfidf_max_features, ngram_range=(1, 2), sublinear_tf=True
        ),
        LogisticRegression(C=params.tfidf_c, class_weight="balanced", max_iter=1000),
    )
    return pipeline.fit(list(texts), labels)


def fit_encoder_probe(
    features: np.ndarray, labels: np.ndarray, codes: Sequence[str], params: BaselinesParams
) -> LogisticRegressionCV:
    """Logistic regression on frozen embeddings, C picked from `encoder_cs` by cross-validation
    on these (training) rows only."""
    labels = np.asarray(labels)
    check_labels(labels, codes, "baseline training labels")
    folds = min(params.encoder_folds, int(np.bincount(labels).min()))
    probe = LogisticRegressionCV(
        Cs=list(params.encoder_cs),
        cv=StratifiedKFold(n_splits=max(folds, 2)),
        scoring="neg_log_loss",
        class_weight="balanced",
        max_iter=2000,
        l1_ratios=(0.0,),  # plain L2, as the TF-IDF baseline
        use_legacy_attributes=False,  # C_ is the chosen C
    )
    return probe.fit(features, labels)


def score_baselines(
    train: pd.DataFrame,
    sets: Mapping[str, pd.DataFrame],
    codes: Sequence[str],
    params: BaselinesParams,
    encoder: Encoder,
    batch_tokens: int,
) -> dict[str, dict[str, np.ndarray]]:
    """{set: {system: probabilities}} of both baselines fitted on `train`, rows in each set's
    order, columns in label-id order."""
    labels = train["label"].to_numpy()
    tfidf = fit_tfidf(train[TEXT].tolist(), labels, codes, params)
    probe = fit_encoder_probe(
        encoder.embed(train[TEXT].tolist(), batch_tokens), labels, codes, params
    )
    return {
        name: {
            "encoder": probe.predict_proba(encoder.embed(frame[TEXT].tolist(), batch_tokens)),
            "tfidf": tfidf.predict_proba(frame[TEXT].tolist()),
        }
        for name, frame in sets.items()
    }


def baseline_records(
    scores: Mapping[str, Mapping[str, np.ndarray]],
    sets: Mapping[str, pd.DataFrame],
    codes: Sequence[str],
) -> Iterator[dict[str, Any]]:
    """One {"set", "system", "id", "probabilities": {code: p}} record per paper and system."""
    for name, systems in scores.items():
        for system, probabilities in systems.items():
            for paper, row in zip(sets[name]["id"], probabilities, strict=True):
                yield {
                    "set": name,
                    "system": system,
                    "id": paper,
                    "probabilities": rounded(codes, row),
                }


def read_baseline_scores(
    path: Path, sets: Mapping[str, pd.DataFrame], codes: Sequence[str]
) -> dict[str, dict[str, np.ndarray]]:
    """The records of `baseline_records` back as {set: {system: probabilities}}, rows in the
    order of each set's papers; fails naming the file when a paper or a system is missing."""
    found: dict[tuple[str, str], dict[str, list[float]]] = {}
    for record in read_jsonl(path):
        found.setdefault((record["set"], record["system"]), {})[record["id"]] = [
            record["probabilities"][code] for code in codes
        ]
    scores: dict[str, dict[str, np.ndarray]] = {}
    for name, frame in sets.items():
        for system in BASELINES:
            rows = found.get((name, system), {})
            if missing := [paper for paper in frame["id"] if paper not in rows]:
                raise ArxivistError(
                    f"{path}: no {system} prediction for {len(missing)} papers of the {name} set "
                    f"(first: {missing[0]}); rerun the baselines stage"
                )
            scores.setdefault(name, {})[system] = np.array([rows[p] for p in frame["id"]])
    return scores
