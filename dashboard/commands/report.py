"""`darkfigure report`: the board pack as a PDF, one page per board view."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis import config

NAME = "report"
HELP = "Write the board pack (PDF, one page per board view) from the store."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="PDF file to write, e.g. pack.pdf")
    parser.add_argument("--store", default=None, help="store file (default: DARKFIGURE_STORE)")
    parser.add_argument("--area", default="", help="area GSS code (default: the home force)")
    parser.add_argument("--period", default="", help="quarters FROM:TO, e.g. 2023Q1:2023Q4")
    parser.add_argument("--scenario", default="gsi_2023", help="national estimate scenario")


def run(args: argparse.Namespace) -> int:
    from dashboard.report import build_pack
    from dashboard.state import from_query

    state = from_query(
        {"area": args.area, "period": args.period, "scenario": args.scenario, "board": "1"}
    )
    out = Path(args.out)
    pdf = build_pack(config.store_path(args.store), state)
    out.write_bytes(pdf)
    print(f"Wrote {out} ({len(pdf):,} bytes).")
    return 0
