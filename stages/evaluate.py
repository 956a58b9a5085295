"""evaluate: the model beside the baselines on the later papers and the test split -> reports.

Every system is scored on the same papers; every headline number carries a stratified bootstrap
95% interval and every baseline a paired difference (model - baseline) on the same resamples.
reports/eval/later/{model,encoder,tfidf}.json hold the later set's headline numbers, one file per
system (a row each in `dvc metrics show`); reports/eval/details.json the full report of both sets
(accuracy, per class, intervals, differences) and the compute used; reports/eval/predictions.jsonl
the model's per-paper predictions on both sets and on the validation split (what `arxivist compare
--pick` chooses a sweep's recipe on). reports/eval is replaced as one folder when everything is
computed, so an interrupted run leaves the previous reports.
"""

from pathlib import Path

from arxivist.atomic import atomic_path
from arxivist.data.papers import TEXT
from arxivist.evaluation.baselines import read_baseline_scores
from arxivist.evaluation.metrics import stored
from arxivist.evaluation.reports import write_reports
from arxivist.evaluation.sets import SELECTION, load_evaluation_sets, load_split
from arxivist.labels import LabelSet
from arxivist.model.compute import resolve
from arxivist.model.inference import predict_proba
from arxivist.model.torch_inference import load_classifier
from arxivist.params import load_params
from arxivist.stage_runner import run_stage


def evaluate(
    model: Path, splits: Path, later: Path, baselines: Path, labels: Path, out: Path
) -> None:
    params = load_params()
    label_set = LabelSet.load(labels)
    sets = load_evaluation_sets(splits, later, label_set)
    papers = {**sets, SELECTION: load_split(splits, SELECTION, label_set)}  # the model alone
    baseline_scores = read_baseline_scores(baselines, sets, label_set.codes)
    compute = resolve(params.evaluate.precision)
    classifier = load_classifier(model, compute)
    classifier.check_labels(label_set, model)
    batch_tokens = params.evaluate.batch_tokens
    scores = {
        name: {
            "model": stored(
                predict_proba(
                    classifier,
                    frame[TEXT].tolist(),
                    batch_tokens=batch_tokens,
                    progress=True,
                )
            ),
            **baseline_scores.get(name, {}),
        }
        for name, frame in papers.items()
    }
    with atomic_path(out) as staged:
        write_reports(staged, papers, scores, label_set.codes, params.evaluate, compute, out)


if __name__ == "__main__":
    run_stage(evaluate, "model", "splits", "later", "baselines", "labels", "out", doc=__doc__)
