"""Time every dashboard page in headless Chromium with a warm server: prints seconds per page.

    python scripts/page_speed.py [--store PATH] [--board] [--repeat 2]

A page is complete when no Dash callback is pending, every visible graph has drawn its
traces and the page heading is there. Each page is loaded once to warm the server's caches,
then timed ``--repeat`` times; the median is printed. Figures, not assertions (the machine's
load decides the absolute numbers).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from screenshots import PAGES, _driver, _free_port, _viewport

DONE_JS = (
    "return !!document.querySelector('#main h1')"
    " && !document.querySelector('[data-dash-is-loading=\"true\"]')"
    " && Array.from(document.querySelectorAll('.chart-graph')).every("
    "     g => g.offsetParent === null"
    "          || !!g.querySelector('.main-svg .trace, .main-svg .hm, .main-svg .annotation'))"
)


def _load(driver, url: str, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    driver.get(url)
    while time.perf_counter() - start < timeout:
        if driver.execute_script(DONE_JS):
            return time.perf_counter() - start
        time.sleep(0.05)
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--board", action="store_true")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)

    from waitress.server import create_server

    from dashboard.app import create_app

    port = _free_port()
    server = create_server(create_app(args.store).server, host="127.0.0.1", port=port,
                           threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    driver = _driver(1440, 900)
    _viewport(driver, 1440, 900)
    try:
        for page in PAGES:
            url = f"http://127.0.0.1:{port}{page}" + ("?board=1" if args.board else "")
            _load(driver, url)  # warm the caches
            times = [_load(driver, url) for _ in range(args.repeat)]
            print(f"{page:20s} {statistics.median(times):5.2f} s  (runs: "
                  + ", ".join(f"{t:.2f}" for t in times) + ")", flush=True)
    finally:
        driver.quit()
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
