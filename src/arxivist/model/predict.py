"""`arxivist predict`: classify abstracts with a saved model, from arguments, a file or stdin.

The input is read lazily, a chunk at a time, and each chunk's predictions are written (one line
per text, in input order) as soon as it is classified, so any number of texts runs in bounded
memory. Flags, the input file and its first record are checked before the model is loaded, so a
bad call fails in a second with one line naming the problem; a bad record further on ends the run
with such a line after the predictions before it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from arxivist.arguments import positive_int
from arxivist.errors import ArxivistError
from arxivist.jsonlines import decode_lines, parse_objects
from arxivist.params import PRECISIONS, EvaluateParams

if TYPE_CHECKING:  # a type only: a backend loads once the flags and first record are checked
    from arxivist.model.inference import Classifier

FIELDS = ("text", "abstract")  # the field (.jsonl) or column (.csv) holding the text, first found


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
        "--batch-tokens",
        type=positive_int,
        default=EvaluateParams.batch_tokens,
        metavar="N",
        help="at most N (padded) tokens per forward pass (default: %(default)s, as "
        "evaluate.batch_tokens)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="auto: bf16 where the GPU/CPU computes it natively, else fp32 (default: "
        f"{EvaluateParams.precision}, as evaluate.precision)",
    )
    parser.add_argument(
        "--int8",
        action="store_true",
        help="run the folder's int8 ONNX model (onnx/model_quantized.onnx, which publish exports "
        "when it passes its quality gate) with ONNX Runtime: faster, and starts without torch; "
        "needs the onnx extra",
    )
    parser.add_argument(
        "--max-length",
        type=positive_int,
        metavar="TOKENS",
        help="truncation length, at most the model's (default: the model's, the length it was "
        "trained with)",
    )


def run(args: argparse.Namespace) -> int:
    if args.all_scores and args.format != "jsonl":
        raise PredictError("--all-scores needs --format jsonl")
    if args.int8 and args.precision is not None:
        raise PredictError("--precision applies to the full-precision model, not to --int8")
    texts = read_texts(args.texts, args.input, sys.stdin)
    write_predictions(texts, args, sys.stdout)
    return 0


def write_predictions(texts: Iterable[str], args: argparse.Namespace, out: TextIO) -> None:
    """Classify `texts` chunk by chunk, writing and flushing each chunk's lines as it is done."""
    from arxivist.model.inference import iter_proba

    classifier = _load(args)
    if args.max_length is not None and args.max_length > classifier.tokenizer.max_length:
        raise PredictError(
            f"--max-length {args.max_length} exceeds the length of --model {args.model} "
            f"({classifier.tokenizer.max_length} tokens)"
        )
    chunks = iter_proba(
        classifier,
        texts,
        batch_tokens=args.batch_tokens,
        max_length=args.max_length,
        progress=True,
    )
    for probabilities in chunks:
        lines = format_predictions(
            probabilities, classifier.label_names, args.format, args.all_scores
        )
        out.write("".join(f"{line}\n" for line in lines))
        out.flush()


def _load(args: argparse.Namespace) -> Classifier:
    """The classifier of --model: its int8 ONNX model (--int8: no torch imported) or the
    full-precision one in torch at --precision."""
    if args.int8:
        from arxivist.model.onnx_inference import load_onnx_classifier

        return load_onnx_classifier(args.model)
    from safetensors import SafetensorError

    from arxivist.model.compute import resolve
    from arxivist.model.torch_inference import load_classifier

    try:
        return load_classifier(args.model, resolve(args.precision or EvaluateParams.precision))
    except (OSError, ValueError, SafetensorError) as err:
        raise PredictError(f"--model {args.model}: cannot load a classifier ({err})") from None


def read_texts(texts: Sequence[str], path: Path | None, stdin: TextIO) -> Iterator[str]:
    """The texts to classify, lazily and in order, from the arguments, the file at `path` or
    `stdin`. The source is opened and its first text read and checked now."""
    if texts and path is not None:
        raise PredictError("give texts as arguments or with --input, not both")
    if texts:
        for number, text in enumerate(texts, start=1):
            if not text.strip():
                raise PredictError(f"argument {number} is empty")
        return iter(texts)
    if path is None:
        if stdin.isatty():
            raise PredictError("no texts: give TEXT arguments, --input PATH, or pipe text to stdin")
        source, found = "stdin", _from_txt(_read_lines(None, stdin), "stdin")
    else:
        read = READERS.get(path.suffix.lower())
        if read is None:
            known = ", ".join(READERS)
            raise PredictError(f"--input {path}: unknown extension {path.suffix!r} (use {known})")
        source, found = str(path), read(_read_lines(path, stdin), str(path))
    first = next(found, None)
    if first is None:
        raise PredictError(f"{source}: no texts to classify")
    return chain([first], found)


def _read_lines(path: Path | None, stdin: TextIO) -> Iterator[str]:
    """The UTF-8 lines, with their line ends, of the file at `path` (else stdin), read lazily;
    a file that cannot be opened, read or decoded fails naming it (and the byte offset)."""
    source = "stdin" if path is None else f"--input {path}"
    try:
        with contextlib.nullcontext(stdin.buffer) if path is None else path.open("rb") as lines:
            yield from decode_lines(lines, source, PredictError)
    except OSError as err:
        raise PredictError(f"{source}: cannot read ({err.strerror or err})") from None


def _from_txt(lines: Iterable[str], source: str) -> Iterator[str]:
    return (line.rstrip("\r\n") for line in lines if line.strip())


def _from_jsonl(lines: Iterable[str], source: str) -> Iterator[str]:
    for where, record in parse_objects(lines, source, PredictError):
        yield _field(record, where)


def _from_csv(lines: Iterable[str], source: str) -> Iterator[str]:
    rows = csv.DictReader(lines)
    try:
        columns = rows.fieldnames or []
        if not any(name in columns for name in FIELDS):
            raise PredictError(
                f"{source}: no {' or '.join(map(repr, FIELDS))} column "
                f"(columns: {', '.join(columns)})"
            )
        for number, row in enumerate(rows, start=1):
            yield _field(row, f"{source}, row {number}")
    except csv.Error as err:
        raise PredictError(
            f"{source}, line {rows.reader.line_num}: not valid CSV ({err})"
        ) from None


def _field(record: dict[str, Any], where: str) -> str:
    name = next((name for name in FIELDS if name in record), None)
    value = record.get(name) if name else None
    if not isinstance(value, str) or not value.strip():
        raise PredictError(f"{where}: no non-empty {' or '.join(map(repr, FIELDS))} field")
    return value


READERS: dict[str, Callable[[Iterable[str], str], Iterator[str]]] = {
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
