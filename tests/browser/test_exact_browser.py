"""The analyst's exact-count toggle in a real headless Chromium behind the login (issue 11).

An analyst switches exact counts on: the Overview headline for Leicestershire, 2025 on the
bundled sample goes from 216 (protected) to 215 (exact), a banner shows on every page, the URL
never says so, the audit log has the event, board mode turns it off, and a reload starts
protected again. A viewer is never offered the switch.
"""

from __future__ import annotations

import threading
import time

import pytest

from analysis import accounts

pytestmark = pytest.mark.browser

PASSWORDS = {"ana": "analyst-password-9", "vera": "viewer-password-9"}
ROLES = {"ana": "analyst", "vera": "viewer"}
OVERVIEW_2025 = "/?period=2025Q1:2025Q4"


@pytest.fixture(scope="module")
def served(browser_store, tmp_path_factory):
    from waitress.server import create_server

    from dashboard.app import create_app
    from dashboard.auth import install_auth
    from dashboard.production import prepare_production

    folder = tmp_path_factory.mktemp("browser-exact")
    for name, password in PASSWORDS.items():
        accounts.add_user(folder / "users.json", name, password, ROLES[name])
    app = create_app(browser_store)
    install_auth(app.server, enabled=True, users_file=folder / "users.json",
                 secret_key_file=folder / "key", audit_log=folder / "audit.jsonl")
    server = create_server(prepare_production(app, "127.0.0.1"), host="127.0.0.1", port=0,
                           threads=4, ident="")  # port 0: a free port
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", folder / "audit.jsonl"
    server.close()


@pytest.fixture(scope="module")
def driver(request, require_browser):
    from selenium import webdriver

    options = request.config.hook.pytest_setup_options()[0]
    if "--headless=new" not in options.arguments:
        options.add_argument("--headless=new")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options)
    yield chrome
    chrome.quit()


def _wait(driver, script: str, timeout: float = 60.0, *args):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {script} at {driver.current_url}")


def _settle(driver):
    _wait(driver, "return !!document.querySelector('#main h1')"
                  " && !document.querySelector('[data-dash-is-loading=\"true\"]')")
    time.sleep(0.5)


def _detected(driver) -> str:
    return driver.execute_script(
        "const e = document.getElementById('overview-detected-value');"
        "return e ? e.textContent.trim() : '';")


def _wait_detected(driver, value: str):
    _wait(driver, "const e = document.getElementById('overview-detected-value');"
                  "return e && e.textContent.trim() === arguments[0];", 60.0, value)


def _banner(driver) -> str:
    """The banner's text if it is on screen, else ''."""
    return driver.execute_script(
        "const b = document.getElementById('exact-banner');"
        "return b && b.offsetParent !== null ? b.textContent.trim() : '';")


def _login(driver, url, name):
    driver.get(url + "/logout")
    driver.get(url + OVERVIEW_2025)
    driver.find_element("id", "username").send_keys(name)
    driver.find_element("id", "password").send_keys(PASSWORDS[name])
    driver.find_element("css selector", "button[type=submit]").click()
    _settle(driver)


def _switch(driver):
    toggle = driver.find_element("id", "exact-toggle")
    driver.execute_script("arguments[0].click();", toggle)
    return toggle


def _problems(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]]


def test_analyst_turns_exact_counts_on_and_every_page_says_so(served, driver):
    url, audit_log = served
    _login(driver, url, "ana")
    _wait_detected(driver, "216")
    assert _banner(driver) == ""
    toggle = driver.find_element("id", "exact-toggle")
    assert toggle.is_displayed() and not toggle.is_selected()
    label = driver.find_element("css selector", "label[for=exact-toggle]").text
    assert "Exact counts" in label and "data-sharing agreement" in label

    _switch(driver)
    _wait_detected(driver, "215")
    banner = _wait(driver, "const b = document.getElementById('exact-banner');"
                           "return b && b.offsetParent !== null && b.textContent;")
    assert "not for circulation" in banner and "stay protected" in banner
    assert "exact" not in driver.current_url
    events = [e for e in accounts.read_audit(audit_log) if e["action"].startswith("exact_")]
    assert (events[-1]["user"], events[-1]["action"], events[-1]["detail"]["page"]) == (
        "ana", "exact_counts_on", "/")

    # moving between pages keeps it on, and every page shows the banner
    for nav in ("nav-trends", "nav-areas", "nav-overview"):
        driver.execute_script("document.getElementById(arguments[0]).click();", nav)
        _settle(driver)
        assert "not for circulation" in _banner(driver), nav
        assert "exact" not in driver.current_url
    _wait_detected(driver, "215")
    assert _problems(driver) == []


def test_image_download_while_exact_is_on_draws_the_protected_figure(served, driver):
    _wait_detected(driver, "215")  # still on from the test above
    _wait(driver, "const g = document.querySelector('#overview-band-graph .js-plotly-plot');"
                  "return g && JSON.stringify(g.data).includes('detected 215');")
    # catch what the PNG button hands to plotly instead of saving a file
    driver.execute_script(
        "window.__saved = null; window.Plotly.downloadImage = function (src, opts) {"
        "  window.__saved = {data: JSON.stringify(src.data), format: opts.format,"
        "                    plain: !(src instanceof HTMLElement)};"
        "  return Promise.resolve(); };"
        "document.getElementById('overview-band-png').click();")
    saved = _wait(driver, "return window.__saved;")
    assert saved["plain"] and saved["format"] == "png"
    assert "detected 216" in saved["data"] and "detected 215" not in saved["data"]


def test_board_mode_turns_exact_counts_off_and_a_reload_starts_protected(served, driver):
    url, audit_log = served
    assert driver.find_element("id", "exact-toggle").is_selected()  # from the test above
    driver.execute_script("document.getElementById('board-toggle').click();")
    _wait(driver, "return document.body.classList.contains('board')")
    _wait(driver, "return !document.getElementById('exact-toggle').checked")
    _settle(driver)
    assert _banner(driver) == ""
    assert accounts.read_audit(audit_log)[-1]["action"] == "exact_counts_off"
    driver.execute_script("document.getElementById('board-toggle').click();")
    _wait(driver, "return !document.body.classList.contains('board')")
    _wait_detected(driver, "216")  # back from board mode: protected

    _switch(driver)
    _wait_detected(driver, "215")
    driver.get(url + OVERVIEW_2025)  # a reload (or a pasted link) starts protected
    _settle(driver)
    _wait_detected(driver, "216")
    assert not driver.find_element("id", "exact-toggle").is_selected()
    assert _banner(driver) == ""
    assert _problems(driver) == []


def test_a_viewer_is_never_offered_exact_counts(served, driver):
    url, audit_log = served
    _login(driver, url, "vera")
    _wait_detected(driver, "216")
    assert driver.find_elements("id", "exact-toggle") == []
    assert "Exact counts" not in driver.find_element("tag name", "header").text
    assert _banner(driver) == ""
    assert _problems(driver) == []
