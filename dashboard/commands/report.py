"""`darkfigure report`: the board pack as a PDF, one page per board view."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis import config
from analysis.errors import DarkFigureError
from analysis.private_files import write_private_bytes

NAME = "report"
HELP = "Write the board pack (PDF, one page per board view) from the store."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="PDF file to write, e.g. pack.pdf")
    parser.add_argument("--store", default=None, help="store file (default: DARKFIGURE_STORE)")
    parser.add_argument("--area", default="", help="area GSS code (default: the home force)")
    parser.add_argument("--period", default="", help="quarters FROM:TO, e.g. 2023Q1:2023Q4")
    parser.add_argument("--scenario", default="gsi_2023", help="national estimate scenario")


def _check_store(path: Path) -> None:
    """Refuse a missing store, or one with no referrals: an empty pack would tell a board that
    agencies detected nobody (every store holds the bundled national figures)."""
    from analysis.store import Store

    with Store(path, read_only=True) as store:  # a missing store says so, with the fix
        tables = store.summary()["tables"]
    if not tables.get("referrals"):
        raise DarkFigureError(f"the store {path} holds no referrals, so a pack would show "
                              "nothing local: load agency extracts first with `darkfigure ingest`")


def run(args: argparse.Namespace) -> int:
    from dashboard.report import build_pack
    from dashboard.state import from_query

    state = from_query(
        {"area": args.area, "period": args.period, "scenario": args.scenario, "board": "1"}
    )
    out = Path(args.out)
    store_path = config.store_path(args.store)
    _check_store(store_path)
    pdf = build_pack(store_path, state)
    write_private_bytes(out, pdf)  # counts from record-level data: owner-only
    print(f"Wrote {out} ({len(pdf):,} bytes).")
    return 0
