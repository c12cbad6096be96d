"""Save PNG screenshots of every dashboard page in normal and board mode under screenshots/.

    python scripts/screenshots.py [--store PATH] [--out screenshots]

Starts the app on a free local port, drives the system Chromium headless, and writes
``<page>.png`` and ``<page>-board.png``. The folder is git-ignored.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from pathlib import Path

PAGES = (
    "/",
    "/national",
    "/areas",
    "/area/E06000016",
    "/sectors",
    "/trends",
    "/hidden",
    "/justice",
    "/data",
    "/methods",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _driver(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={width},{height}",
        "--hide-scrollbars",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    driver.set_script_timeout(120)  # a cold cache on a busy machine can take a while
    return driver


def _wait_rendered(driver, timeout: float = 90.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        busy = driver.execute_script(
            "return !document.querySelector('#main h1')"
            " || !!document.querySelector('[data-dash-is-loading=\"true\"]')"
            " || Array.from(document.querySelectorAll('.chart-graph')).some("
            "     g => g.offsetParent !== null && !g.querySelector('.main-svg'))"
        )
        if not busy:
            time.sleep(3)  # let dependent callbacks and plotly finish
            return
        time.sleep(0.3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--pages", nargs="*", default=list(PAGES))
    args = parser.parse_args(argv)

    from waitress.server import create_server

    from dashboard.app import create_app

    app = create_app(args.store)
    port = _free_port()
    server = create_server(app.server, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        for board, (width, height) in ((False, (1400, 1000)), (True, (1920, 1080))):
            driver = _driver(width, height)
            try:
                for page in args.pages:
                    sep = "&" if "?" in page else "?"
                    url = f"http://127.0.0.1:{port}{page}" + (f"{sep}board=1" if board else "")
                    driver.get(url)
                    _wait_rendered(driver)
                    path = page.split("?")[0].strip("/").replace("/", "_")
                    name = (path or "overview") + ("-board" if board else "")
                    if not board:  # analysts scroll: capture the whole page
                        total = driver.execute_script("return document.body.scrollHeight")
                        driver.set_window_size(width, min(max(total, height), 6000))
                        time.sleep(0.8)
                    driver.save_screenshot(str(out / f"{name}.png"))
                    driver.set_window_size(width, height)
                    print(f"saved {out / name}.png")
            finally:
                driver.quit()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
