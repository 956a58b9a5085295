"""The README's picture of the plots page: `dvc plots show` in this workspace, drawn in Chromium.

Run after `make demo` (or any run) through `make plots-screenshot`; given revisions, it draws
`dvc plots diff` of them instead (docs/experiments.md's picture). Refuses to save a picture of a
page that asked the network for anything, logged an error or left a chart undrawn.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from arxivist.atomic import atomic_path
from web.browser import visit

DEFAULT_OUT = Path("docs/img/plots.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to save the PNG")
    parser.add_argument("revs", nargs="*", help="revisions for `dvc plots diff` (default: show)")
    args = parser.parse_args()
    command = ["dvc", "plots", "diff", *args.revs] if args.revs else ["dvc", "plots", "show"]
    with tempfile.TemporaryDirectory() as folder, atomic_path(args.out) as staged:
        subprocess.run([*command, "-o", folder], check=True, capture_output=True)
        seen = visit(Path(folder) / "index.html", screenshot=staged)
        undrawn = [chart.id for chart in seen.charts.values() if not chart.drawn]
        offsite = [url for url in seen.requests if not url.startswith("file:")]
        if seen.problems or undrawn or offsite or not seen.charts:
            raise SystemExit(f"not saved: {seen.problems=} {undrawn=} {offsite=}")
    print(f"wrote {args.out}: {', '.join(seen.charts)}")


if __name__ == "__main__":
    main()
