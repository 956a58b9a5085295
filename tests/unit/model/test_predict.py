"""`arxivist predict`: every input mode and output format agrees with a direct pipeline() call, in
input order; bad input fails in one line, before the model is loaded; output streams chunk by
chunk, in bounded memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import queue
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from arxivist.cli import main
from arxivist.integrity.checksums import CHECKSUMS, write_checksums
from arxivist.model.inference import CHUNK_SIZE
from standins.tiny_bert import (
    BF16_TOLERANCE,
    LABELS,
    WORDS,
    build_tiny_classifier,
    save_pickled_payload,
)

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


def piped(text: str) -> io.TextIOWrapper:
    """A stand-in for sys.stdin with `text` piped in."""
    return io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")


def predict(
    capsys: pytest.CaptureFixture[str], *argv: str | Path, precision: str = "fp32"
) -> tuple[int, str, str]:
    """`arxivist predict ARGV`, in fp32 unless asked: `expected` is fp32 pipeline() scores."""
    code = main(["predict", "--precision", precision, *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def best(row: dict[str, float]) -> tuple[str, float]:
    label = max(row, key=row.get)
    return label, row[label]


def test_arguments_give_text_lines_in_input_order(
    model_dir: Path, expected: list[dict[str, float]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = predict(capsys, "--model", model_dir, "--batch-tokens", "20", *TEXTS)

    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert [label for label, _ in lines] == [best(row)[0] for row in expected]
    assert [float(score) for _, score in lines] == pytest.approx(
        [best(row)[1] for row in expected], abs=6e-4
    )


def write_input(path: Path, field: str) -> Path:
    if path.suffix == ".txt":
        path.write_text(
            "\n".join(TEXTS[:3]) + "\n\n" + "\n".join(TEXTS[3:]) + "\n", encoding="utf-8"
        )
    elif path.suffix == ".jsonl":
        path.write_text(
            "".join(json.dumps({"id": i, field: t}) + "\n" for i, t in enumerate(TEXTS)),
            encoding="utf-8",
        )
    else:
        with path.open("w", encoding="utf-8", newline="") as out:
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
    assert err == ""  # the progress bar shows only when stderr is a terminal


def test_stdin_and_all_scores(
    model_dir: Path,
    expected: list[dict[str, float]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", piped("\n".join(TEXTS) + "\n"))

    code, out, _ = predict(capsys, "--model", model_dir, "--format", "jsonl", "--all-scores")

    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert all(tuple(r["scores"]) == LABELS.names for r in records)  # in the model's label order
    for record, row in zip(records, expected, strict=True):
        assert record["scores"] == pytest.approx(row, abs=1e-6)
        assert record["label"] == best(row)[0]
        assert record["score"] == pytest.approx(best(row)[1], abs=1e-6)


def test_bf16_agrees_with_fp32_at_bf16_tolerance_and_auto_follows_the_probe(
    model_dir: Path,
    expected: list[dict[str, float]],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bf16 keeps about 3 significant digits: the labels agree with fp32, the scores to 1e-2.
    `auto` runs bf16 exactly where the probe reports a native bf16 unit."""
    import torch

    from arxivist.model.compute import probe

    if not torch.cuda.is_available():  # as an AVX512-BF16 CPU, on any CPU
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    assert probe().native_bf16, "a GPU without native bf16: nothing to run auto as bf16 on"
    argv = ("--model", model_dir, "--format", "jsonl", "--all-scores", *TEXTS)

    for precision in ("bf16", "auto"):
        caplog.clear()
        with caplog.at_level("INFO", logger="arxivist.model.compute"):
            code, out, _ = predict(capsys, *argv, precision=precision)

        assert code == 0 and f", bf16 (precision {precision} requested)" in caplog.text
        records = [json.loads(line) for line in out.splitlines()]
        assert [r["label"] for r in records] == [best(row)[0] for row in expected]
        for record, row in zip(records, expected, strict=True):
            assert record["scores"] == pytest.approx(row, abs=BF16_TOLERANCE)
    differences = [
        abs(r["scores"][k] - row[k]) for r, row in zip(records, expected, strict=True) for k in row
    ]
    assert max(differences) > 0  # bf16 really ran


UNKNOWN_DOCX = "unknown extension '.docx' (use .txt, .jsonl, .csv)"
# A bad source or first record: found before the model loads.
BAD_INPUTS = {
    "empty.txt": ("\n  \n", "empty.txt: no texts to classify"),
    "notes.docx": ("text", UNKNOWN_DOCX),
    "latin1.txt": (b"caf\xe9\n", "latin1.txt: cannot read (not UTF-8 text at byte 3)"),
    "field.jsonl": ('\n{"title": "no text"}\n', "field.jsonl, line 2: no non-empty"),
    "broken.jsonl": ('{"text": \n{"text": "ok"}\n', "broken.jsonl, line 1: not valid JSON"),
    "list.jsonl": ('["ok"]\n', "list.jsonl, line 1: expected a JSON object"),
    "column.csv": ("id,title\n1,x\n", "column.csv: no 'text' or 'abstract' column (columns: id"),
    "cell.csv": ("id,abstract\n1,\n2,ok\n", "cell.csv, row 1: no non-empty 'text' or 'abstract'"),
}
# A bad record after a good one: found while streaming, after the lines before its chunk.
LATE_BAD_INPUTS = {
    "latin1.txt": (b"ok\ncaf\xe9\n", "latin1.txt: cannot read (not UTF-8 text at byte 6)"),
    "field.jsonl": ('{"text": "ok"}\n{"title": "no text"}\n', "field.jsonl, line 2: no non-empty"),
    "broken.jsonl": ('{"text": "ok"}\n{"text": \n', "broken.jsonl, line 2: not valid JSON"),
    "cell.csv": ("id,abstract\n1,ok\n2,\n", "cell.csv, row 2: no non-empty 'text' or 'abstract'"),
    "huge.csv": (f"text\nok\n{'x' * 200_000}\n", "huge.csv, line 3: not valid CSV (field larger"),
}


def write_bytes(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_one_line_before_the_model_loads(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, message = BAD_INPUTS[name]
    path = write_bytes(tmp_path / name, content)

    # The model folder does not exist: reading the input must fail first.
    code, out, err = predict(capsys, "--model", tmp_path / "no-model", "--input", path)

    assert (code, out) == (1, "")
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize("name", LATE_BAD_INPUTS)
def test_a_later_bad_record_is_one_line(
    name: str, model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, message = LATE_BAD_INPUTS[name]
    path = write_bytes(tmp_path / name, content)

    code, out, err = predict(capsys, "--model", model_dir, "--input", path)

    assert (code, out) == (1, "")  # the bad record is in the first chunk: nothing written
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
    monkeypatch.setattr(sys, "stdin", piped("\n \n"))

    code, out, err = predict(capsys, *argv)

    assert (code, out) == (1, "")
    assert err == f"error: {message}\n"


def test_max_length_overrides_below_the_model_length_only(
    model_dir: Path, expected: list[dict[str, float]], capsys: pytest.CaptureFixture[str]
) -> None:
    from transformers import pipeline

    classify = pipeline("text-classification", model=str(model_dir), top_k=None)
    (scores,) = classify([TEXTS[5]], truncation=True, max_length=4)
    truncated = {s["label"]: s["score"] for s in scores}
    assert truncated != pytest.approx(expected[5], abs=1e-3)  # 4 tokens change the scores

    code, out, _ = predict(
        capsys,
        "--model",
        model_dir,
        "--max-length",
        "4",
        "--format",
        "jsonl",
        "--all-scores",
        TEXTS[5],
    )

    assert code == 0
    assert json.loads(out)["scores"] == pytest.approx(truncated, abs=1e-6)
    code, out, err = predict(capsys, "--model", model_dir, "--max-length", "513", "a text")
    assert (code, out) == (1, "")
    assert (
        err == f"error: --max-length 513 exceeds the length of --model {model_dir} (512 tokens)\n"
    )


def test_a_bad_record_later_ends_the_run_after_the_lines_before_its_chunk(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "late.jsonl"
    good = [json.dumps({"text": TEXTS[i % len(TEXTS)]}) for i in range(CHUNK_SIZE + 5)]
    path.write_text("\n".join([*good, '{"title": "no text"}', *good[:3]]) + "\n")

    code, out, err = predict(capsys, "--model", model_dir, "--input", path)

    assert code == 1
    assert len(out.splitlines()) == CHUNK_SIZE  # the first chunk, written before the bad one
    line = CHUNK_SIZE + 6
    assert err == f"error: {path}, line {line}: no non-empty 'text' or 'abstract' field\n"


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


def first_line_before_stdin_closes(model_dir: Path, lines: list[str]) -> tuple[str, str]:
    """Pipe `lines` to `arxivist predict` and read its first output line while stdin is still
    open; then close stdin and return (that line, the rest of stdout)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "arxivist.cli", "predict", "--model", str(model_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        child.stdin.write("".join(f"{line}\n" for line in lines))
        child.stdin.flush()
        first: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: first.put(child.stdout.readline()), daemon=True).start()
        try:
            line = first.get(timeout=120)
        except queue.Empty:
            pytest.fail("no output within 120 s while stdin was open")
        assert child.poll() is None  # still waiting for the rest of stdin
        child.stdin.close()
        rest, err = child.stdout.read(), child.stderr.read()  # not communicate(): it skips
        assert child.wait(timeout=120) == 0, err  # what readline() buffered
    finally:
        child.kill()
    return line, rest


@pytest.mark.slow
def test_output_starts_before_stdin_is_closed(
    model_dir: Path, expected: list[dict[str, float]]
) -> None:
    lines = [TEXTS[i % len(TEXTS)] for i in range(2 * CHUNK_SIZE + 10)]

    first, rest = first_line_before_stdin_closes(model_dir, lines)

    labels = [line.split("\t")[0] for line in [first, *rest.splitlines()]]
    assert labels == [best(expected[i % len(TEXTS)])[0] for i in range(len(lines))]


def peak_rss_mib(model_dir: Path, stdin: Path) -> tuple[float, int]:
    """Run `arxivist predict < stdin`: the child's own peak RSS (MiB) and its number of lines."""
    out = stdin.with_suffix(".out")
    with stdin.open("rb") as source, out.open("wb") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "arxivist.cli", "predict", "--model", str(model_dir)],
            stdin=source,
            stdout=sink,
            env={**os.environ, "OMP_NUM_THREADS": "1"},  # memory, not speed: spare shared CPUs
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0
    with out.open("rb") as lines:
        return usage.ru_maxrss / 1024, sum(1 for _ in lines)


@pytest.mark.slow  # about 30 s on 2 CPU cores
def test_memory_stays_bounded_on_a_large_input(model_dir: Path, tmp_path: Path) -> None:
    # 600-byte lines of few tokens: the input is large, the model's work small. Holding the
    # 100x input (30 MB) in memory would cost more than 30 MiB: the tolerance is 16 MiB.
    peaks = {}
    for multiple in (10, 100):
        path = tmp_path / f"{multiple}x.txt"
        with path.open("w") as out:
            for i in range(multiple * CHUNK_SIZE):
                out.write(f"robot {i} {'x' * 600}\n")
        peaks[multiple], count = peak_rss_mib(model_dir, path)
        assert count == multiple * CHUNK_SIZE

    assert peaks[100] < peaks[10] + 16, peaks


def damage_by_flipping(path: Path) -> None:
    """Flip one bit in the middle of the file at `path`."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))


def damage_by_truncating(path: Path) -> None:
    """Cut the file at `path` to half its length."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage", [damage_by_flipping, damage_by_truncating])
@pytest.mark.parametrize("name", ["model.safetensors", "config.json"])
def test_a_damaged_file_of_a_checked_folder_is_one_line_before_any_output(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage, name: str
) -> None:
    folder = Path(shutil.copytree(model_dir, tmp_path / "published"))
    write_checksums(folder)
    assert predict(capsys, "--model", folder, TEXTS[0])[0] == 0
    damage(folder / name)
    code, out, err = predict(capsys, "--model", folder, *TEXTS)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {folder / name}: damaged (its sha256 differs from {CHECKSUMS}")
    assert err.count("\n") == 1


def test_a_file_missing_from_a_checked_folder_is_named(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(shutil.copytree(model_dir, tmp_path / "published"))
    write_checksums(folder)
    (folder / "tokenizer.json").unlink()
    code, out, err = predict(capsys, "--model", folder, TEXTS[0])
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {folder / 'tokenizer.json'}: missing (listed in {CHECKSUMS})")


def test_a_truncated_file_of_an_unchecked_folder_is_one_line(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(shutil.copytree(model_dir, tmp_path / "model"))  # no checksum list: models/model
    damage_by_truncating(folder / "model.safetensors")
    code, out, err = predict(capsys, "--model", folder, TEXTS[0])
    assert (code, out) == (1, "")
    assert err.startswith(f"error: --model {folder}: cannot load a classifier (")
    assert err.count("\n") == 1


@pytest.fixture(scope="module")
def int8_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The classifier folder with its int8 model, exported and quantised as publish does."""
    from arxivist.model.onnx_inference import INT8_MODEL
    from arxivist.publishing.onnx_export import export_int8

    folder = Path(shutil.copytree(model_dir, tmp_path_factory.mktemp("int8") / "model"))
    export_int8(folder, folder / INT8_MODEL, tmp_path_factory.mktemp("scratch"))
    return folder


def test_int8_gives_the_full_models_labels_and_scores_near_them(
    int8_dir: Path, expected: list[dict[str, float]], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["predict", "--int8", "--model", str(int8_dir), "--format", "jsonl", *TEXTS])
    out, err = capsys.readouterr()

    assert (code, err) == (0, "")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["label"] for r in records] == [best(row)[0] for row in expected]
    assert [r["score"] for r in records] == pytest.approx(
        [best(row)[1] for row in expected], abs=0.05
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--precision", "bf16"], "--precision applies to the full-precision model, not to --int8"),
        ([], "has no int8 model (onnx/model_quantized.onnx): the publish stage exports it only"),
    ],
)
def test_int8_refusals_are_one_line(
    argv: list[str], message: str, model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["predict", "--int8", "--model", str(model_dir), *argv, TEXTS[0]])
    out, err = capsys.readouterr()

    assert (code, out) == (1, "")
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_int8_without_onnxruntime_names_the_extra(
    int8_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if the extra were not installed

    code = main(["predict", "--int8", "--model", str(int8_dir), TEXTS[0]])

    assert code == 1
    err = "error: the int8 model needs onnxruntime: pip install 'arxivist[onnx]'\n"
    assert capsys.readouterr() == ("", err)


# Runs one-text `arxivist predict ARGV` in a fresh process and prints the modules it imported.
MODULES_AFTER = """
import json, sys
from arxivist.cli import main
assert main(sys.argv[1:]) == 0
print(json.dumps(sorted(sys.modules)))
"""
NEVER_FOR_PREDICT = {  # another command's module, or what only training and the stages use
    "arxivist.compare", "arxivist.datacheck", "arxivist.hub_upload",
    "transformers", "datasets", "pandas", "sklearn", "dvc", "huggingface_hub",
}  # fmt: skip


@pytest.mark.parametrize(
    ("flag", "also_never"),
    [("--precision=fp32", {"onnxruntime"}), ("--int8", {"torch", "safetensors"})],
)
def test_predict_imports_only_what_predicting_needs(
    flag: str, also_never: set[str], int8_dir: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", MODULES_AFTER, "predict", flag, "--model", str(int8_dir), TEXTS[0]],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    *_, modules = done.stdout.splitlines()
    imported = {name.split(".")[0] for name in json.loads(modules)} | set(json.loads(modules))
    assert sorted(imported & (NEVER_FOR_PREDICT | also_never)) == []
    assert {"tokenizers", "numpy"} <= imported


@pytest.mark.parametrize("entry", ["dotdot", "absolute", "symlink"])
def test_a_checksum_list_entry_outside_the_folder_is_one_line_naming_it(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str
) -> None:
    """A downloaded folder whose checksums.sha256 lists another file of the machine, with its
    true hash (a pass would tell the folder's author what that file holds): refused, naming the
    entry and its line, before any output."""
    (tmp_path / "secret").write_text("root:x:0:0:root:/root:/bin/bash\n")
    folder = Path(shutil.copytree(model_dir, tmp_path / "published"))
    write_checksums(folder)
    name = {"dotdot": "../secret", "absolute": str(tmp_path / "secret"), "symlink": "notes.txt"}
    (folder / "notes.txt").symlink_to(tmp_path / "secret")
    digest = hashlib.sha256((tmp_path / "secret").read_bytes()).hexdigest()
    with (folder / CHECKSUMS).open("a") as listed:
        listed.write(f"{digest}  {name[entry]}\n")
    line = len((folder / CHECKSUMS).read_text().splitlines())

    code, out, err = predict(capsys, "--model", folder, *TEXTS)

    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: {folder / CHECKSUMS}, line {line}: refused entry {name[entry]!r} ("
    )
    assert err.count("\n") == 1


def test_a_nested_file_of_a_checked_folder_is_verified(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(shutil.copytree(model_dir, tmp_path / "published"))
    (folder / "onnx").mkdir()
    (folder / "onnx" / "model.onnx").write_bytes(b"\x08\x07graph")
    write_checksums(folder)
    assert "  onnx/model.onnx\n" in (folder / CHECKSUMS).read_text()
    assert predict(capsys, "--model", folder, TEXTS[0])[0] == 0
    damage_by_flipping(folder / "onnx" / "model.onnx")
    code, out, err = predict(capsys, "--model", folder, TEXTS[0])
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {folder / 'onnx' / 'model.onnx'}: damaged (")


@pytest.mark.parametrize("safetensors", ["removed", "kept"])
def test_pickled_weights_are_never_unpickled(
    model_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    safetensors: str,
) -> None:
    """A folder whose weights are a pickle that runs code when loaded: refused in one line
    naming the file (was torch's UnpicklingError traceback); beside model.safetensors it is
    left alone."""
    folder = Path(shutil.copytree(model_dir, tmp_path / "downloaded"))
    marker = tmp_path / "the-payload-ran"
    save_pickled_payload(folder / "pytorch_model.bin", marker)
    if safetensors == "removed":
        (folder / "model.safetensors").unlink()

    code, out, err = predict(capsys, "--model", folder, TEXTS[0])

    assert not marker.exists()
    if safetensors == "kept":
        assert (code, err) == (0, "")
        return
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: {folder / 'pytorch_model.bin'}: not loaded: arxivist loads only safetensors "
        "weights (model.safetensors), as unpickling a file can run code. "
    )
    assert err.count("\n") == 1


def test_a_reader_that_stops_early_ends_predict_quietly_with_status_141(
    model_dir: Path, tmp_path: Path
) -> None:
    """`arxivist predict ... | head -1`, as a shell runs it: 141 (128 + SIGPIPE, what `yes | head
    -1` gives), nothing on stderr. The output (about 1 MB) is larger than a pipe holds, so predict
    is still writing when head has gone."""
    path = tmp_path / "many.txt"
    path.write_text("".join(f"{TEXTS[i % len(TEXTS)]}\n" for i in range(10 * CHUNK_SIZE)))
    command = [
        *(sys.executable, "-m", "arxivist.cli", "predict", "--model", model_dir),
        *("--format", "jsonl", "--all-scores", "--input", path),
    ]
    done = subprocess.run(  # with pipefail, the status is predict's: head's is 0
        ["bash", "-o", "pipefail", "-c", f'{shlex.join(map(str, command))} 2>"$ERR" | head -1'],
        env={**os.environ, "ERR": str(tmp_path / "err")},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert (done.returncode, done.stderr) == (141, "")
    assert len(done.stdout.splitlines()) == 1 and json.loads(done.stdout)["label"] in LABELS.names
    assert (tmp_path / "err").read_text() == ""


def test_a_full_disk_under_stdout_is_one_line(model_dir: Path) -> None:
    """stdout on /dev/full, a device that answers every write with ENOSPC (was a traceback)."""
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = subprocess.run(
            [sys.executable, "-m", "arxivist.cli", "predict", "--model", str(model_dir), *TEXTS],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert (done.returncode, done.stderr) == (
        1,
        "error: arxivist predict: no space left on device; free space and rerun\n",
    )
