"""The `darkfigure` command line: discovers subcommands in ``analysis.commands``."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from analysis import __version__, commands
from analysis.errors import DarkFigureError
from analysis.private_files import owner_only_umask

COMMAND_ENTRY_POINTS = "darkfigure.commands"


def _command_modules():
    # Library commands live beside the library; commands of packages built on it (the
    # dashboard's serve and report) register through entry points, so analysis never
    # imports dashboard.
    names = [
        f"{commands.__name__}.{info.name}"
        for info in pkgutil.iter_modules(commands.__path__)
        if not info.name.startswith("_")
    ]
    names += [ep.value for ep in entry_points(group=COMMAND_ENTRY_POINTS)]
    modules = [importlib.import_module(name) for name in names]
    return sorted(modules, key=lambda m: m.NAME)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every discovered subcommand."""
    parser = argparse.ArgumentParser(
        prog="darkfigure",
        description="Estimate how much modern slavery goes unreported, where and in which sectors.",
    )
    parser.add_argument("--version", action="version", version=f"darkfigure {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _command_modules():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def _os_error_message(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return ("the disk is full (No space left on device): free some space and run the "
                "command again; a store load is all or nothing, so nothing was half-stored")
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _quiet_broken_pipe() -> int:
    # The reader went away (`darkfigure ... | head`): not an error worth a traceback.
    # Point stdout at devnull so the interpreter's final flush does not fail again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, as a shell reports a command stopped by a closed pipe


def main(argv: Sequence[str] | None = None) -> int:
    """Run `darkfigure`; returns the exit code (2 for errors the user can fix).

    Whatever a command writes (stores, backups, exports) is owner-only. Errors a user can
    meet (bad input, a full disk, a damaged store, a closed pipe) are one line on stderr,
    never a traceback.
    """
    import duckdb

    parser = build_parser()
    args = parser.parse_args(argv)
    prefix = f"darkfigure {args.command}: error:"
    try:
        with owner_only_umask():
            code = int(args._run(args))
            sys.stdout.flush()  # a closed pipe or a full disk is reported here, not at exit
            return code
    except DarkFigureError as exc:
        print(f"{prefix} {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        print(f"darkfigure {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"{prefix} {_os_error_message(exc)}", file=sys.stderr)
        return 2
    except duckdb.Error as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "no space left" in str(exc).lower():
            text = "the disk is full (No space left on device): free some space and try again"
        print(f"{prefix} the store could not be read or written ({text}); if it is damaged, "
              "restore it from a backup with `darkfigure restore`", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
