"""Browser-test harness: Debian's Chromium through dash[testing], one app and browser per module.

``python -m pytest --headless`` runs these. When chromium or chromedriver is missing the tests
skip with the reason, except under CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
AXE_JS = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"


def browser_missing_reason() -> str | None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    return f"headless Chromium not installed ({', '.join(missing)} missing)" if missing else None


def pytest_setup_options():
    """Point selenium at the system Chromium with a quiet, offline-friendly profile."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    if os.path.exists(CHROMIUM):
        options.binary_location = CHROMIUM
    for arg in (
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    if not os.environ.get("DISPLAY"):
        options.add_argument("--headless=new")
    return options


@pytest.fixture(scope="session")
def require_browser():
    reason = browser_missing_reason()
    if reason:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{reason}; CI must install chromium and chromium-driver")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser_store(request, tmp_path_factory):
    """A private copy of the sample store (uploads in these tests must not touch the shared one)."""
    target = tmp_path_factory.mktemp("browser-store") / "darkfigure.duckdb"
    try:
        source = Path(request.getfixturevalue("sample_store"))
    except pytest.FixtureLookupError:
        return target  # no sample store yet: the pages must still load on an empty store
    shutil.copy(source, target)
    return target


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
