"""Server time behind every dashboard callback on a store of 1,000,000 synthetic referrals.

    python benchmarks/dashboard.py [--rows 1000000] [--views 20] [--store PATH] [--naive]

Builds (once) a store of synthetic referrals across all districts of England and Wales with
``analysis.synth.simulate_referrals``, then for each chart callback times the data step and
the figure step together (what the server does between request and response) over a set of
different filter views, each seen for the first time (view caches cold; reference-level
caches warm, as in a running app). Prints p50/p95 per callback against the 100 ms target,
the store's size on disk and the process's memory.

``--naive`` also times every callback with the data step swapped for the naive path (every
referral held in pandas, each person's first record found once, then each view filtered
and counted in pandas: what the dashboard did before its queries moved into DuckDB; the
Justice page's people and stages found in pandas by ``analysis.justice.people_stages``) and
prints two ratios per callback, naive / DuckDB: of the whole callback, and of its data step
alone (the time spent in the data queries, ``dashboard.queries`` and
``analysis.justice_counts.count_justice``). The rest of a callback (statistics on the small
tables, the Plotly figure) is the same code on both paths, so it bounds the whole-callback
ratio whatever the data step costs.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and the file would shadow the
# ``dashboard`` package it measures: take the folder off the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

TARGET_MS = 100.0


def build_store(path: Path, rows: int, seed: int = 1) -> Path:
    """A store holding ``rows`` synthetic referrals (written as one CSV and ingested)."""
    from analysis.store import Store
    from analysis.synth.referrals import simulate_referrals

    if path.exists():
        with Store(path):  # a store made before the new_victims table gets it now
            pass
        return path
    frame = simulate_referrals(rows, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "benchmark_referrals.csv"
        frame.to_csv(csv, index=False, date_format="%Y-%m-%d")
        with Store(path) as store:
            store.ingest([csv], kind="referrals")
    return path


def views(store_path: Path, n: int, seed: int = 7):
    """``n`` distinct filter views: areas, periods, sectors, ages, scenarios, board on/off."""
    from analysis.schema import AGE_GROUPS, SECTORS
    from dashboard import data
    from dashboard.state import ALL, ViewState

    options = data.filter_options(store_path)
    rng = random.Random(seed)
    areas = [c for c, _ in options.areas]
    quarters = options.quarters
    out = [ViewState()]
    while len(out) < n:
        start = rng.randrange(0, max(len(quarters) - 8, 1))
        out.append(ViewState(
            area=rng.choice(areas), period=f"{quarters[start]}:{quarters[-1]}",
            sector=rng.choice([ALL, ALL, *SECTORS[:6]]), age_group=rng.choice([ALL, *AGE_GROUPS]),
            scenario=rng.choice(["gsi_2023", "gsi_2018"]), board=rng.random() < 0.3,
            event=rng.choice(["", quarters[len(quarters) // 2]])))
    return out


# Loaded once per store version, or reference-level (the same for every view).
KEEP_CACHES = ("_loads", "_areas", "_summary", "_filter_options", "_scenarios",
               "_populations", "_scenario", "national_forces", "uk_series", "expected_for",
               "_expected_category", "national_funnel", "force_peers", "district_peers",
               "_forces", "_funnel", "_uk_series", "_locations", "_uk_nationals_by_force")


def clear_view_caches() -> None:
    """Forget per-view results but keep the loaded store, as a long-running app would."""
    from dashboard import (
        data,
        estimates,
        headline_view,
        hidden_views,
        national_views,
        queries,
        trend_views,
    )
    from dashboard.pages import justice

    for module in (data, queries, estimates, headline_view, hidden_views, national_views,
                   trend_views, justice):
        for name in dir(module):
            fn = getattr(module, name)
            if hasattr(fn, "cache_clear") and name not in KEEP_CACHES:
                fn.cache_clear()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _naive_path():
    """``benchmarks/naive_path.py``, loaded from this folder (which is off ``sys.path``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("naive_path", _HERE / "naive_path.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DATA_STEP = {"ms": 0.0}
GC_PAUSES: list[float] = []  # full (generation 2) collections during the timed builds, ms
_GC_START = {"t": 0.0}


def _gc_watch(phase: str, info: dict) -> None:
    if info.get("generation") != 2:
        return
    if phase == "start":
        _GC_START["t"] = time.perf_counter()
    else:
        GC_PAUSES.append((time.perf_counter() - _GC_START["t"]) * 1000)


def timing_data_step():
    """Wrap the data queries (whichever path is installed) so each callback's time in them
    adds up in ``DATA_STEP``. Returns a function that unwraps them."""
    from analysis import justice_counts
    from dashboard import queries

    def timed(fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                DATA_STEP["ms"] += (time.perf_counter() - t) * 1000
        if hasattr(fn, "cache_clear"):
            wrapper.cache_clear = fn.cache_clear
        return wrapper

    names = ("_cells", "_people", "_referrals", "_capture_cells")
    saved = {n: getattr(queries, n) for n in names}
    saved_justice = justice_counts.count_justice
    for name in names:
        setattr(queries, name, timed(saved[name]))
    justice_counts.count_justice = timed(saved_justice)

    def restore():
        for name, fn in saved.items():
            setattr(queries, name, fn)
        justice_counts.count_justice = saved_justice
    return restore


WARNINGS: dict[str, int] = {}


def _time_builds(name: str, build, sample) -> tuple:
    """(name, p50, p95, max, data-step p95) in ms of ``build(view)`` over the views, each
    seen for the first time."""
    times, data_step = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for view in sample:
            clear_view_caches()
            DATA_STEP["ms"] = 0.0
            t = time.perf_counter()
            build(view)
            times.append((time.perf_counter() - t) * 1000)
            data_step.append(DATA_STEP["ms"])
    numeric = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    for w in numeric[:3]:
        print(f"  {name}: RuntimeWarning {w.message} ({w.filename}:{w.lineno})")
    WARNINGS[name] = len(numeric)
    return (name, percentile(times, 0.5), percentile(times, 0.95), max(times),
            percentile(data_step, 0.95))


def time_callbacks(store_path: Path, n_views: int, sample=None,
                   only: str | None = None) -> list[tuple]:
    from dashboard import data, headline_view, warmup
    from dashboard.pages import PAGES

    sample = sample or views(store_path, n_views)
    specs = [spec for page in PAGES for spec in page.CHARTS
             if only is None or re.search(only, spec.chart_id)]
    for spec in specs:  # warm the reference-level caches, as any running app has them
        for view in sample:
            spec.build(store_path, view)
    warmup.freeze_long_lived()  # as a serving process does once warm
    builds = [(spec.chart_id, lambda view, spec=spec: spec.build(store_path, view))
              for spec in specs]
    if only is None:
        builds += [
            ("overview-tiles", lambda view: headline_view.headline_tiles(
                headline_view.headline(store_path, view))),
            ("data-counts-download", lambda view: data.counts_by_area_quarter(
                store_path, replace(view, board=False)))]
    unwrap = timing_data_step()
    gc.callbacks.append(_gc_watch)
    try:
        return [_time_builds(name, build, sample) for name, build in builds]
    finally:
        gc.callbacks.remove(_gc_watch)
        unwrap()


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--views", type=int, default=20)
    parser.add_argument("--naive", action="store_true",
                        help="also time the naive path (pandas over every referral)")
    parser.add_argument("--store", type=Path, default=None,
                        help="store to use or create (default: a temporary file)")
    parser.add_argument("--only", default=None, metavar="REGEX",
                        help="time only the charts whose id matches (e.g. 'hidden|justice')")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store_path = args.store or Path(tmp) / "benchmark.duckdb"
        t = time.perf_counter()
        build_store(store_path, args.rows)
        print(f"store with {args.rows:,} referrals ready in {time.perf_counter() - t:.1f} s")
        size = store_path.stat().st_size / 1e6
        from dashboard import data
        from dashboard.app import single_threaded_maths

        single_threaded_maths()  # as the server does

        t = time.perf_counter()
        data.filter_options(store_path)
        print(f"store on disk {size:,.0f} MB; first query (filter options) "
              f"{time.perf_counter() - t:.2f} s")
        sample = views(store_path, args.views)
        rows = time_callbacks(store_path, args.views, sample, args.only)
        memory = rss_mb()
        warned = dict(WARNINGS)
        pauses = list(GC_PAUSES)
        naive = {}
        if args.naive:
            restore = _naive_path().naive_data_step(store_path)
            try:
                naive = {r[0]: r for r in time_callbacks(store_path, 0, sample, args.only)}
            finally:
                restore()
    print(f"\n{'callback':<24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target p95 <= "
          f"{TARGET_MS:.0f} ms   data step p95 ms"
          + ("   naive p95 (data step)   naive/DuckDB: callback, data step" if naive else ""))
    for name, p50, p95, worst, data_p95 in rows:
        flag = "ok  " if p95 <= TARGET_MS else "OVER"
        extra = ""
        if name in naive:
            n_p95, n_data = naive[name][2], naive[name][4]
            step = f"{n_data / data_p95:6.1f}x" if data_p95 > 0.05 else "     -"
            extra = (f"   {n_p95:9.1f} ({n_data:8.1f})   {n_p95 / p95:9.1f}x, {step}")
        print(f"{name:<24} {p50:8.1f} {p95:8.1f} {worst:8.1f}  {flag}   {data_p95:15.1f}"
              + extra)
    print(f"\n{sum(r[2] <= TARGET_MS for r in rows)} of {len(rows)} callbacks meet "
          f"the target; median of p95s {statistics.median(r[2] for r in rows):.1f} ms")
    if naive:
        heaviest = max(naive.values(), key=lambda r: r[2])
        mine = {r[0]: r for r in rows}[heaviest[0]]
        print(f"heaviest on the naive path: {heaviest[0]}, p95 {heaviest[2]:.1f} ms "
              f"(data step {heaviest[4]:.1f}) against {mine[2]:.1f} ms (data step "
              f"{mine[4]:.1f}): {heaviest[2] / mine[2]:.1f}x the callback, "
              f"{heaviest[4] / max(mine[4], 0.05):.1f}x the data step")
    print(f"full garbage collections during the DuckDB runs: {len(pauses)}"
          + (f", {sum(pauses):.0f} ms in all, longest {max(pauses):.0f} ms" if pauses else ""))
    print(f"RuntimeWarnings (numerical) during the DuckDB runs: {sum(warned.values())}"
          + "".join(f"; {k} {v}" for k, v in warned.items() if v))
    print(f"server memory after the DuckDB runs: {memory:,.0f} MB resident"
          + (f"; peak with the naive path loaded {peak_rss_mb():,.0f} MB" if naive else
             f"; peak {peak_rss_mb():,.0f} MB"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
