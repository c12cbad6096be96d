"""One module per `darkfigure` subcommand.

Each module defines ``NAME`` (the subcommand), ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. ``analysis.cli`` discovers
them, so adding a command never edits a shared file.
"""
