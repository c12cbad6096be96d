"""`darkfigure backup [OUT_DIR] [--store PATH]`: every table to Parquet with a signed manifest."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from analysis import config

NAME = "backup"
HELP = ("Back up the store: every table to Parquet plus manifest.json with row counts and "
        "SHA-256 of each file, signed with the server's key.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default=None,
                        help="store file (default: DARKFIGURE_STORE or "
                             "~/.darkfigure/darkfigure.duckdb)")
    parser.add_argument("out_dir", nargs="?", default=None, metavar="OUT_DIR",
                        help="new folder for the backup (default: backups/<UTC time> beside "
                             "the store)")
    parser.add_argument("--out", default=None, metavar="DIR", help="the same as OUT_DIR")


def run(args: argparse.Namespace) -> int:
    from analysis.backup import backup_store
    from analysis.errors import DarkFigureError

    if args.out_dir and args.out and args.out_dir != args.out:
        raise DarkFigureError("give the backup folder once: OUT_DIR or --out, not both")
    store = config.store_path(args.store)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    chosen = args.out_dir or args.out
    out = Path(chosen) if chosen else store.parent / "backups" / stamp
    backup_store(store, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for table, rows in manifest["tables"].items():
        print(f"{table}: {rows:,} rows")
    print(f"Backed up {store} to {out}.")
    return 0
