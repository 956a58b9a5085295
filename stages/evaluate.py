"""evaluate: the model beside the baselines on the later papers and the test split -> reports.

Every system is scored on the same papers; every headline number carries a stratified bootstrap
95% interval and every baseline a paired difference (model - baseline) on the same resamples.
reports/eval/later/{model,encoder,tfidf}.json hold the later set's headline numbers, one file per
system (a row each in `dvc metrics show`); reports/eval/details.json the full report of both sets
(accuracy, per class, intervals, differences) and the compute used.
"""

import logging
from pathlib import Path

from arxivist.atomic import atomic_path, write_json, write_jsonl
from arxivist.baselines import read_baseline_scores
from arxivist.bootstrap import set_report
from arxivist.compute import resolve
from arxivist.evaluation_sets import load_evaluation_sets
from arxivist.inference import load_classifier, predict_proba
from arxivist.labels import LabelSet
from arxivist.metrics import confusion_cells, headline, prediction_records, roc_rows, stored
from arxivist.params import load_params
from arxivist.stage import run_stage
from arxivist.tokenization import TEXT

log = logging.getLogger("evaluate")


def evaluate(
    model: Path, splits: Path, later: Path, baselines: Path, labels: Path, out: Path
) -> None:
    params = load_params()
    label_set = LabelSet.load(labels)
    codes = label_set.codes
    sets = load_evaluation_sets(splits, later, label_set)
    baseline_scores = read_baseline_scores(baselines, sets, codes)
    compute = resolve(params.evaluate.precision)
    classifier = load_classifier(model, compute)
    classifier.check_labels(label_set, model)

    reports, predictions = {}, []
    for name, frame in sets.items():
        truth = frame["label"].to_numpy()
        probabilities = predict_proba(
            classifier,
            frame[TEXT].tolist(),
            compute=compute,
            batch_tokens=params.evaluate.batch_tokens,
            progress=True,
        )
        scores = {"model": stored(probabilities), **baseline_scores[name]}
        resamples, seed = params.evaluate.bootstrap_resamples, params.evaluate.bootstrap_seed
        reports[name] = set_report(truth, scores, codes, resamples, seed)
        predictions += prediction_records(name, frame["id"], truth, scores["model"], codes)
        if name == "test":
            with atomic_path(out / "plots") as plots:
                write_json(plots / "confusion.json", confusion_cells(truth, scores["model"], codes))
                write_json(plots / "roc.json", roc_rows(truth, scores["model"], codes))
        for system in scores:
            log.info(
                "%s set (%d papers), %s: %s",
                name,
                len(frame),
                system,
                reports[name][system]["intervals"],
            )

    write_jsonl(out / "predictions.jsonl", predictions)
    write_json(out / "details.json", {**reports, "compute": compute.describe()})
    with atomic_path(out / "later") as folder:
        for system in ("model", *baseline_scores["later"]):
            write_json(folder / f"{system}.json", headline(reports["later"][system]))


if __name__ == "__main__":
    run_stage(evaluate, "model", "splits", "later", "baselines", "labels", "out", doc=__doc__)
