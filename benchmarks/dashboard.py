"""Server time behind every dashboard callback on a store of 1,000,000 synthetic referrals.

    python benchmarks/dashboard.py [--rows 1000000] [--views 20] [--store PATH]

Builds (once) a store of synthetic referrals across all districts of England and Wales with
``analysis.synth.simulate_referrals``, then for each chart callback times the data step and
the figure step together (what the server does between request and response) over a set of
different filter views, each seen for the first time (view caches cold; the store's
referrals already in memory, as in a running app). Prints p50/p95 per callback against the
100 ms target, plus the one-off cost of loading the store.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
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
KEEP_CACHES = ("_all_referrals", "_loads", "_areas", "_summary", "_filter_options", "_scenarios",
               "_populations", "_scenario", "national_forces", "uk_series", "expected_for",
               "_expected_category", "national_funnel", "force_peers", "district_peers")


def clear_view_caches() -> None:
    """Forget per-view results but keep the loaded store, as a long-running app would."""
    from dashboard import data, estimates, headline_view, hidden_views, trend_views

    for module in (data, estimates, headline_view, hidden_views, trend_views):
        for name in dir(module):
            fn = getattr(module, name)
            if hasattr(fn, "cache_clear") and name not in KEEP_CACHES:
                fn.cache_clear()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_callbacks(store_path: Path, n_views: int) -> list[tuple[str, float, float, float]]:
    from dashboard import data, headline_view
    from dashboard.pages import PAGES

    t0 = time.perf_counter()
    data.filter_options(store_path)  # loads the store into memory
    load_s = time.perf_counter() - t0
    print(f"store loaded into memory in {load_s:.2f} s (once per store version)")
    sample = views(store_path, n_views)
    specs = [spec for page in PAGES for spec in page.CHARTS]
    for spec in specs:  # warm the reference-level caches, as any running app has them
        for view in sample:
            spec.build(store_path, view)
    rows = []
    for spec in specs:
        times = []
        for view in sample:
            clear_view_caches()
            t = time.perf_counter()
            spec.build(store_path, view)
            times.append((time.perf_counter() - t) * 1000)
        rows.append((spec.chart_id, percentile(times, 0.5), percentile(times, 0.95), max(times)))
    times = []
    for view in sample:
        clear_view_caches()
        t = time.perf_counter()
        headline_view.headline_tiles(headline_view.headline(store_path, view))
        times.append((time.perf_counter() - t) * 1000)
    rows.append(("overview-tiles", percentile(times, 0.5), percentile(times, 0.95), max(times)))
    times = []
    for view in sample:
        t = time.perf_counter()
        data.counts_by_area_quarter(store_path, replace(view, board=False))
        times.append((time.perf_counter() - t) * 1000)
    rows.append(("data-counts-download", percentile(times, 0.5), percentile(times, 0.95),
                 max(times)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--views", type=int, default=20)
    parser.add_argument("--store", type=Path, default=None,
                        help="store to use or create (default: a temporary file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store_path = args.store or Path(tmp) / "benchmark.duckdb"
        t = time.perf_counter()
        build_store(store_path, args.rows)
        print(f"store with {args.rows:,} referrals ready in {time.perf_counter() - t:.1f} s")
        rows = time_callbacks(store_path, args.views)
    print(f"\n{'callback':<24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target p95 <= "
          f"{TARGET_MS:.0f} ms")
    for name, p50, p95, worst in rows:
        flag = "ok" if p95 <= TARGET_MS else "OVER"
        print(f"{name:<24} {p50:8.1f} {p95:8.1f} {worst:8.1f}  {flag}")
    print(f"\n{sum(p95 <= TARGET_MS for *_, p95, _ in rows)} of {len(rows)} callbacks meet "
          f"the target; median of p95s {statistics.median(r[2] for r in rows):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
