"""Board mode on a projected screen and text that fits its box, measured in a real Chromium.

Board views must fit the window without scrolling at the two common projector resolutions
(1280x720 and 1920x1080) with text no smaller than 24 px; at an analyst's 1440x900 no text
may overflow its container. Sizes are set with Chromium's device-metrics override so the
viewport is exact whatever the window decorations.
"""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import PAGES, settle

pytestmark = pytest.mark.browser

BOARD_VIEWS = ("/", "/national", "/areas", "/sectors", "/trends", "/hidden")

SMALL_TEXT_JS = """
const out = [];
for (const el of document.querySelectorAll('#main *, header *, nav *')) {
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
  if (el.closest('[hidden], .visually-hidden')) continue;
  const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const size = parseFloat(getComputedStyle(el).fontSize);
  if (size < 23.5) out.push(`${el.tagName} ${size}px ` + el.textContent.trim().slice(0, 50));
}
return out;
"""

OVERFLOW_JS = """
const out = [];
const sel = 'h1, h2, h3, p, li, td, th, label, summary, caption, button, a, pre';
for (const el of document.querySelectorAll(sel)) {
  if (!el.offsetParent || el.closest(".visually-hidden") || el.clientWidth <= 1) continue;
  const style = getComputedStyle(el);
  if (style.overflowX === 'auto' || style.overflowX === 'scroll') continue;
  if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
    out.push(`${el.tagName}.${el.className} ${el.scrollWidth}>${el.clientWidth} `
             + el.textContent.trim().slice(0, 50));
}
const doc = document.scrollingElement;
if (doc.scrollWidth > innerWidth) out.push(`page ${doc.scrollWidth}>${innerWidth} wide`);
return out;
"""


def settle_board(duo, timeout: float = 60.0) -> None:
    """settle(), then wait for the board callbacks (message, graph config) to have answered:
    an empty dcc.Graph draws its svg before its figure arrives."""
    import time

    settle(duo)
    deadline = time.time() + timeout
    while time.time() < deadline and not duo.driver.execute_script(
            "const m = document.querySelector('.board-message');"
            "return m && m.textContent.trim() && !document.querySelector('.board-view .modebar')"
            " && !!document.querySelector('.board-view .chart-graph .main-svg .trace')"):
        time.sleep(0.3)
    time.sleep(0.5)


def set_viewport(duo, width: int, height: int) -> None:
    duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


@pytest.fixture()
def viewport(duo):
    yield lambda w, h: set_viewport(duo, w, h)
    duo.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["720p", "1080p"])
def test_every_board_view_fits_the_screen_with_large_text(duo, viewport, size):
    viewport(*size)
    problems = {}
    for path in BOARD_VIEWS:
        duo.driver.get(duo.server_url + path + "?board=1")
        settle_board(duo)
        height, inner = duo.driver.execute_script(
            "return [document.scrollingElement.scrollHeight, innerHeight]")
        small = duo.driver.execute_script(SMALL_TEXT_JS)
        graph = duo.driver.execute_script(
            "const g = document.querySelector('.board-view .chart-graph .main-svg');"
            "return g ? g.getBoundingClientRect().height : 0")
        toolbar = duo.driver.execute_script(
            "return !!document.querySelector('.board-view .modebar')")
        nav = duo.driver.execute_script(
            "return Array.from(document.querySelectorAll('.site-nav a'))"
            ".filter(a => a.offsetParent).map(a => a.textContent)")
        message = duo.driver.execute_script(
            "const m = document.querySelector('.board-message'); return m ? m.textContent : ''")
        issues = []
        if height > inner:
            issues.append(f"scrolls: {height} > {inner}")
        if small:
            issues.append(f"small text: {small[:5]}")
        if graph < 0.35 * inner:
            issues.append(f"chart only {graph:.0f} px tall")
        if toolbar:
            issues.append("plot toolbar shown")
        if {"Data", "Methods"} & set(nav):
            issues.append(f"analyst pages in the board navigation: {nav}")
        if not message.strip():
            issues.append("no board message")
        if issues:
            problems[path] = issues
    assert problems == {}


def test_no_text_overflows_its_container_at_1440x900(duo, viewport):
    viewport(1440, 900)
    problems = {}
    for path in PAGES:
        duo.driver.get(duo.server_url + path)
        settle(duo)
        overflow = duo.driver.execute_script(OVERFLOW_JS)
        if overflow:
            problems[path] = overflow[:5]
    assert problems == {}
