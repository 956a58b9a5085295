"""`arxivist predict`: classify abstracts with a saved model, from arguments, a file or stdin.

Inputs are read and checked before the model is loaded, so a bad file fails in a second with one
line naming the problem. Predictions come out one line per text, in input order.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from arxivist.errors import ArxivistError

if TYPE_CHECKING:
    from arxivist.inference import Classifier

HELP = "classify abstracts with a saved model (default: models/published)"
FIELDS = ("text", "abstract")  # the field (.jsonl) or column (.csv) holding the text, first found
MAX_LENGTH_CAP = 512


class PredictError(ArxivistError):
    """Input that cannot be classified; the message names the file and line or row."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts to classify")
    parser.add_argument(
        "--input",
        type=Path,
        metavar="PATH",
        help=".txt: one text a line (blank lines skipped); .jsonl: a 'text' or 'abstract' field; "
        ".csv: a 'text' or 'abstract' column. Without TEXT or --input: lines from stdin",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=Path("models/published"),
        metavar="DIR",
        help="a saved classifier folder (default: %(default)s)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "jsonl"),
        default="text",
        help="text: 'LABEL<TAB>SCORE' lines; jsonl: {'label', 'score'} objects (default: text)",
    )
    parser.add_argument(
        "--all-scores", action="store_true", help="jsonl: add 'scores', every label's probability"
    )
    parser.add_argument(
        "--batch-size", type=_positive, default=32, metavar="N", help="default: %(default)s"
    )
    parser.add_argument(
        "--max-length",
        type=_positive,
        metavar="TOKENS",
        help=f"truncation length (default: the tokenizer's limit, at most {MAX_LENGTH_CAP})",
    )


def run(args: argparse.Namespace) -> int:
    try:
        if args.all_scores and args.format != "jsonl":
            raise PredictError("--all-scores needs --format jsonl")
        texts = read_texts(args.texts, args.input, sys.stdin)
        label_names, probabilities = _classify(texts, args)
    except ArxivistError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for line in format_predictions(probabilities, label_names, args.format, args.all_scores):
        print(line)
    return 0


def _classify(texts: list[str], args: argparse.Namespace) -> tuple[Sequence[str], np.ndarray]:
    from arxivist.inference import predict_proba

    try:
        classifier = _load_quietly(args.model)
    except (OSError, ValueError) as err:
        raise PredictError(f"--model {args.model}: cannot load a classifier ({err})") from None
    max_length = args.max_length or min(classifier.tokenizer.model_max_length, MAX_LENGTH_CAP)
    probabilities = predict_proba(
        classifier,
        texts,
        batch_size=args.batch_size,
        max_length=max_length,
        progress=args.input is not None,
    )
    return classifier.label_names, probabilities


def _load_quietly(model_dir: Path) -> Classifier:
    """load_classifier without transformers' 'Loading weights' bar: stderr is for errors."""
    from transformers.utils import logging as transformers_logging

    from arxivist.inference import load_classifier

    enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        return load_classifier(model_dir)
    finally:
        if enabled:
            transformers_logging.enable_progress_bar()


def read_texts(texts: Sequence[str], path: Path | None, stdin: TextIO) -> list[str]:
    """The texts to classify, in order, from the arguments, the file at `path` or `stdin`."""
    if texts and path is not None:
        raise PredictError("give texts as arguments or with --input, not both")
    if texts:
        for number, text in enumerate(texts, start=1):
            if not text.strip():
                raise PredictError(f"argument {number} is empty")
        return list(texts)
    if path is None:
        if stdin.isatty():
            raise PredictError("no texts: give TEXT arguments, --input PATH, or pipe text to stdin")
        found = list(_from_txt(stdin.read(), "stdin"))
        source = "stdin"
    else:
        read = READERS.get(path.suffix.lower())
        if read is None:
            known = ", ".join(READERS)
            raise PredictError(f"--input {path}: unknown extension {path.suffix!r} (use {known})")
        try:
            content = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise PredictError(f"--input {path}: cannot read ({_reason(err)})") from None
        found = list(read(content, str(path)))
        source = str(path)
    if not found:
        raise PredictError(f"{source}: no texts to classify")
    return found


def _from_txt(content: str, source: str) -> Iterator[str]:
    return (line for line in content.splitlines() if line.strip())


def _from_jsonl(content: str, source: str) -> Iterator[str]:
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise PredictError(f"{source}, line {number}: not valid JSON ({err.msg})") from None
        if not isinstance(record, dict):
            raise PredictError(f"{source}, line {number}: expected a JSON object")
        yield _field(record, f"{source}, line {number}")


def _from_csv(content: str, source: str) -> Iterator[str]:
    rows = csv.DictReader(io.StringIO(content, newline=""))
    columns = rows.fieldnames or []
    if not any(name in columns for name in FIELDS):
        raise PredictError(
            f"{source}: no {' or '.join(map(repr, FIELDS))} column (columns: {', '.join(columns)})"
        )
    for number, row in enumerate(rows, start=1):
        yield _field(row, f"{source}, row {number}")


def _field(record: dict[str, Any], where: str) -> str:
    name = next((name for name in FIELDS if name in record), None)
    value = record.get(name) if name else None
    if not isinstance(value, str) or not value.strip():
        raise PredictError(f"{where}: no non-empty {' or '.join(map(repr, FIELDS))} field")
    return value


READERS: dict[str, Callable[[str, str], Iterator[str]]] = {
    ".txt": _from_txt,
    ".jsonl": _from_jsonl,
    ".csv": _from_csv,
}


def format_predictions(
    probabilities: np.ndarray, label_names: Sequence[str], fmt: str, all_scores: bool
) -> Iterator[str]:
    """One line per row of `probabilities`: 'LABEL<TAB>SCORE', or a JSON object for jsonl."""
    for row in probabilities:
        best = int(np.argmax(row))
        if fmt == "text":
            yield f"{label_names[best]}\t{row[best]:.3f}"
            continue
        record: dict[str, Any] = {"label": label_names[best], "score": float(row[best])}
        if all_scores:
            record["scores"] = {name: float(p) for name, p in zip(label_names, row, strict=True)}
        yield json.dumps(record, ensure_ascii=False)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}")
    return number


def _reason(err: OSError | UnicodeDecodeError) -> str:
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8 text at byte {err.start}"
    return err.strerror or str(err)
