"""Open a page of `dvc plots show` / `dvc plots diff` in headless Chromium and read what it drew.

Debian's `chromium` (`make browser` installs it where missing), driven by Playwright. Every
request, console warning or error and page error is recorded, so the tests and the README's
screenshot (web/screenshot.py) can tell that the page needed nothing from the network and drew
without complaint.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import sync_playwright

# Off-network flags: without them Chromium reaches for Google's services at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DRAW_TIMEOUT_MS = 30_000
# Every plot div holds a drawn SVG (texts are the last thing drawn), or the page's failure note.
DRAWN = """[...document.querySelectorAll('main > div[id]')].every(div =>
  div.querySelector('svg.marks text') || div.textContent.includes('could not be drawn'))"""
# A facet (an item of the g.cell mark) that holds error bars, as drawn, in data units: its y axis
# maps pixels back to values through its ticks (each tick's line and label, half a pixel off the
# marks for crisp lines); its error bars (low, high), points (value) and the grid lines drawn dark,
# each mark with the fields of its aria-label ("system: x; run: y; ...").
READ_PANEL = """cell => {
  const top = element => element.getBoundingClientRect().top;
  const middle = element => { const box = element.getBoundingClientRect();
    return (box.top + box.bottom) / 2; };
  const axis = [...cell.querySelectorAll('g.role-axis')]
    .find(group => (group.getAttribute('aria-label') || '').startsWith('Y-axis'));
  const ticks = [...axis.querySelectorAll('g.role-axis-tick line')].map(top);
  const labels = [...axis.querySelectorAll('g.role-axis-label text')]
    .map(text => parseFloat(text.textContent.replace('\u2212', '-')));  // d3's minus sign
  const [first, last] = [0, ticks.length - 1];
  const perPixel = (labels[last] - labels[first]) / (ticks[last] - ticks[first]);
  const value = y => labels[first] + (y - ticks[first]) * perPixel;
  const fields = element => Object.fromEntries((element.getAttribute('aria-label') || '')
    .split('; ').map(pair => pair.split(': ')));
  return {
    per_pixel: Math.abs(perPixel),
    bars: [...cell.querySelectorAll('line[aria-roledescription="errorbar"]')].map(line => {
      const box = line.getBoundingClientRect();
      return {fields: fields(line), low: value(box.bottom), high: value(box.top)};
    }),
    points: [...cell.querySelectorAll('path[aria-roledescription="point"]')]
      .map(point => ({fields: fields(point), value: value(middle(point))})),
    dark_grid: [...cell.querySelectorAll('g.role-axis-grid line[stroke="black"]')]
      .map(line => value(top(line))),
  };
}"""
# What each chart's SVG says, by the roles vega gives its groups of marks.
READ_CHARTS = (
    "() => { const readPanel = "
    + READ_PANEL
    + """;
return [...document.querySelectorAll('main > div[id]')].map(div => {
  const texts = role =>
    [...div.querySelectorAll(`svg.marks g.${role} text`)].map(t => t.textContent);
  const count = kind => div.querySelectorAll(`svg.marks g.mark-${kind}.role-mark > *`).length;
  return {
    id: div.id,
    titles: texts('role-title-text'),
    axis_titles: texts('role-axis-title'),
    axis_labels: [...div.querySelectorAll('svg.marks g.role-axis')]
      .map(axis => [...axis.querySelectorAll('g.role-axis-label text')].map(t => t.textContent))
      .filter(labels => labels.length),
    legend: [...texts('role-legend-title'), ...texts('role-legend-label')],
    mark_texts: texts('mark-text.role-mark'),
    lines: count('line'),
    dashes: new Set([...div.querySelectorAll('svg.marks g.mark-line.role-mark path')]
      .map(path => path.getAttribute('stroke-dasharray') || 'solid')).size,
    rules: count('rule'),
    rects: count('rect'),
    panels: [...div.querySelectorAll('svg.marks g.cell > g')]
      .filter(cell => cell.querySelector('line[aria-roledescription="errorbar"]')).map(readPanel),
    failure: div.querySelector('svg.marks') ? '' : div.textContent.trim().slice(-300),
  };
}); }"""
)


@dataclass(frozen=True)
class Mark:
    """An interval's error bar or point as drawn: its fields and its values read off the y axis."""

    fields: dict[str, str]
    low: float = float("nan")
    high: float = float("nan")
    value: float = float("nan")


@dataclass(frozen=True)
class Panel:
    """One facet of a chart: its error bars, its points, the values of its dark grid lines, and
    how much of the y axis one pixel spans."""

    per_pixel: float
    bars: list[Mark]
    points: list[Mark]
    dark_grid: list[float]

    @classmethod
    def read(cls, panel: dict) -> Panel:
        bars, points = ([Mark(**mark) for mark in panel[kind]] for kind in ("bars", "points"))
        return cls(panel["per_pixel"], bars, points, panel["dark_grid"])

    def intervals(self, x_title: str) -> dict[tuple[str, str], tuple[float, float, float]]:
        """(the point's x, named by the x axis's title; its run) -> (low, high, value): each error
        bar with its point (vega draws both in the rows' order)."""
        return {
            (point.fields[x_title], point.fields["run"]): (bar.low, bar.high, point.value)
            for bar, point in zip(self.bars, self.points, strict=True)
        }


@dataclass(frozen=True)
class Chart:
    """One plot as drawn: its texts by role and how many lines, rules and rectangles it holds."""

    id: str
    titles: list[str]
    axis_titles: list[str]
    axis_labels: list[list[str]]  # each labelled axis's tick labels, x before y
    legend: list[str]
    mark_texts: list[str]  # text drawn as data, e.g. the counts in confusion cells
    lines: int
    dashes: int  # how many dash patterns the lines use: one per revision
    rules: int
    rects: int
    panels: list[Panel]  # the facets that hold error bars, in order
    failure: str

    @classmethod
    def read(cls, chart: dict) -> Chart:
        return cls(**chart | {"panels": [Panel.read(panel) for panel in chart["panels"]]})

    @property
    def drawn(self) -> bool:
        return not self.failure and self.lines + self.rules + self.rects > 0


@dataclass
class Visit:
    """What one page load did: the charts it drew and anything that went wrong on the way."""

    charts: dict[str, Chart] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError("Debian's chromium is missing: run `make browser` (make test does)")
    return path


def visit(
    page_file: Path, screenshot: Path | None = None, chart_shots: Mapping[str, Path] | None = None
) -> Visit:
    """Load `page_file` from disk, wait until every plot div holds an SVG, read the charts.
    `screenshot`: a PNG of the whole page; `chart_shots`: a PNG of each chart, by its div's id."""
    seen = Visit()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("request", lambda request: seen.requests.append(request.url))
            page.on(
                "requestfailed",
                lambda request: seen.problems.append(f"failed {request.url}: {request.failure}"),
            )
            page.on(
                "console",
                lambda message: (
                    seen.problems.append(f"console {message.type}: {message.text}")
                    if message.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda error: seen.problems.append(f"page error: {error}"))
            page.goto(page_file.resolve().as_uri())
            page.wait_for_function(DRAWN, timeout=DRAW_TIMEOUT_MS)
            charts = [Chart.read(chart) for chart in page.evaluate(READ_CHARTS)]
            seen.charts = {chart.id: chart for chart in charts}
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
            for chart_id, picture in (chart_shots or {}).items():
                page.locator(f"[id='{chart_id}']").screenshot(path=str(picture))
        finally:
            browser.close()
    return seen
