"""Each stage's code deps in dvc.yaml = its import closure: computed here, checked by
tests/tooling/test_dvc_yaml.py, written by `python -m tools.dvc_deps` (`make deps`).

The rewrite is textual, so dvc.yaml keeps its comments and layout: in each stage's `deps:` list,
the entries under stages/ and src/ are replaced, in place of the first, by the closure (the stage's
script first, then the rest sorted); data deps and their comments stay where they are.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import yaml

from arxivist.atomic import atomic_path

ROOT = Path(__file__).resolve().parents[1]
DVC_YAML = ROOT / "dvc.yaml"
OWN_PACKAGES = {"arxivist": ROOT / "src", "stages": ROOT}
CODE = ("stages/", "src/")


def module_files(name: str) -> list[Path]:
    """The files Python runs to import `name` from this repository: each package's __init__.py
    on the way, then the module; [] for a name that is not a module (an imported function)."""
    top, *rest = name.split(".")
    folder = OWN_PACKAGES[top] / top
    files = [folder / "__init__.py"]
    for part in rest:
        if (folder / part / "__init__.py").is_file():
            folder = folder / part
            files.append(folder / "__init__.py")
        elif (folder / f"{part}.py").is_file():
            files.append(folder / f"{part}.py")
            break
        else:
            break
    return files


def import_closure(module: str) -> set[str]:
    """Every file of this repository that running `python -m module` can import, following
    imports anywhere in a file (also inside functions), as paths relative to the root."""
    seen: set[Path] = set()
    todo = module_files(module)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for name in names:
                if name.split(".")[0] in OWN_PACKAGES:
                    todo.extend(module_files(name))
    return {path.relative_to(ROOT).as_posix() for path in seen}


def stage_code(name: str) -> list[str]:
    """The code deps stage `name` should declare: its script first, then its closure sorted."""
    script = f"stages/{name}.py"
    return [script, *sorted(import_closure(f"stages.{name}") - {script})]


def declared_code(stage: dict) -> set[str]:
    """The stage's code deps, folders expanded into the Python files under them."""
    files = set()
    for dep in stage["deps"]:
        if dep.startswith(CODE):
            path = ROOT / dep
            found = sorted(path.rglob("*.py")) if path.is_dir() else [path]
            files |= {file.relative_to(ROOT).as_posix() for file in found}
    return files


def rewrite(text: str) -> str:
    """dvc.yaml's text with every stage's code deps replaced by stage_code(stage)."""
    lines = text.splitlines(keepends=True)
    stages = yaml.safe_load(text)["stages"]
    out: list[str] = []
    stage = None
    in_deps = written = False
    for line in lines:
        if match := re.match(r"  ([\w-]+):", line):
            stage = match.group(1) if match.group(1) in stages else None
        if re.match(r"    \S", line):
            in_deps, written = stage is not None and line.strip() == "deps:", False
        item = re.match(r"(\s+)- (\S+)", line) if in_deps else None
        if item and item.group(2).startswith(CODE):
            if not written:
                out += [f"{item.group(1)}- {dep}\n" for dep in stage_code(stage)]
                written = True
            continue
        out.append(line)
    return "".join(out)


def main() -> int:
    """Rewrite dvc.yaml in place; say which stages changed."""
    old = DVC_YAML.read_text(encoding="utf-8")
    new = rewrite(old)
    before, after = yaml.safe_load(old)["stages"], yaml.safe_load(new)["stages"]
    changed = [name for name in after if before[name]["deps"] != after[name]["deps"]]
    with atomic_path(DVC_YAML) as tmp:
        tmp.write_text(new, encoding="utf-8")
    print(f"dvc.yaml: code deps rewritten for {', '.join(changed) or 'no stage'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
