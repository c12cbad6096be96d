"""`darkfigure ingest`: validate files, then load them into the store in one transaction."""

from __future__ import annotations

import argparse
import sys

from analysis.ingest import KINDS
from analysis.store import Store

NAME = "ingest"
HELP = "Validate agency extracts or NRM data tables and load them into the store (all or nothing)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="CSV, XLSX or ODS files")
    parser.add_argument("--store", metavar="PATH", help="store file (default: setting store_path)")
    parser.add_argument("--kind", choices=("auto", *KINDS), default="auto",
                        help="what the files hold: auto (detected from each file), "
                             "referrals or nrm (default: %(default)s)")
    parser.add_argument("--mapping", metavar="FILE",
                        help="agency mapping JSON (default: looked up in mappings/ beside the file)")
    parser.add_argument("--release", metavar="YYYYQn|YYYY",
                        help="NRM workbooks: the release, e.g. 2023Q4, or 2023 for the "
                        "end-of-year summary of 2023 (default: read from the file name or "
                        "the workbook's cover text)")
    parser.add_argument("--strict", action="store_true",
                        help="NRM workbooks: refuse a workbook with a sheet that cannot be "
                        "classified (default: skip it and record the skip in the load history)")


def run(args: argparse.Namespace) -> int:
    with Store(args.store) as store:
        records = store.ingest(args.files, kind=None if args.kind == "auto" else args.kind,
                               mapping=args.mapping, release=args.release, strict=args.strict)
    for record in records:
        print(record)
    print(f"store: {store.path}", file=sys.stderr)
    return 0
