"""`darkfigure table`: a protected table of detected people, as the dashboard exports it."""

from __future__ import annotations

import argparse
import json

from analysis.disclosure.builder import DIMENSIONS

NAME = "table"
HELP = ("Print a protected table of detected people: --rows DIM [--columns DIM] "
        "[--filter DIM=VALUE ...] [--period FROM:TO] (counts perturbed by the cell-key "
        "method, below 5 as [c]; totals are cells of their own).")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    dims = ", ".join(DIMENSIONS)
    parser.add_argument("--store", metavar="PATH", help="store file (default: setting store_path)")
    parser.add_argument("--rows", metavar="DIM", required=True, help=f"row dimension: {dims}")
    parser.add_argument("--columns", metavar="DIM", help="column dimension (default: none)")
    parser.add_argument("--filter", metavar="DIM=VALUE", action="append", default=[],
                        help="keep referrals with this value (repeat; values of one dimension "
                             "are alternatives; area takes a district or force code, default "
                             "setting home_area)")
    parser.add_argument("--period", metavar="FROM:TO",
                        help="inclusive quarters, e.g. 2024Q1:2024Q4 (default: all stored)")
    parser.add_argument("--format", choices=("csv", "json"), default="csv",
                        help="csv (default) or json")


def run(args: argparse.Namespace) -> int:
    from analysis.disclosure.builder import TableView, parse_filters, query_table

    view = TableView(rows=args.rows, columns=args.columns, filters=parse_filters(args.filter),
                     period=args.period).check()
    built = query_table(view, store=args.store)
    frame = built.to_frame()
    if args.format == "json":
        print(json.dumps({
            "title": built.title(),
            "rows": view.rows,
            "columns": view.columns,
            "filters": [f"{d}={v}" for d, v in view.filters],
            "period": [built.quarters[0], built.quarters[-1]] if built.quarters else None,
            "mode": built.table.mode,
            "table": [{k: int(v) if isinstance(v, str) and v.isdigit() else v
                       for k, v in row.items()} for row in frame.to_dict(orient="records")],
        }, indent=2))
        return 0
    from analysis.export import neutralise_formulae

    print(neutralise_formulae(frame).to_csv(index=False), end="")
    return 0
