"""The baseline the fine-tuned model has to beat: TF-IDF features and a logistic regression."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from arxivist.metrics import check_labels
from arxivist.params import EvaluateParams


def fit_baseline(
    texts: Sequence[str],
    labels: np.ndarray,
    codes: Sequence[str],
    params: EvaluateParams,
    seed: int,
) -> Pipeline:
    """Fit word uni- and bigram TF-IDF (sublinear tf) + L2 logistic regression, deterministically.

    Every class must occur in `labels`, so `predict_proba` has one column per code, in id order.
    """
    check_labels(np.asarray(labels), codes, "baseline training labels")
    pipeline = make_pipeline(
        TfidfVectorizer(
            max_features=params.baseline_max_features, ngram_range=(1, 2), sublinear_tf=True
        ),
        LogisticRegression(C=params.baseline_c, max_iter=1000, random_state=seed),
    )
    return pipeline.fit(list(texts), labels)
