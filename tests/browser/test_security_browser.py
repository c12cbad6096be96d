"""The hardened production app in a real headless Chromium: log in through the form, then every
page renders under the Content-Security-Policy with no console errors (no CSP violations)."""

from __future__ import annotations

import threading
import time

import pytest

from analysis import accounts

pytestmark = pytest.mark.browser

PAGES = ("/", "/national", "/areas", "/sectors", "/trends", "/hidden", "/data", "/methods")
PASSWORD = "browser-password-1"


@pytest.fixture(scope="module")
def server_url(browser_store, tmp_path_factory):
    from waitress.server import create_server

    from dashboard.app import create_app
    from dashboard.auth import install_auth
    from dashboard.production import prepare_production

    folder = tmp_path_factory.mktemp("browser-auth")
    accounts.add_user(folder / "users.json", "ana", PASSWORD, "analyst")
    app = create_app(browser_store)
    install_auth(app.server, enabled=True, users_file=folder / "users.json",
                 secret_key_file=folder / "key", audit_log=folder / "audit.jsonl")
    server = create_server(prepare_production(app, "127.0.0.1"), host="127.0.0.1", port=0,
                           threads=4, ident="")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def driver(request, require_browser):
    from selenium import webdriver

    options = request.config.hook.pytest_setup_options()[0]  # the harness's Chromium options
    if "--headless=new" not in options.arguments:
        options.add_argument("--headless=new")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options)
    yield chrome
    chrome.quit()


def _settle(driver, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready = driver.execute_script(
            "return !!document.querySelector('#main h1')"
            " && !document.querySelector('[data-dash-is-loading=\"true\"]')")
        if ready:
            time.sleep(0.5)
            return
        time.sleep(0.2)
    raise AssertionError(f"page did not render: {driver.current_url}")


def _problems(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]]


def test_login_then_every_page_renders_with_no_csp_or_console_errors(server_url, driver):
    driver.get(server_url + "/trends")
    assert "/login" in driver.current_url
    driver.find_element("id", "username").send_keys("ana")
    driver.find_element("id", "password").send_keys(PASSWORD)
    driver.find_element("css selector", "button[type=submit]").click()
    _settle(driver)
    assert driver.current_url.endswith("/trends")
    # charts drew (on a busy machine the first callbacks may start after the page settles)
    deadline = time.time() + 30
    while not driver.find_elements("css selector", ".js-plotly-plot") and time.time() < deadline:
        time.sleep(0.2)
    assert driver.find_elements("css selector", ".js-plotly-plot")
    problems = {"/trends": _problems(driver)}
    for page in PAGES:
        driver.get(server_url + page)
        _settle(driver)
        problems[page] = _problems(driver)
    assert {p: m for p, m in problems.items() if m} == {}
