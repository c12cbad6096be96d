"""Benchmark: what the cell-key protection costs on the synthetic sample.

For the tables the dashboard and ``darkfigure table`` show (area x quarter, area x sector and
area x exploitation type per year, each district's quarterly series per year, age group x
sex per year, year x sector), with their margins, prints:

* the share of cells shown as ``[c]`` (cell-key method), beside the share that per-table
  primary and secondary suppression (``suppress_small_counts``, the earlier layer) hides in
  the same tables;
* the mean absolute change of the counts shown (shown - true), overall and by size of count,
  and the largest change;
* the time to build one table (DuckDB aggregation plus perturbation).

Run: ``python benchmarks/disclosure.py`` (builds the sample store in a temporary folder).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.detection import districts_of
from analysis.disclosure import EXACT, suppress_small_counts
from analysis.disclosure.builder import TableView, build_table, referral_source
from analysis.store import Store, build_sample_store

HOME = "E23000021"
YEARS = range(2019, 2026)


def views() -> list[TableView]:
    out = [TableView("area", "quarter")]
    for year in YEARS:
        period = f"{year}Q1:{year}Q4"
        out += [TableView("area", "sector", period=period),
                TableView("area", "exploitation_type", period=period),
                TableView("age_group", "sex", period=period)]
        out += [TableView("quarter", filters=(("area", d),), period=period)
                for d in districts_of(HOME)]
    out.append(TableView("year", "sector"))
    return out


def legacy_hidden(exact: pd.DataFrame, view: TableView) -> int:
    """Cells per-table suppression hides in the same table with its margins."""
    if view.columns is None:
        table = exact[exact[view.rows] != "Total"].reset_index(drop=True)
        out = suppress_small_counts(table, "count")
        return int(out["count_suppressed"].sum()) + int(exact["count"].iloc[-1] < 5)
    wide = exact.pivot(index=view.rows, columns=view.columns, values="count")
    order_r = list(dict.fromkeys(exact[view.rows]))
    order_c = list(dict.fromkeys(exact[view.columns]))
    wide = wide.reindex(index=order_r, columns=order_c).reset_index()
    columns = [c for c in order_c if c != "Total"]
    out = suppress_small_counts(wide, columns, total_rows=wide[view.rows] == "Total",
                                total_column="Total")
    return int(out[[c + "_suppressed" for c in columns + ["Total"]]].to_numpy().sum())


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    store = build_sample_store(folder / "sample.duckdb")
    with Store(store, read_only=True) as opened:
        referrals = opened.referrals()
    source = referral_source(referrals)
    rows, legacy, seconds, cpu = [], 0, [], []
    for view in views():
        start, start_cpu = time.perf_counter(), time.process_time()
        shown = build_table(source, view, home_area=HOME).table.to_frame()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        exact = build_table(source, view, home_area=HOME, mode=EXACT).table.to_frame()
        legacy += legacy_hidden(exact, view)
        rows.append(pd.DataFrame({"view": str(view), "true": exact["count"].astype(int),
                                  "shown": shown["count"]}))
    source.close()
    cells = pd.concat(rows, ignore_index=True)
    hidden = cells["shown"].isna()
    change = (cells["shown"] - cells["true"])[~hidden].astype(int)
    print(f"{len(views())} tables, {len(cells):,} cells (margins included) on the sample "
          f"({len(referrals):,} referrals)")
    print(f"  shown as [c], cell-key method:           {hidden.mean():6.1%} "
          f"({int(hidden.sum()):,} cells)")
    print(f"  hidden by per-table suppression (before): {legacy / len(cells):6.1%} "
          f"({legacy:,} cells)")
    print(f"  cells with a true count of 0:             {(cells['true'] == 0).mean():6.1%}; "
          f"of 1 to 4: {cells['true'].between(1, 4).mean():.1%}")
    print(f"  mean absolute change of shown counts:     {change.abs().mean():.2f} "
          f"(largest {change.abs().max()}); mean change {change.mean():+.2f}")
    sizes = pd.cut(cells.loc[~hidden, "true"], [2, 9, 19, 49, 99, np.inf],
                   labels=["3-9", "10-19", "20-49", "50-99", "100+"])
    by_size = pd.DataFrame({"size": sizes, "abs": change.abs(), "change": change,
                            "rel": change.abs() / cells.loc[~hidden, "true"]})
    summary = by_size.groupby("size", observed=True).agg(
        cells=("abs", "size"), mean_absolute_change=("abs", "mean"),
        mean_change=("change", "mean"), mean_relative_change=("rel", "mean"))
    print(summary.round(3).to_string())
    visible_true = cells.loc[~hidden, "true"]
    print(f"  true counts 5+ shown as [c]: {cells.loc[cells['true'] >= 5, 'shown'].isna().mean():.1%}"
          f"; true 3-4 shown as a number: {(~hidden & cells['true'].between(3, 4)).sum()} cells"
          f" (of {visible_true.size:,} shown)")
    print(f"  time per table: median {np.median(seconds) * 1000:.0f} ms wall, "
          f"{np.median(cpu) * 1000:.0f} ms CPU (max {max(seconds) * 1000:.0f} ms wall; the CPU "
          "figure is the one to compare when other jobs share the machine)")


if __name__ == "__main__":
    main()
