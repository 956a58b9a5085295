"""The int8 model's quality gate: on the later set, against the same model in fp32 on the same
papers (paired), at least `publish.int8_min_agreement` of the labels kept, and ROC-AUC and macro-F1
differing by less than `publish.int8_max_roc_auc_difference` / `int8_max_macro_f1_difference`
(by default the noise floor's smallest resolvable differences)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from arxivist.evaluation.metrics import HEADLINE, classification_metrics
from arxivist.evaluation.plots import METRIC_NAMES
from arxivist.params import PublishParams

# HEADLINE metric -> the param bounding its difference
GATE_KEYS = {
    "roc_auc_ovr": "int8_max_roc_auc_difference",
    "macro_f1": "int8_max_macro_f1_difference",
}


@dataclass(frozen=True)
class Gate:
    """The int8 model against the fp32 model on the same papers, and why it is left out (no
    reason: it passed). `papers` 0: not measured (`reasons` says why)."""

    papers: int = 0
    agreement: float = 0.0  # the share of papers with the same label
    fp32: dict[str, float] = field(default_factory=dict)  # HEADLINE metric -> value
    int8: dict[str, float] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.papers > 0 and not self.reasons


def quality_gate(
    truth: np.ndarray,
    fp32: np.ndarray,
    int8: np.ndarray,
    codes: Sequence[str],
    params: PublishParams,
) -> Gate:
    """The gate's figures on the same papers, and the reasons it fails (none: it passes)."""
    agreement = float(np.mean(fp32.argmax(axis=1) == int8.argmax(axis=1)))
    metrics = {
        name: {key: classification_metrics(truth, proba, codes)[key] for key in HEADLINE}
        for name, proba in (("fp32", fp32), ("int8", int8))
    }
    reasons = []
    if agreement < params.int8_min_agreement:
        reasons.append(
            f"it keeps {agreement:.2%} of the labels, below publish.int8_min_agreement "
            f"{params.int8_min_agreement:.2%}"
        )
    for key, param in GATE_KEYS.items():
        difference = metrics["int8"][key] - metrics["fp32"][key]
        limit = getattr(params, param)
        if not abs(difference) < limit:
            reasons.append(
                f"its {METRIC_NAMES[key]} differs by {difference:+.4f}, not less than "
                f"publish.{param} {limit}"
            )
    return Gate(len(truth), agreement, metrics["fp32"], metrics["int8"], tuple(reasons))
