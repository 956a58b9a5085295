"""`arxivist predict`: every input mode and output format agrees with a direct pipeline() call, in
input order; bad input fails in one line, before the model is loaded.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from arxivist.cli import main
from tests.fakes.tiny_bert import LABELS, WORDS, build_tiny_classifier

# Texts of different lengths, so that length-sorted batches run them out of input order.
TEXTS = [
    " ".join(WORDS[start : start + length])
    for start, length in [(14, 3), (0, 12), (6, 1), (20, 9), (9, 5), (2, 20), (17, 2)]
]
TEXTS[1] += ', with a "quoted, comma" phrase'


@pytest.fixture(scope="module")
def model_dir(tiny_bert: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny classifier, fitted so that TEXTS get different labels."""
    return build_tiny_classifier(tiny_bert, tmp_path_factory.mktemp("classifier"), fit_texts=TEXTS)


@pytest.fixture(scope="module")
def expected(model_dir: Path) -> list[dict[str, float]]:
    """Every label's score for each text, from transformers' own pipeline."""
    from transformers import pipeline

    classify = pipeline("text-classification", model=str(model_dir), top_k=None)
    rows = [{s["label"]: s["score"] for s in scores} for scores in classify(TEXTS)]
    assert len({max(row, key=row.get) for row in rows}) > 1, "the fixture must not be constant"
    return rows


def predict(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main(["predict", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def best(row: dict[str, float]) -> tuple[str, float]:
    label = max(row, key=row.get)
    return label, row[label]


def test_arguments_give_text_lines_in_input_order(
    model_dir: Path, expected: list[dict[str, float]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = predict(capsys, "--model", model_dir, "--batch-size", "3", *TEXTS)

    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert [label for label, _ in lines] == [best(row)[0] for row in expected]
    assert [float(score) for _, score in lines] == pytest.approx(
        [best(row)[1] for row in expected], abs=6e-4
    )


def write_input(path: Path, field: str) -> Path:
    if path.suffix == ".txt":
        path.write_text("\n".join(TEXTS[:3]) + "\n\n" + "\n".join(TEXTS[3:]) + "\n")
    elif path.suffix == ".jsonl":
        path.write_text(
            "".join(json.dumps({"id": i, field: t}) + "\n" for i, t in enumerate(TEXTS))
        )
    else:
        with path.open("w", newline="") as out:
            rows = csv.DictWriter(out, fieldnames=["id", field])
            rows.writeheader()
            rows.writerows({"id": i, field: text} for i, text in enumerate(TEXTS))
    return path


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("in.txt", ""),
        ("in.jsonl", "text"),
        ("in.jsonl", "abstract"),
        ("in.csv", "text"),
        ("in.csv", "abstract"),
    ],
)
def test_files_give_jsonl_in_input_order(
    name: str,
    field: str,
    tmp_path: Path,
    model_dir: Path,
    expected: list[dict[str, float]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_input(tmp_path / name, field)

    code, out, err = predict(capsys, "--model", model_dir, "--input", path, "--format", "jsonl")

    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["label"] for r in records] == [best(row)[0] for row in expected]
    assert [r["score"] for r in records] == pytest.approx(
        [best(row)[1] for row in expected], abs=1e-6
    )
    assert all(set(r) == {"label", "score"} for r in records)
    assert "predict" in err  # the progress bar, on stderr


def test_stdin_and_all_scores(
    model_dir: Path,
    expected: list[dict[str, float]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(TEXTS) + "\n"))

    code, out, _ = predict(capsys, "--model", model_dir, "--format", "jsonl", "--all-scores")

    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert all(tuple(r["scores"]) == LABELS.names for r in records)  # in the model's label order
    for record, row in zip(records, expected, strict=True):
        assert record["scores"] == pytest.approx(row, abs=1e-6)
        assert record["label"] == best(row)[0]
        assert record["score"] == pytest.approx(best(row)[1], abs=1e-6)


UNKNOWN_DOCX = "unknown extension '.docx' (use .txt, .jsonl, .csv)"
BAD_INPUTS = {
    "empty.txt": ("\n  \n", "empty.txt: no texts to classify"),
    "notes.docx": ("text", UNKNOWN_DOCX),
    "latin1.txt": (b"caf\xe9\n", "latin1.txt: cannot read (not UTF-8 text at byte 3)"),
    "field.jsonl": ('{"text": "ok"}\n{"title": "no text"}\n', "field.jsonl, line 2: no non-empty"),
    "broken.jsonl": ('{"text": "ok"}\n{"text": \n', "broken.jsonl, line 2: not valid JSON"),
    "column.csv": ("id,title\n1,x\n", "column.csv: no 'text' or 'abstract' column (columns: id"),
    "cell.csv": ("id,abstract\n1,ok\n2,\n", "cell.csv, row 2: no non-empty 'text' or 'abstract'"),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_one_line_before_the_model_loads(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, message = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())

    # The model folder does not exist: reading the input must fail first.
    code, out, err = predict(capsys, "--model", tmp_path / "no-model", "--input", path)

    assert (code, out) == (1, "")
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--input", "in.txt", "a text"], "give texts as arguments or with --input, not both"),
        (["a text", " "], "argument 2 is empty"),
        ([], "stdin: no texts to classify"),
        (["--all-scores", "a text"], "--all-scores needs --format jsonl"),
        (
            ["--input", "missing.txt"],
            "--input missing.txt: cannot read (No such file or directory)",
        ),
        (["a text"], "models/published is not a saved model folder (no config.json)"),
    ],
)
def test_usage_errors_are_one_line(
    argv: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n \n"))

    code, out, err = predict(capsys, *argv)

    assert (code, out) == (1, "")
    assert err == f"error: {message}\n"


def test_max_length_reaches_the_model(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = predict(capsys, "--model", model_dir, "--max-length", "600", "a text")

    assert code == 1
    assert err == "error: max_length=600 exceeds the model's limit 512\n"


def test_the_command_as_a_process_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "arxivist.cli", "predict", "--input", str(tmp_path / "x.docx")],
        capture_output=True,
        text=True,
    )

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"error: --input {tmp_path / 'x.docx'}: {UNKNOWN_DOCX}\n"


@pytest.mark.slow
def test_the_command_as_a_process_reads_piped_stdin(
    model_dir: Path, expected: list[dict[str, float]]
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "arxivist.cli", "predict", "--model", str(model_dir)],
        input="\n".join(TEXTS),
        capture_output=True,
        text=True,
    )

    assert done.returncode == 0, done.stderr
    labels = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert labels == [best(row)[0] for row in expected]
