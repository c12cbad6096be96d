"""Load test: simulated analysts against the production server on loopback.

    python benchmarks/load.py                       # 25 users, 60 s, 1M-referral store
    python benchmarks/load.py --store S --users 5 --duration 10 --no-auth
    python benchmarks/load.py --workers 1 --threads 8   # compare serving options

Starts ``run_production`` (waitress, login enabled with a throwaway user unless --no-auth)
in a subprocess on a free 127.0.0.1 port, over a store of ``--rows`` synthetic referrals
(``analysis.synth.simulate_referrals``; built once and kept under ``--store``). Each
simulated user logs in and fetches the page's scripts and stylesheets once, as a
browser with an empty cache does (asking for gzip, and never again: they are cached for a
year), then loops: load a page, then post that page's chart callbacks to
``/_dash-update-component`` with a filter state (area, period, age group, sector) picked
at random, up to ``--parallel`` at once (default 6: a browser sends a page's callbacks
together, at most six connections to one server; ``--parallel 1`` sends them one by
one). Payloads are built from the app's own ``/_dash-dependencies``. Bounded: loopback
only, at most 100 users, 300 s and ``--max-requests``. Prints p50/p95 latency per kind of
request and checks there were zero errors (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MAX_USERS, MAX_SECONDS = 100, 300
PASSWORD = "load-test-password"
SERVE = """
import sys
from dashboard.app import create_app
from dashboard.production import run_production
run_production(create_app(sys.argv[1], warm=True), host="127.0.0.1", port=int(sys.argv[2]),
               threads=int(sys.argv[3]), workers=int(sys.argv[4]))
"""
PAGES = ("/", "/areas", "/sectors", "/trends", "/hidden", "/justice", "/national", "/data")
AREAS = ("", "E06000016", "E07000130", "E07000129", "E06000017")
PERIODS = ("", "2023Q1:2023Q4", "2021Q1:2024Q4", "2024Q1:")
AGES = ("all", "adult", "child")


def build_store(path: Path, rows: int, seed: int = 20240101) -> None:
    """A store of the sample plus ``rows`` simulated referrals (skipped if it exists)."""
    from analysis import store as stores  # imported late: the store is optional here
    from analysis.synth.referrals import simulate_referrals

    started = time.perf_counter()
    stores.build_sample_store(path)
    with tempfile.TemporaryDirectory() as tmp:
        frame = simulate_referrals(rows, seed=seed)
        frame["record_id"] = [f"L{i}" for i in range(len(frame))]
        csv = Path(tmp) / "load_referrals.csv"
        frame.to_csv(csv, index=False)
        with stores.Store(path) as store:
            store.ingest([csv], kind="referrals")
    print(f"built {path} with {rows:,} extra referrals in {time.perf_counter() - started:.0f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def request(url: str, *, data: bytes | None = None, headers: dict | None = None):
    """(status, headers, body), the body gunzipped as a browser would."""
    req = urllib.request.Request(url, data=data, headers={"Accept-Encoding": "gzip",
                                                          **(headers or {})})
    try:
        with _OPENER.open(req, timeout=60) as response:
            status, hdrs, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, hdrs, body = exc.code, exc.headers, exc.read()
    if hdrs.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return status, hdrs, body


def static_files(base: str, headers: dict) -> list[str]:
    """The scripts and stylesheets the HTML shell asks a browser to fetch."""
    _, _, page = request(base + "/", headers=headers)
    return [base + url for url in re.findall(rb'(?:src|href)="(/(?:assets|_dash-component-'
                                             rb'suites)/[^"]+)"', page) for url in [url.decode()]]


def login(base: str, user: str) -> dict:
    _, headers, body = request(base + "/login")
    jar = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrf" value="([^"]+)"', body)[1].decode()
    form = urllib.parse.urlencode({"csrf": token, "username": user, "password": PASSWORD,
                                   "next": "/"}).encode()
    status, headers, _ = request(base + "/login", data=form, headers={"Cookie": jar})
    if status != 303:
        raise RuntimeError(f"login failed with {status}")
    return {"Cookie": headers["Set-Cookie"].split(";")[0]}


def _outputs(output: str):
    parts = [p.rpartition(".") for p in output.strip(".").split("...")]
    outs = [{"id": ident, "property": prop} for ident, _, prop in parts]
    return outs if len(outs) > 1 else outs[0]


def chart_callbacks(base: str, headers: dict) -> dict[str, list[dict]]:
    """Callbacks driven only by the filter state, grouped by page (the id prefix)."""
    request(base + "/", headers=headers)  # the first page load registers the page router
    _, _, body = request(base + "/_dash-dependencies", headers=headers)
    by_page: dict[str, list[dict]] = {}
    for cb in json.loads(body):
        if cb["inputs"] != [{"id": "filter-state", "property": "data"}]:
            continue
        page = cb["output"].strip(".").split("-")[0]
        by_page.setdefault(page, []).append(cb)
    return by_page


def payload(cb: dict, state: dict) -> bytes:
    return json.dumps({
        "output": cb["output"], "outputs": _outputs(cb["output"]),
        "inputs": [{"id": "filter-state", "property": "data", "value": state}],
        "state": [{**s, "value": None} for s in cb.get("state", [])],
        "changedPropIds": ["filter-state.data"],
    }).encode()


def user_loop(base, headers, callbacks, stop_at, budget, results, rng, view_state, assets,
              parallel=1):
    try:
        for url in assets:  # an empty browser cache, once; then cached for a year
            started = time.perf_counter()
            status = request(url, headers=headers)[0]
            results.append(("asset", time.perf_counter() - started, status))
        _user_loop(base, headers, callbacks, stop_at, budget, results, rng, view_state,
                   parallel)
    except Exception as exc:  # a crashed simulated user is an error, not silence
        results.append(("crash", 0.0, repr(exc)))


def _user_loop(base, headers, callbacks, stop_at, budget, results, rng, ViewState,  # noqa: N803
               parallel):
    while time.monotonic() < stop_at and budget.acquire(blocking=False):
        page = rng.choice(PAGES)
        slug = page.strip("/") or "overview"
        state = ViewState(area=rng.choice(AREAS), period=rng.choice(PERIODS),
                          age_group=rng.choice(AGES)).to_dict()
        _timed(results, headers, "page", base + page, None)
        jobs = [("callback", base + "/_dash-update-component", payload(cb, state))
                for cb in callbacks.get(slug, [])]
        if parallel > 1 and len(jobs) > 1:
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                list(pool.map(lambda job: _timed(results, headers, *job), jobs))
        else:
            for job in jobs:
                _timed(results, headers, *job)


def _timed(results, headers, kind, url, data) -> None:
    hdrs = {**headers, **({"Content-Type": "application/json"} if data else {})}
    started = time.perf_counter()
    try:
        status = request(url, data=data, headers=hdrs)[0]
    except OSError as exc:
        status = f"{type(exc).__name__}"
    results.append((kind, time.perf_counter() - started, status))


def _run_users(base, sessions, callbacks, duration, max_requests, results, seed, view_state,
               assets, parallel=1) -> None:
    if duration <= 0:
        return
    budget = threading.Semaphore(max_requests)
    stop_at = time.monotonic() + duration
    threads = [threading.Thread(target=user_loop, args=(base, session, callbacks, stop_at, budget,
                                                        results, random.Random(seed + i),
                                                        view_state, assets, parallel))
               for i, session in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=str(Path.home() / ".darkfigure" / "load-1m.duckdb"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=8, help="server threads per worker")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--warmup", type=float, default=60.0,
                        help="seconds of the same traffic before timing starts, not counted "
                             "(each worker process fills its own caches)")
    parser.add_argument("--max-requests", type=int, default=100_000,
                        help="stop after this many page views in all")
    parser.add_argument("--no-auth", action="store_true", help="serve without login")
    parser.add_argument("--parallel", type=int, default=6,
                        help="a page's callbacks sent at once by each user (a browser: 6)")
    args = parser.parse_args(argv)
    # Run as a script, this folder leads sys.path, and benchmarks/dashboard.py would shadow
    # the dashboard package.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    from dashboard.state import ViewState

    users, duration = min(args.users, MAX_USERS), min(args.duration, MAX_SECONDS)
    store = Path(args.store)
    if not store.exists():
        build_store(store, args.rows)

    tmp = Path(tempfile.mkdtemp(prefix="darkfigure-load-"))
    env = {**os.environ, "DARKFIGURE_AUTH": "false" if args.no_auth else "true",
           "DARKFIGURE_USERS_FILE": str(tmp / "users.json"),
           "DARKFIGURE_SECRET_KEY_FILE": str(tmp / "secret_key"),
           "DARKFIGURE_AUDIT_LOG": str(tmp / "audit.jsonl")}
    names = [f"user{i}" for i in range(users)]
    if not args.no_auth:
        from analysis import accounts

        for name in names:
            accounts.add_user(tmp / "users.json", name, PASSWORD, "analyst")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(store), str(port),
                               str(args.threads), str(args.workers)], env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                request(base + "/login" if not args.no_auth else base + "/_dash-layout")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("server did not start") from None
                time.sleep(0.25)
        sessions = [{} if args.no_auth else login(base, n) for n in names]
        callbacks = chart_callbacks(base, sessions[0])
        assets = static_files(base, sessions[0])
        print(f"{users} users for {duration:.0f} s against {store} ({args.workers} worker "
              f"process(es) x {args.threads} threads; each user sends up to {args.parallel} "
              "callbacks at once); load average before "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; chart callbacks per page: "
              + ", ".join(f"{k} {len(v)}" for k, v in sorted(callbacks.items())))
        warm: list[tuple[str, float, object]] = []
        _run_users(base, sessions, callbacks, min(args.warmup, MAX_SECONDS), args.max_requests,
                   warm, 1000, ViewState, assets, args.parallel)
        if warm:
            failed = sum(not (isinstance(r[2], int) and r[2] in (200, 204)) for r in warm)
            print(f"warm-up: {len(warm):,} requests in {args.warmup:.0f} s, {failed} failed "
                  "(not counted)")
        results: list[tuple[str, float, object]] = []
        started = time.monotonic()
        _run_users(base, sessions, callbacks, duration, args.max_requests, results, 0,
                   ViewState, [] if warm else assets, args.parallel)
        elapsed = time.monotonic() - started
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)  # the throwaway users, key and audit log

    errors = [r for r in results if not (isinstance(r[2], int) and r[2] in (200, 204))]
    if not results:
        print("ERRORS: no request was made")
        return 1
    print(f"\n{len(results):,} requests in {elapsed:.1f} s ({len(results) / elapsed:.1f}/s); "
          f"load average after {' '.join(f'{x:.2f}' for x in load_after)}")
    print(f"{'kind':<10}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for kind in ("asset", "page", "callback", "all"):
        times = sorted(t for k, t, _ in results if kind in (k, "all"))
        if len(times) < 2:
            continue
        p50 = statistics.median(times) * 1000
        p95 = statistics.quantiles(times, n=20)[18] * 1000
        print(f"{kind:<10}{len(times):>8,}{p50:>10.0f}{p95:>10.0f}{times[-1] * 1000:>10.0f}")
    if errors:
        codes: dict[str, int] = {}
        for _, _, status in errors:
            codes[str(status)] = codes.get(str(status), 0) + 1
        print(f"ERRORS: {len(errors)} ({codes})")
        return 1
    print("zero errors: OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
