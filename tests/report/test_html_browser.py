"""The HTML report in a real headless Chromium at 1200 px: nothing wider than the window,
every SVG label inside its chart, no two x labels overlapping, every chart within the window;
and the page's own Content-Security-Policy stops a script. Skipped when Chromium is absent,
unless CAREBOT_REQUIRE_CHROMIUM=1 (CI) makes that a failure; run in the SQLite pass only."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.report.html import render_html
from tests.conftest import POSTGRES_ADMIN_URL
from tests.report.html_documents import COUNTS, document, with_gaps

pytestmark = pytest.mark.skipif(
    POSTGRES_ADMIN_URL is not None, reason="the page touches no store: SQLite pass only"
)

WIDTH = 1200

# Run in a copy of the page, at the end of its body, once laid out: writes what it measured
# into a <pre id="measured"> that --dump-dom prints. The page itself has no script.
MEASURE = """<script>(() => {
  const vw = window.innerWidth, r = {viewport: vw, clipped: [], overlaps: [], outside: []};
  r.scrollWidth = document.documentElement.scrollWidth;
  const name = (e) => (e.closest('svg')?.getAttribute('aria-label') || '') + ': ' + e.textContent;
  for (const box of document.querySelectorAll('svg, .scroll, table, figure, section, div')) {
    if (box.parentElement.closest('.scroll')) continue;  // what scrolls inside its own box
    const b = box.getBoundingClientRect();
    if (b.left < -0.5 || b.right > vw + 0.5) r.outside.push(box.tagName + ' ' + b.right);
  }
  for (const svg of document.querySelectorAll('svg')) {
    const s = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBoundingClientRect();
      if (b.left < s.left - 0.5 || b.right > s.right + 0.5 || b.top < s.top - 0.5
          || b.bottom > s.bottom + 0.5) r.clipped.push(name(t));
    }
    const xs = [...svg.querySelectorAll('text.x')].map((t) => [t.getBoundingClientRect(), t]);
    xs.sort((a, b) => a[0].left - b[0].left);
    for (let i = 1; i < xs.length; i++)
      if (xs[i][0].left < xs[i - 1][0].right) r.overlaps.push(name(xs[i][1]));
  }
  r.charts = document.querySelectorAll('svg').length;
  r.labels = document.querySelectorAll('svg text.x').length;
  const out = document.createElement('pre');
  out.id = 'measured';
  out.textContent = JSON.stringify(r);
  document.body.appendChild(out);
})();</script>"""


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CAREBOT_REQUIRE_CHROMIUM") == "1":
            pytest.fail("CAREBOT_REQUIRE_CHROMIUM=1 but no chromium on PATH")
        pytest.skip("no chromium on PATH (apt-get install chromium); the page is not measured")
    return found


def _run(page: Path, tmp: Path, *extra: str) -> str:
    """Chromium on the file, headless, no network, its profile in `tmp`; stdout."""
    command = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-extensions", "--hide-scrollbars",
        f"--user-data-dir={tmp / 'profile'}", f"--window-size={WIDTH},900", *extra,
        page.as_uri(),
    ]  # fmt: skip
    env = os.environ | {"HOME": str(tmp)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def measure(html: str, tmp: Path, *, keep_policy: bool = False) -> dict[str, Any] | None:
    """What the measuring script found in the page, or None if it did not run. Unless asked
    to keep it, the copy's Content-Security-Policy is taken out so that the script may run."""
    if not keep_policy:
        html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    page = tmp / "measured.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = _run(page, tmp, "--dump-dom")
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    if found is None:
        return None
    text = found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    result: dict[str, Any] = json.loads(text)
    return result


def problems(measured: dict[str, Any]) -> list[str]:
    """Everything that would make the page read badly at 1200 px."""
    found = []
    if measured["scrollWidth"] > WIDTH:
        found.append(f"the page is {measured['scrollWidth']} px wide")
    found += [f"clipped label {name!r}" for name in measured["clipped"]]
    found += [f"overlapping x label {name!r}" for name in measured["overlaps"]]
    found += [f"outside the window: {name}" for name in measured["outside"]]
    return found


@pytest.mark.parametrize(("weeks", "scale"), [(1, 1), (8, 1), (52, 1), (104, 1000)])
def test_the_page_fits_1200_px_with_labels_inside_their_charts(
    weeks: int, scale: int, tmp_path: Path
) -> None:
    doc = document(weeks, program="a long program name " * 6)
    for row in [*doc["weeks"], doc["totals"]]:  # a large hospital's counts: wider axis labels
        row |= {k: v * scale for k, v in row.items() if k in COUNTS}
    html = render_html(with_gaps(doc) if weeks >= 3 else doc)
    measured = measure(html, tmp_path)
    assert measured is not None, "the measuring script did not run"
    assert measured["charts"] >= 20 and measured["labels"] >= measured["charts"]
    assert problems(measured) == []
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    _run(page, tmp_path, f"--screenshot={tmp_path / 'report.png'}")
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_the_measure_catches_a_wide_page_a_clipped_label_and_overlapping_labels(
    tmp_path: Path,
) -> None:
    bad = (
        '<!doctype html><html><body><div style="width:1500px">wide</div>'
        '<svg width="200" height="50" aria-label="bad"><text x="-30" y="20">clipped</text>'
        '<text class="x" x="50" y="40">one label</text>'
        '<text class="x" x="60" y="40">another</text></svg></body></html>'
    )
    measured = measure(bad, tmp_path)
    assert measured is not None
    assert problems(measured) == [
        "the page is 1508 px wide",  # 1500 and the body's margin
        "clipped label 'bad: clipped'",
        "overlapping x label 'bad: another'",
        "outside the window: DIV 1508",
    ]


def test_the_pages_own_policy_stops_a_script(tmp_path: Path) -> None:
    assert measure(render_html(document(8)), tmp_path) is not None
    assert measure(render_html(document(8)), tmp_path, keep_policy=True) is None
