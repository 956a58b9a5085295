"""params.yaml validation: one test per rule, each error names the key."""

from __future__ import annotations

import copy
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from arxivist.params import (
    LaterParams,
    Params,
    ParamsError,
    load_params,
    params_from_dict,
)

ROOT = Path(__file__).resolve().parents[2]


def committed_params_text() -> str:
    """params.yaml as committed (HEAD), not the workspace copy: `make demo` leaves its experiment's
    params applied there. Outside a git checkout, the file itself."""
    shown = subprocess.run(
        ["git", "show", "HEAD:params.yaml"], cwd=ROOT, capture_output=True, text=True
    )
    return shown.stdout if shown.returncode == 0 else (ROOT / "params.yaml").read_text()


COMMITTED_TEXT = committed_params_text()
COMMITTED = yaml.safe_load(COMMITTED_TEXT)


def has_key(raw: dict, key: str) -> bool:
    """Whether the parsed params.yaml `raw` states the dotted `key` (itself, not a default)."""
    node: object = raw
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def with_value(path: str, value: object) -> dict:
    raw = copy.deepcopy(COMMITTED)
    *parents, last = path.split("/")
    node = raw
    for part in parents:
        node = node[part]
    node[last] = value
    return raw


def leaves(obj: object, key: str = "") -> dict[str, object]:
    """Every key of a Params (dotted, e.g. 'evaluate.batch_tokens') with its value; a mapping
    param (fetch.categories, labels) is one key."""
    if not dataclasses.is_dataclass(obj):
        return {key: obj}
    found: dict[str, object] = {}
    for f in dataclasses.fields(obj):
        found |= leaves(getattr(obj, f.name), f"{key}.{f.name}" if key else f.name)
    return found


def test_committed_params_load_and_match_the_defaults(tmp_path: Path) -> None:
    """The code's defaults are the one source; params.yaml is the pipeline's full copy of them."""
    (tmp_path / "params.yaml").write_text(COMMITTED_TEXT)
    params = load_params(tmp_path / "params.yaml")
    defaults, stated = leaves(params_from_dict({})), leaves(params)
    differing = {k: (stated[k], default) for k, default in defaults.items() if stated[k] != default}
    assert differing == {}, f"params.yaml vs the code's defaults: {differing}"
    missing = [key for key in defaults if not has_key(COMMITTED, key)]
    assert missing == [], f"params.yaml must state every key (DVC reads the file): {missing}"
    assert params == params_from_dict({})
    assert params.fetch.categories == {"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 100}
    assert params.later == LaterParams()
    assert params.later.categories == {"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 1000}
    assert params.model.checkpoint == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.parametrize(
    ("path", "value", "key", "words"),
    [
        ("fetch/page_sze", 10, "fetch.page_sze", "unknown key"),
        ("fetch/page_size", "many", "fetch.page_size", "must be an integer"),
        ("fetch/page_size", 2.5, "fetch.page_size", "must be an integer"),
        ("fetch/allow_short", "yes", "fetch.allow_short", "true or false"),
        ("split/test_size", 1.0, "split.test_size", "between 0 and 1"),
        ("split/val_size", 0, "split.val_size", "between 0 and 1"),
        (
            "fetch/categories",
            {"cs.AI": -5, "cs.IR": 1, "cs.RO": 1},
            "fetch.categories.cs.AI",
            "> 0",
        ),
        ("fetch/categories", {}, "fetch.categories", "at least one"),
        ("fetch/source", "kaggle", "fetch.source", "one of arxiv | snapshot"),
        ("train/learning_rate", 0, "train.learning_rate", "> 0"),
        ("train/learning_rate", -1e-5, "train.learning_rate", "> 0"),
        ("train/epochs", 0, "train.epochs", ">= 1"),
        ("train/class_weights", "inverse", "train.class_weights", "none | balanced"),
        ("tokenize/max_length", 4, "tokenize.max_length", "between 8"),
        ("fetch/page_size", 5000, "fetch.page_size", "between 1 and 2000"),
        ("fetch/submitted_from", "2024-13-01", "fetch.submitted_from", "YYYY-MM-DD"),
        ("fetch/submitted_from", "2025-01-01", "fetch.submitted_from", "after"),
        ("fetch/api_url", "export.arxiv.org", "fetch.api_url", "http"),
        ("model/checkpoint", " ", "model.checkpoint", "empty"),
        ("publish/repo_id", "no-owner", "publish.repo_id", "owner/name"),
        ("split/seed", -1, "split.seed", ">= 0"),
        ("train/seed", -1, "train.seed", ">= 0"),
        ("model/revision", " ", "model.revision", "non-empty"),
        ("train", None, "train", "mapping"),
        ("later/categories", {"cs.AI": 0, "cs.IR": 1, "cs.RO": 1}, "later.categories.cs.AI", "> 0"),
        ("later/categories", {"cs.AI": 1, "cs.IR": 1}, "later.categories", "exactly the labels'"),
        (
            "later/categories",
            {"cs.AI": 1, "cs.IR": 1, "cs.RO": 1, "cs.LG": 1},
            "later.categories",
            "exactly the labels'",
        ),
        ("later/submitted_to", "2025-02-30", "later.submitted_to", "YYYY-MM-DD"),
        ("later/submitted_to", "2024-12-31", "later.submitted_from", "not be after later.sub"),
        ("later/submitted_from", "2024-12-31", "later.submitted_from", "after the training window"),
        ("later/allow_short", "no", "later.allow_short", "true or false"),
        ("later/submitted_after", "2025-01-01", "later.submitted_after", "unknown key"),
    ],
)
def test_bad_value_names_its_key(path: str, value: object, key: str, words: str) -> None:
    with pytest.raises(ParamsError) as caught:
        params_from_dict(with_value(path, value))
    assert caught.value.key == key
    assert words in str(caught.value)
    assert key in str(caught.value)


@pytest.mark.parametrize("name", ["trian", "seed"], ids=["typo", "unreleased-draft-key"])
def test_unknown_top_level_key(name: str) -> None:
    """No key was ever renamed in a release: an old draft's `seed` is as unknown as a typo."""
    known = "fetch, later, labels, split, model, tokenize, train, baselines, evaluate, publish"
    with pytest.raises(ParamsError) as caught:
        params_from_dict({**COMMITTED, name: {}})
    assert str(caught.value) == f"params: {name}: unknown key (known: {known})"


def test_every_key_has_help_and_docs_params_md_is_generated_from_it(tmp_path: Path) -> None:
    """Each key is described once, in its field's help; the page is that help, rendered."""
    no_help = [
        key for key in leaves(Params()) if not field_of(key).metadata.get("help", "").strip()
    ]
    assert no_help == [], f"keys without help in src/arxivist/params.py: {no_help}"
    page = tmp_path / "params.md"
    ran = subprocess.run(
        [sys.executable, "-m", "arxivist.params_doc", str(page)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert ran.stdout == f"wrote {page}\n"
    rendered = page.read_text(encoding="utf-8")
    committed = (ROOT / "docs" / "params.md").read_text(encoding="utf-8")
    assert committed == rendered, "docs/params.md is stale: run `make params-doc` and commit it"
    assert [key for key in leaves(Params()) if f"| `{key}` |" not in rendered] == []
    assert rendered.count(field_of("train.processes").metadata["help"]) == 1


def field_of(key: str) -> dataclasses.Field:
    """The dataclass field behind a dotted key, e.g. 'train.seed'."""
    group: object = Params()
    *groups, name = key.split(".")
    for part in groups:
        group = getattr(group, part)
    return next(f for f in dataclasses.fields(group) if f.name == name)


def test_snapshot_source_needs_a_path() -> None:
    raw = with_value("fetch/source", "snapshot")
    raw["fetch"]["snapshot_path"] = ""
    with pytest.raises(ParamsError, match=r"fetch\.snapshot_path: is required"):
        params_from_dict(raw)


def test_every_fetched_category_needs_a_label_and_vice_versa() -> None:
    same = "; labels, fetch.categories and later.categories name the same categories"
    raw = with_value("labels", {"cs.AI": "AI", "cs.IR": "IR"})
    missing = f"labels.cs.RO: missing: fetch.categories names cs.RO{same}"
    with pytest.raises(ParamsError, match=re.escape(missing)):
        params_from_dict(raw)
    raw = with_value("labels", {**COMMITTED["labels"], "cs.LG": "Machine Learning"})
    with pytest.raises(
        ParamsError, match=re.escape(f"labels.cs.LG: is not among fetch.categories{same}")
    ):
        params_from_dict(raw)
    raw = with_value("later/categories", {"cs.AI": 5, "cs.IR": 5})
    with pytest.raises(ParamsError, match=re.escape(f"got cs.AI, cs.IR{same}")):
        params_from_dict(raw)


@pytest.mark.parametrize(
    ("path", "nested"),
    [
        ("labels", {"CV": "Computer Vision"}),
        ("fetch/categories", {"CV": 100}),
        ("later/categories", {"CV": 100}),
    ],
)
def test_a_category_code_split_at_its_dot_is_refused_with_the_recipe(
    path: str, nested: dict
) -> None:
    """What `dvc exp run -S '+labels.cs.CV=Computer Vision'` writes: `cs: {CV: ...}`."""
    key = path.replace("/", ".")
    recipe = f"replace the whole mapping: -S '~{key}' -S '+{key}={{...}}'"
    expected = rf"^params: {re.escape(key)}\.cs: is a mapping .*{re.escape(recipe)}"
    with pytest.raises(ParamsError, match=expected):
        params_from_dict(with_value(f"{path}/cs", nested))


def test_dates_accept_yaml_dates_and_strings(tmp_path: Path) -> None:
    text = COMMITTED_TEXT.replace('"2024-01-01"', "2024-01-01")
    (tmp_path / "params.yaml").write_text(text)
    assert load_params(tmp_path / "params.yaml").fetch.submitted_from.isoformat() == "2024-01-01"


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="file not found"):
        load_params(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("fetch: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(tmp_path / "bad.yaml")


def test_exponent_floats_as_dvc_writes_them_are_numbers(tmp_path: Path) -> None:
    written = re.sub(r"(?m)^  learning_rate: .*$", "  learning_rate: 5e-05", COMMITTED_TEXT)
    assert "learning_rate: 5e-05" in written
    (tmp_path / "params.yaml").write_text(written)
    assert load_params(tmp_path / "params.yaml").train.learning_rate == 5e-5


def test_the_later_window_follows_the_fetch_window_only_for_the_api_source() -> None:
    """The API source's windows are dates; a snapshot's training sample has no window, and the
    later stage checks its window against the sample's newest id instead."""
    raw = with_value("later/submitted_from", "2024-12-31")
    with pytest.raises(ParamsError, match=r"later\.submitted_from: must be after fetch\.sub"):
        params_from_dict(raw)
    raw["fetch"]["source"] = "snapshot"
    assert params_from_dict(raw).later.submitted_from.isoformat() == "2024-12-31"
    raw = with_value("fetch/submitted_to", "2025-06-30")
    with pytest.raises(ParamsError, match=r"later\.submitted_from: .*\(2025-06-30\)"):
        params_from_dict(raw)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("  learning_rate: .nan", "train.learning_rate"),
        ("  warmup_ratio: .nan", "train.warmup_ratio"),
        ("  timeout_seconds: .inf", "fetch.timeout_seconds"),
        ("  delay_seconds: -.inf", "fetch.delay_seconds"),
        ("  tfidf_c: .NaN", "baselines.tfidf_c"),
    ],
)
def test_nan_and_infinity_are_refused_naming_the_key(tmp_path: Path, line: str, key: str) -> None:
    """Checked once, where any number is read: a comparison with NaN is always false, so no
    range check would catch it."""
    name = line.split(":")[0]
    written = re.sub(rf"(?m)^{name}: .*$", line, COMMITTED_TEXT)
    assert line in written
    (tmp_path / "params.yaml").write_text(written)
    with pytest.raises(ParamsError) as caught:
        load_params(tmp_path / "params.yaml")
    assert caught.value.key == key and "must be a finite number" in str(caught.value)


def test_a_nan_in_a_list_names_its_index() -> None:
    with pytest.raises(ParamsError, match=r"baselines\.encoder_cs\[1\]: must be a finite number"):
        params_from_dict(with_value("baselines/encoder_cs", [1.0, float("nan")]))


@pytest.mark.parametrize("twin", ["Robotics", " robotics "])
def test_two_labels_with_one_display_name_are_refused_naming_both(twin: str) -> None:
    raw = with_value("labels", {**COMMITTED["labels"], "cs.IR": twin})
    with pytest.raises(ParamsError, match=r"labels\.cs\.RO: cs\.RO and cs\.IR share the display"):
        params_from_dict(raw)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is empty"),
        ("# all defaults, please\n", "is empty"),
        ("- fetch\n- train\n", "must be a mapping of params, got list"),
        ("42\n", "must be a mapping of params, got int"),
    ],
    ids=["empty", "only-a-comment", "list", "number"],
)
def test_an_empty_or_non_mapping_file_is_refused_naming_it(
    tmp_path: Path, text: str, problem: str
) -> None:
    """DVC refuses such a file too; without the check it read as all defaults."""
    (tmp_path / "params.yaml").write_text(text)
    with pytest.raises(ParamsError) as caught:
        load_params(tmp_path / "params.yaml")
    assert str(caught.value).startswith(f"params: {tmp_path / 'params.yaml'}: {problem}")


def first_line(text: str, start: str) -> int:
    """The number of the first line of `text` that starts with `start`."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if line.startswith(start))


@pytest.mark.parametrize(
    ("anchor", "added", "key"),
    [
        ("  epochs:", "  epochs: 3", "train.epochs"),
        ("    cs.AI:", "    cs.AI: 5", "fetch.categories.cs.AI"),
        ("  cs.AI:", "  cs.AI: AI", "labels.cs.AI"),
        ("  license:", "split:\n  seed: 7", "split"),
    ],
    ids=["train.epochs", "fetch.categories.cs.AI", "labels.cs.AI", "top-level"],
)
def test_a_duplicate_key_is_refused_naming_the_dotted_key_and_both_lines(
    tmp_path: Path, anchor: str, added: str, key: str
) -> None:
    """YAML loaders keep the last of two equal keys, silently; DVC refuses the file, and so does
    load_params, at any depth. `added` goes after the first line starting with `anchor`."""
    first = first_line(COMMITTED_TEXT, added.split("\n")[0].split(":")[0] + ":")
    second = first_line(COMMITTED_TEXT, anchor) + 1
    lines = COMMITTED_TEXT.splitlines()
    lines.insert(second - 1, added)
    (tmp_path / "params.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(ParamsError) as caught:
        load_params(tmp_path / "params.yaml")
    assert caught.value.key == key
    assert str(caught.value) == (
        f"params: {key}: duplicate key in {tmp_path / 'params.yaml'} (lines {first} and {second}); "
        "keep one"
    )
