"""The README's picture of the plots page: `dvc plots show` in this workspace, drawn in Chromium.

Run after `make demo` (or any run) through `make plots-screenshot`. Refuses to save a picture of a
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, atomic_path(args.out) as staged:
        subprocess.run(["dvc", "plots", "show", "-o", folder], check=True, capture_output=True)
        seen = visit(Path(folder) / "index.html", screenshot=staged)
        undrawn = [chart.id for chart in seen.charts.values() if not chart.drawn]
        offsite = [url for url in seen.requests if not url.startswith("file:")]
        if seen.problems or undrawn or offsite or not seen.charts:
            raise SystemExit(f"not saved: {seen.problems=} {undrawn=} {offsite=}")
    print(f"wrote {args.out}: {', '.join(seen.charts)}")


if __name__ == "__main__":
    main()
