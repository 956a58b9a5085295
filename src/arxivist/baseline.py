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
) -> Pipeline:
    """Fit word uni- and bigram TF-IDF (sublinear tf) + L2 logistic regression (lbfgs: no random
    draws, so deterministic), classes weighted by inverse frequency as the model's default
    train.class_weights does.

    Every class must occur in `labels`, so `predict_proba` has one column per code, in id order.
    """
    check_labels(np.asarray(labels), codes, "baseline training labels")
    pipeline = make_pipeline(
        TfidfVectorizer(
            max_features=params.baseline_max_features, ngram_range=(1, 2), sublinear_tf=True
        ),
        LogisticRegression(C=params.baseline_c, class_weight="balanced", max_iter=1000),
    )
    return pipeline.fit(list(texts), labels)
