"""The README's picture of the plots page: `dvc plots show` in this workspace, drawn in Chromium.

Run after `make demo` (or any run) through `make plots-screenshot`; given revisions, it draws
`dvc plots diff` of them instead (docs/experiments.md's picture). Refuses to save a picture of a
page that asked the network for anything, logged an error or left a chart undrawn.
`bench/charts.py` saves its charts through `save` too, one picture a chart.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from arxivist.atomic import atomic_paths
from web.browser import visit

DEFAULT_OUT = Path("docs/img/plots.png")


def save(
    command: Sequence[str],
    page: Path | None = None,
    charts: Mapping[str, Path] | None = None,
    cwd: Path | None = None,
) -> list[str]:
    """Run `command` (`dvc plots show` or `diff`) in `cwd` into a temporary folder, open the page
    it writes in Chromium, save a PNG of the whole `page` and of each of `charts` (by the id of
    its div); return the ids of the charts drawn. Saves nothing (SystemExit) if the page asked
    the network for anything, logged a warning or an error, or left a chart undrawn."""
    pictures = {**({"": page} if page else {}), **(charts or {})}  # "": the whole page
    with tempfile.TemporaryDirectory() as folder, atomic_paths(*pictures.values()) as staged:
        subprocess.run([*command, "-o", folder], cwd=cwd, check=True, capture_output=True)
        shots = dict(zip(pictures, staged, strict=True))
        seen = visit(Path(folder) / "index.html", screenshot=shots.pop("", None), chart_shots=shots)
        undrawn = [chart.id for chart in seen.charts.values() if not chart.drawn]
        offsite = [url for url in seen.requests if not url.startswith("file:")]
        if seen.problems or undrawn or offsite or not seen.charts:
            raise SystemExit(f"not saved: {seen.problems=} {undrawn=} {offsite=}")
    return list(seen.charts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to save the PNG")
    parser.add_argument("revs", nargs="*", help="revisions for `dvc plots diff` (default: show)")
    args = parser.parse_args()
    command = ["dvc", "plots", "diff", *args.revs] if args.revs else ["dvc", "plots", "show"]
    drawn = save(command, page=args.out)
    print(f"wrote {args.out}: {', '.join(drawn)}")


if __name__ == "__main__":
    main()
