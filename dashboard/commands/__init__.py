"""`darkfigure` subcommands that need the dashboard (serve, report).

Registered through the ``darkfigure.commands`` entry point group in pyproject.toml, so
``analysis`` never imports ``dashboard``.
"""
