"""`darkfigure restore BACKUP_DIR [--store PATH] [--force]`: rebuild the store from a backup."""

from __future__ import annotations

import argparse

from analysis import config

NAME = "restore"
HELP = ("Restore the store from a backup folder, after checking every file's SHA-256 and every "
        "table's row count; refuses to replace an existing store without --force.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("backup_dir", metavar="BACKUP_DIR", help="folder made by darkfigure backup")
    parser.add_argument("--store", default=None,
                        help="store file to create (default: DARKFIGURE_STORE or "
                             "~/.darkfigure/darkfigure.duckdb)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing store (stop the dashboard first)")


def run(args: argparse.Namespace) -> int:
    from analysis.backup import restore_store

    store = config.store_path(args.store)
    counts = restore_store(args.backup_dir, store, force=args.force)
    for table, rows in counts.items():
        print(f"{table}: {rows:,} rows")
    print(f"Restored {store} from {args.backup_dir}.")
    return 0
