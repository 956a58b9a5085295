"""dvc.yaml mirrors the design: nine stages in order, run as modules, with honest deps/params."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from arxivist.params import Params, params_from_dict
from arxivist.publishing.card_text import REPRODUCE
from tools.dvc_deps import ROOT, declared_code, import_closure, rewrite

PIPELINE = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
STAGES = [
    "fetch",
    "later",
    "encode",
    "split",
    "tokenize",
    "train",
    "baselines",
    "evaluate",
    "publish",
]


def test_nine_stages_in_design_order() -> None:
    assert list(PIPELINE) == STAGES


def test_stages_run_as_modules_so_no_script_shadows_a_module() -> None:
    for name, stage in PIPELINE.items():
        assert stage["cmd"].startswith(f"python -m stages.{name} "), name
        assert f"stages/{name}.py" in stage["deps"], name


def test_code_deps_exist_and_data_deps_are_outputs_of_earlier_stages() -> None:
    produced: set[str] = set()
    for name, stage in PIPELINE.items():
        for dep in stage["deps"]:
            if dep.startswith(("stages/", "src/")):
                assert (ROOT / dep).exists(), f"{name}: {dep}"
            elif dep.startswith("${"):  # a path from params.yaml, outside the pipeline
                assert name in ("fetch", "later"), f"{name}: {dep}"
            else:
                assert dep in produced, f"{name} depends on {dep}, which no earlier stage writes"
        outs = stage.get("outs", []) + stage.get("metrics", []) + stage.get("plots", [])
        produced |= {next(iter(out)) if isinstance(out, dict) else out for out in outs}


@pytest.mark.parametrize("name", STAGES)
def test_code_deps_are_exactly_the_stage_import_closure(name: str) -> None:
    """Declared = read: a module the stage imports but does not declare would let `dvc repro` say
    "didn't change" after an edit to it; one declared but never imported reruns it for nothing."""
    closure = import_closure(f"stages.{name}")
    declared = declared_code(PIPELINE[name])
    assert not closure - declared, f"{name} imports, undeclared: {sorted(closure - declared)}"
    assert not declared - closure, f"{name} declares, never imports: {sorted(declared - closure)}"


def test_import_closure_follows_imports_inside_functions() -> None:
    closure = import_closure("arxivist.data.fetching")
    assert {
        "src/arxivist/data/sources/snapshot.py",
        "src/arxivist/data/sources/arxiv_api.py",
    } <= closure


def test_publish_states_the_api_queries_without_the_arxiv_client() -> None:
    """The card names the queries (arxivist.data.sources.query) but an edit to the client that
    sends them (arxivist.data.sources.arxiv_api) or to fetch_sample does not rerun publish."""
    closure = import_closure("stages.publish")
    assert "src/arxivist/data/sources/query.py" in closure
    assert not {"src/arxivist/data/sources/arxiv_api.py", "src/arxivist/data/fetching.py"} & closure


def test_make_deps_leaves_the_committed_dvc_yaml_as_it_is() -> None:
    text = (ROOT / "dvc.yaml").read_text(encoding="utf-8")
    assert rewrite(text) == text


def test_make_deps_restores_a_dropped_dep_and_drops_a_stray_one_keeping_the_comments() -> None:
    text = (ROOT / "dvc.yaml").read_text(encoding="utf-8")
    drifted = text.replace("      - src/arxivist/data/splits.py\n", "", 1).replace(
        "      - stages/encode.py\n", "      - stages/encode.py\n      - src/arxivist/cli.py\n", 1
    )
    assert drifted != text
    assert rewrite(drifted) == text
    assert [line for line in text.splitlines() if "#" in line] == [
        line for line in rewrite(drifted).splitlines() if "#" in line
    ]


def test_declared_params_exist_in_params_yaml() -> None:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert isinstance(params_from_dict(params), Params)
    for name, stage in PIPELINE.items():
        for key in stage.get("params", []):
            node = params
            for part in key.split("."):
                assert isinstance(node, dict) and part in node, f"{name}: params {key}"
                node = node[part]


def string_literals(path: Path) -> list[str]:
    """The string constants of a Python file, docstrings left out (examples, not behaviour)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scopes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, scopes) and node.body and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    ]


def test_no_category_is_named_outside_params() -> None:
    """Labels are data: dvc.yaml, its plot templates and the code name no category (only the
    defaults in params.py, which mirror params.yaml), so any label set works from params.yaml."""
    committed = yaml.safe_load((ROOT / "params.yaml").read_text())
    codes = sorted(set(committed["labels"]) | set(committed["fetch"]["categories"]))
    texts = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in [ROOT / "dvc.yaml", *sorted((ROOT / ".dvc" / "plots").glob("*.json"))]
    }
    for path in sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "stages").rglob("*.py")]):
        if path != ROOT / "src" / "arxivist" / "params.py":
            texts[path.relative_to(ROOT).as_posix()] = "\n".join(string_literals(path))
    named = {name: [code for code in codes if code in text] for name, text in texts.items()}
    assert {name: found for name, found in named.items() if found} == {}


def listed_stages(text: str) -> list[str]:
    """The stage names a comma-separated list in `text` holds, after its 'stages:'."""
    tail = text.split("stages:", 1)[1]
    return [word for word in re.split(r"[\s,#]+", tail.split("```")[0]) if word]


def test_the_card_and_the_readme_list_the_stages_of_dvc_yaml_in_order() -> None:
    """Wherever a card or doc enumerates the stages, it names dvc.yaml's, in its order."""
    assert listed_stages(REPRODUCE.split("dvc repro", 1)[1]) == list(PIPELINE)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| stage | reads | params | writes |", 1)[1].split("\n\n", 1)[0]
    rows = [line.split("|")[1].strip() for line in table.splitlines()[2:]]
    assert rows == list(PIPELINE)
