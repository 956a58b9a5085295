"""Build `.dvc/plots/page.html`, the HTML template of `dvc plots show` and `dvc plots diff`.

DVC's own page loads vega, vega-lite and vega-embed from a CDN, so offline it stays blank. This
page carries their builds inline, from the versions pinned in `web/package-lock.json` (installed
with `npm ci`), and the license texts of every package that lock installs. The builds are copied
byte for byte but for their last line, a `sourceMappingURL` comment naming a map the page does not
carry. Run it through `make plots-page`; a test rebuilds the page and compares.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

from arxivist.atomic import atomic_path

WEB = Path(__file__).resolve().parent
SKELETON = WEB / "page.in.html"
PAGE = WEB.parent / ".dvc" / "plots" / "page.html"

# Loaded in this order: vega-lite needs vega, vega-embed needs both.
BUILDS = {
    "vega": "build/vega.min.js",
    "vega-lite": "build/vega-lite.min.js",
    "vega-embed": "build/vega-embed.min.js",
}
LICENSE_FILE = re.compile(r"^licen[cs]e(\.(md|txt))?$", re.IGNORECASE)
SOURCE_MAP_LINE = re.compile(r"\n//# sourceMappingURL=\S+\s*$")
# What would end a <script> element early, or be replaced by DVC as one of its placeholders.
FORBIDDEN = ("</script", "<!--", "{plot_divs}", "{scripts}", "{refresh_tag}")


def installed_packages(web: Path) -> dict[str, dict]:
    """The lock's packages that every platform installs (name -> lock entry), by name."""
    lock = json.loads((web / "package-lock.json").read_text(encoding="utf-8"))
    return {
        path.removeprefix("node_modules/"): entry
        for path, entry in sorted(lock["packages"].items())
        if path and not entry.get("optional") and not entry.get("dev")
    }


def repository(manifest: dict) -> str:
    """`owner/name` of a package's source repository, '' where it names none."""
    repo = manifest.get("repository", "")
    url = repo.get("url", "") if isinstance(repo, dict) else repo
    match = re.search(r"([\w.-]+/[\w.-]+?)(\.git)?$", url)
    return match.group(1) if match else ""


def license_texts(modules: Path, packages: dict[str, dict]) -> dict[str, list[str]]:
    """License text -> the packages it covers.

    A package whose tarball has no license file (vega ships none) takes the text of a package of
    the same repository that has one; failing that, its SPDX id from package.json stands alone.
    """
    by_repo: dict[str, str] = {}
    found: dict[str, str] = {}
    manifests = {}
    for name in packages:
        folder = modules / name
        manifests[name] = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        files = sorted(p for p in folder.iterdir() if LICENSE_FILE.match(p.name))
        if files:
            found[name] = files[0].read_text(encoding="utf-8").strip()
            by_repo.setdefault(repository(manifests[name]), found[name])
    grouped: dict[str, list[str]] = defaultdict(list)
    for name, entry in packages.items():
        spdx = manifests[name].get("license", "no license named")
        text = found.get(name) or by_repo.get(repository(manifests[name])) or spdx
        grouped[text].append(f"{name}@{entry['version']} ({spdx})")
    return dict(grouped)


def checked(text: str, where: str) -> str:
    """`text`, once it is known to stay inside a <script> element and out of DVC's way."""
    for bad in FORBIDDEN:
        if bad in text:
            raise ValueError(f"{where} contains {bad!r}, which cannot go inline in the page")
    return text


def build(web: Path = WEB) -> str:
    """The page's text from the skeleton and the packages installed under `web/node_modules`."""
    modules = web / "node_modules"
    packages = installed_packages(web)
    scripts = []
    for name, build_path in BUILDS.items():
        code = (modules / name / build_path).read_text(encoding="utf-8")
        code = SOURCE_MAP_LINE.sub("", code)
        where = f"{name}@{packages[name]['version']}/{build_path}"
        scripts.append(f"<script>/* {where} */\n{checked(code, where)}\n</script>")
    notices = [
        "\n".join(["Used under these terms by:", *(f"  {p}" for p in names), "", text])
        for text, names in license_texts(modules, packages).items()
    ]
    licenses = checked(f"\n\n{'=' * 72}\n\n".join(notices), "the licenses")
    versions = ", ".join(f"{name} {packages[name]['version']}" for name in BUILDS)
    skeleton = (web / SKELETON.name).read_text(encoding="utf-8")
    return (
        skeleton.replace("@versions@", versions)
        .replace("<!-- @scripts@ -->", "\n".join(scripts))
        .replace("@licenses@", licenses)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--web", type=Path, default=WEB, help="folder with package-lock.json and node_modules"
    )
    parser.add_argument("--out", type=Path, default=PAGE, help="where to write the page")
    args = parser.parse_args()
    with atomic_path(args.out) as staged:
        staged.write_text(build(args.web), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
