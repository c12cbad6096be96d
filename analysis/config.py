"""Paths and settings, declared as data and read at call time.

Every setting has a name, a default, an environment variable and a help text;
``tests/test_config.py`` checks that each one is documented in README.md.
Nothing here touches the disk at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent
REFERENCE_DIR = REPO_ROOT / "data" / "reference"
SAMPLE_DIR = REPO_ROOT / "data" / "sample"


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "store_path",
        "DARKFIGURE_STORE",
        str(Path.home() / ".darkfigure" / "darkfigure.duckdb"),
        "Path of the embedded DuckDB store file.",
    ),
    Setting(
        "max_upload_mb",
        "DARKFIGURE_MAX_UPLOAD_MB",
        "200",
        "Largest input file accepted by ingest and the upload page, in megabytes.",
    ),
    Setting(
        "suppression_threshold",
        "DARKFIGURE_SUPPRESSION_THRESHOLD",
        "5",
        "Counts from record-level data below this value are shown as [c].",
    ),
    Setting(
        "home_area",
        "DARKFIGURE_HOME_AREA",
        "E23000021",
        "GSS code of the user's police force area (default Leicestershire).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get_setting(name: str) -> str:
    """Return a setting's value: its environment variable if set, else its default."""
    setting = _BY_NAME[name]
    return os.environ.get(setting.env, setting.default)


def store_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The store file to use: an explicit path wins over the environment and default."""
    return Path(path) if path is not None else Path(get_setting("store_path"))


def max_upload_bytes() -> int:
    return int(float(get_setting("max_upload_mb")) * 1024 * 1024)


def suppression_threshold() -> int:
    return int(get_setting("suppression_threshold"))
