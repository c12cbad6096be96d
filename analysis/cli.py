"""The `darkfigure` command line: discovers subcommands in ``analysis.commands``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from analysis import __version__, commands
from analysis.errors import DarkFigureError

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


def main(argv: Sequence[str] | None = None) -> int:
    """Run `darkfigure`; returns the exit code (2 for errors the user can fix)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args))
    except DarkFigureError as exc:
        print(f"darkfigure {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
