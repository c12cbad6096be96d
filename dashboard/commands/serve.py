"""`darkfigure serve`: run the dashboard; builds the store from the bundled sample on first run."""

from __future__ import annotations

import argparse

from analysis import config

NAME = "serve"
HELP = "Run the dashboard in a local web server (builds the sample store on first run)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        help="store file (default: DARKFIGURE_STORE or ~/.darkfigure/darkfigure.duckdb)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8050, help="port to listen on (default 8050)")
    parser.add_argument("--board", action="store_true", help="open in board (presentation) mode")
    parser.add_argument("--threads", type=int, default=4, help="server worker threads (default 4)")


def run(args: argparse.Namespace) -> int:
    from analysis.store import build_sample_store

    store_path = config.store_path(args.store)
    if not store_path.exists():
        print(f"No store at {store_path}: building it from the sample in {config.SAMPLE_DIR} ...")
        build_sample_store(store_path)
        print(f"Built {store_path}.")
    else:
        print(f"Using the store at {store_path}.")
    # The dashboard is optional for library users, so import it only when serving.
    from dashboard.app import create_app
    from dashboard.production import run_production

    app = create_app(store_path, board=args.board)
    print(f"Dark Figure dashboard: http://{args.host}:{args.port}/  (Ctrl+C to stop)")
    # Security headers, the login guard (when DARKFIGURE_AUTH is on) and a refusal to bind a
    # network address without authentication all come from run_production.
    run_production(app, host=args.host, port=args.port, threads=args.threads)
    return 0
