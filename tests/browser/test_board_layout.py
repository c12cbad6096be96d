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

BOARD_VIEWS = ("/", "/national", "/areas", "/sectors", "/trends", "/hidden", "/justice")

SMALL_TEXT_JS = r"""
const out = [];
for (const el of document.querySelectorAll('#main *, header *, nav *')) {
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
  if (el.closest('[hidden], .visually-hidden')) continue;
  const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const size = parseFloat(getComputedStyle(el).fontSize);
  if (size < 23.5) out.push(`${el.tagName} ${size}px ` + el.textContent.trim().slice(0, 50));
  // plotly fits a bar's value label with a transform, not a font size: measure it drawn
  const scaled = /scale\(([0-9.]+)/.exec(el.getAttribute('transform') || '');
  if (scaled && size * parseFloat(scaled[1]) < 23.5)
    out.push(`${el.tagName} scaled to ${(size * parseFloat(scaled[1])).toFixed(1)}px `
             + el.textContent.trim().slice(0, 50));
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


def pack_order() -> list[str]:
    """The board pack's pages as paths: its board views, then the justice section."""
    from dashboard.pages import BOARD_PAGES, justice
    from dashboard.report_justice import justice_section

    return [p.PATH for p in BOARD_PAGES] + ([justice.PATH] if justice_section() else [])


def test_the_arrow_keys_step_through_the_board_in_the_packs_order(duo, viewport):
    import time
    from urllib.parse import urlparse

    from selenium.webdriver.common.keys import Keys

    viewport(1280, 720)
    duo.driver.get(duo.server_url + "/?board=1")
    settle_board(duo)
    nav = duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.site-nav a'))"
        ".filter(a => a.offsetParent).map(a => new URL(a.href).pathname)")
    assert nav == pack_order()  # the board's navigation shows the pack's pages, in order

    def step(key) -> str:
        before = urlparse(duo.driver.current_url).path
        duo.find_element("body").send_keys(key)
        deadline = time.time() + 20
        while time.time() < deadline and urlparse(duo.driver.current_url).path == before:
            time.sleep(0.1)
        settle(duo)
        return urlparse(duo.driver.current_url).path

    visited = ["/"] + [step(Keys.ARROW_RIGHT) for _ in pack_order()[1:]]
    assert visited == pack_order()
    assert "board=1" in duo.driver.current_url
    assert step(Keys.ARROW_RIGHT) == pack_order()[-1]  # the last view stays put
    assert step(Keys.PAGE_UP) == pack_order()[-2]


@pytest.mark.parametrize("path", ["/methods", "/data"])
def test_methods_and_data_fit_a_1280x720_analyst_screen(duo, viewport, path):
    viewport(1280, 720)
    duo.driver.get(duo.server_url + path)
    settle(duo)
    overflow = duo.driver.execute_script(OVERFLOW_JS)
    width = duo.driver.execute_script(
        "return [document.scrollingElement.scrollWidth, innerWidth]")
    assert overflow == [] and width[0] <= width[1]
