"""The evaluate stage's reports, from every system's probabilities on every evaluation set."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from arxivist.atomic import write_json, write_jsonl
from arxivist.evaluation.bootstrap import set_report
from arxivist.evaluation.metrics import headline, prediction_records
from arxivist.evaluation.plots import write_plots
from arxivist.evaluation.sets import SETS
from arxivist.model.compute import Compute
from arxivist.params import EvaluateParams

log = logging.getLogger(__name__)


def write_reports(
    out: Path,
    sets: Mapping[str, pd.DataFrame],
    scores: Mapping[str, Mapping[str, np.ndarray]],
    codes: Sequence[str],
    params: EvaluateParams,
    compute: Compute,
    previous: Path | None = None,
) -> None:
    """Write into the (staged) folder `out`: details.json (the full report of each of SETS with
    intervals and paired differences, and the compute), later/<system>.json (the later set's
    headline numbers), predictions.jsonl (the model's, every set, the validation split's too)
    and the plot data of SETS (arxivist.evaluation.plots).

    `sets`: SETS and the validation split (SELECTION); `scores`: set -> system -> probabilities,
    the model first (the model alone on validation). `previous`: the folder `out` will replace,
    whose .gitignore (DVC's) is kept.
    """
    reports, predictions = {}, []
    for name, frame in sets.items():
        truth = frame["label"].to_numpy()
        predictions += prediction_records(name, frame["id"], truth, scores[name]["model"], codes)
        if name not in SETS:
            continue
        report = set_report(
            truth, dict(scores[name]), codes, params.bootstrap_resamples, params.bootstrap_seed
        )
        reports[name] = report
        for system in scores[name]:
            intervals = ", ".join(
                f"{metric} {b['value']:.3f} [{b['low']:.3f}, {b['high']:.3f}]"
                for metric, b in report[system]["intervals"].items()
            )
            log.info("%s set (%d papers), %s: %s", name, len(frame), system, intervals)
    out.mkdir(parents=True)
    if previous is not None and (previous / ".gitignore").is_file():
        shutil.copy2(previous / ".gitignore", out / ".gitignore")
    write_jsonl(out / "predictions.jsonl", predictions)
    write_json(out / "details.json", {**reports, "compute": compute.describe()})
    for system in scores["later"]:
        write_json(out / "later" / f"{system}.json", headline(reports["later"][system]))
    write_plots(out / "plots", {name: sets[name] for name in SETS}, scores, reports, codes)
