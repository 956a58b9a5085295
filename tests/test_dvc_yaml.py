"""dvc.yaml mirrors the design: seven stages in order, run as modules, with honest deps/params."""

from __future__ import annotations

from pathlib import Path

import yaml

from arxivist.params import Params, params_from_dict

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
STAGES = ["fetch", "encode", "split", "tokenize", "train", "evaluate", "publish"]


def test_seven_stages_in_design_order() -> None:
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
            else:
                assert dep in produced, f"{name} depends on {dep}, which no earlier stage writes"
        outs = stage.get("outs", []) + stage.get("metrics", []) + stage.get("plots", [])
        produced |= {next(iter(out)) if isinstance(out, dict) else out for out in outs}


def test_declared_params_exist_in_params_yaml() -> None:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert isinstance(params_from_dict(params), Params)
    for name, stage in PIPELINE.items():
        for key in stage.get("params", []):
            node = params
            for part in key.split("."):
                assert isinstance(node, dict) and part in node, f"{name}: params {key}"
                node = node[part]
