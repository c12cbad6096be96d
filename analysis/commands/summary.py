"""`darkfigure summary`: row counts per table and the load history."""

from __future__ import annotations

import argparse
import json

from analysis.store import Store

NAME = "summary"
HELP = "Print row counts per table and the load history of the store."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH", help="store file (default: setting store_path)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    with Store(args.store, read_only=True) as store:
        summary = store.summary()
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    print(f"store {summary['store']} (schema version {summary['schema_version']})")
    for table, rows in summary["tables"].items():
        print(f"  {table:<22}{rows:>10,}")
    print("loads:")
    for load in summary["loads"]:
        print(f"  {load['load_id']:>4}  {load['loaded_at'][:19]}  {load['kind']:<32}"
              f"{load['rows']:>8,}  {load['file_name']}")
    return 0
