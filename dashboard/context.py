"""The one object that carries the app's configuration to layouts and callbacks.

Dash Pages keeps its page registry in a module-level dict, so per-app settings cannot live
there; they live on the Flask server (``server.config``) and are read inside a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import flask

CONFIG_KEY = "DARKFIGURE_CONTEXT"


@dataclass(frozen=True)
class DashboardContext:
    """Settings of one running dashboard."""

    store_path: Path
    board: bool = False  # open in board mode by default (a kiosk on the boardroom screen)


def current() -> DashboardContext:
    """The context of the app serving the current request."""
    return flask.current_app.config[CONFIG_KEY]
