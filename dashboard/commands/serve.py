"""`darkfigure serve`: run the dashboard; builds the store from the bundled sample on first run."""

from __future__ import annotations

import argparse

from analysis import config
from analysis.errors import DarkFigureError

NAME = "serve"
HELP = "Run the dashboard in a local web server (builds the sample store on first run)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        help="store file (default: DARKFIGURE_STORE or ~/.darkfigure/darkfigure.duckdb)",
    )
    parser.add_argument("--host", default=None, help="address to listen on (default: setting host)")
    parser.add_argument("--port", type=int, default=None, help="port (default: setting port)")
    parser.add_argument("--board", action="store_true", help="open in board (presentation) mode")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per worker process (default: setting threads)")
    parser.add_argument("--workers", default=None,
                        help="worker processes sharing the port, or auto: one per core up to "
                             "2 (default: setting workers, auto; several need POSIX)")
    parser.add_argument(
        "--production", action="store_true",
        help="serve a team: refuse to start unless login is on (DARKFIGURE_AUTH=true) and the "
             "store exists; the server is always waitress with debug off",
    )


def run(args: argparse.Namespace) -> int:
    from analysis.store import build_sample_store
    from dashboard.production import server_settings

    # Checked before anything slow: a bad --workers or port is one line, at once.
    settings = server_settings(args.host, args.port, args.threads, args.workers)
    store_path = config.store_path(args.store)
    if args.production:
        # A team server holds pseudonymised but sensitive data: no anonymous access, and no
        # silent fallback to the synthetic sample.
        if not config.auth_enabled():
            raise DarkFigureError("--production needs login: set DARKFIGURE_AUTH=true and add "
                                  "users with `darkfigure users add NAME --role analyst`")
        if not store_path.exists():
            raise DarkFigureError(f"--production: no store at {store_path}; load data first "
                                  "with `darkfigure ingest`")
    if not store_path.exists():
        print(f"No store at {store_path}: building it from the sample in {config.SAMPLE_DIR} ...")
        build_sample_store(store_path)
        print(f"Built {store_path}.")
    else:
        print(f"Using the store at {store_path}.")
        from analysis.store import Store

        with Store(store_path):  # a store made before the new_victims table gets it now
            pass
    # The dashboard is optional for library users, so import it only when serving.
    from dashboard.app import create_app
    from dashboard.production import run_production

    app = create_app(store_path, board=args.board, warm=True)
    # Security headers, the login guard (when DARKFIGURE_AUTH is on) and a refusal to bind a
    # network address without authentication all come from run_production; the URL is
    # announced only once the port is open (a busy port is a one-line error instead).
    run_production(app, host=settings.host, port=settings.port, threads=settings.threads,
                   workers=settings.workers,
                   announce=lambda url: print(f"Dark Figure dashboard: {url}  (Ctrl+C to stop)",
                                              flush=True))
    return 0
