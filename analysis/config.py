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
    """One setting: its name, environment variable, default and help text."""
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
    Setting(
        "auth_enabled",
        "DARKFIGURE_AUTH",
        "false",
        "Require a password login for every page, callback and download (true or false).",
    ),
    Setting(
        "users_file",
        "DARKFIGURE_USERS_FILE",
        str(Path.home() / ".darkfigure" / "users.json"),
        "JSON file of dashboard users with salted password hashes and roles (`darkfigure users`).",
    ),
    Setting(
        "secret_key_file",
        "DARKFIGURE_SECRET_KEY_FILE",
        str(Path.home() / ".darkfigure" / "secret_key"),
        "File holding the key that signs session cookies; made owner-only on first use.",
    ),
    Setting(
        "audit_log",
        "DARKFIGURE_AUDIT_LOG",
        str(Path.home() / ".darkfigure" / "audit.jsonl"),
        "Append-only JSON-lines log of logins, failed logins, uploads, downloads and the exact-count toggle.",
    ),
    Setting(
        "cookie_secure",
        "DARKFIGURE_COOKIE_SECURE",
        "true",
        "Session cookie over HTTPS only; set false only if users reach the server by plain HTTP.",
    ),
    Setting(
        "host",
        "DARKFIGURE_HOST",
        "127.0.0.1",
        "Address the production server listens on; anything but loopback needs auth enabled.",
    ),
    Setting(
        "port",
        "DARKFIGURE_PORT",
        "8050",
        "Port the production server listens on.",
    ),
    Setting(
        "threads",
        "DARKFIGURE_THREADS",
        "8",
        "Threads per worker process of the production server (waitress).",
    ),
    Setting(
        "workers",
        "DARKFIGURE_WORKERS",
        "auto",
        "Worker processes of the production server, sharing its port: a number, or auto (one "
        "per core up to 2 on Linux and macOS; 1 on Windows).",
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
    """The upload limit in bytes (setting max_upload_mb)."""
    return int(float(get_setting("max_upload_mb")) * 1024 * 1024)


def suppression_threshold() -> int:
    """Counts below this are suppressed (setting suppression_threshold)."""
    return int(get_setting("suppression_threshold"))


def get_flag(name: str) -> bool:
    """A true/false setting: 1, true, yes and on (any case) mean true."""
    return get_setting(name).strip().lower() in {"1", "true", "yes", "on"}


def auth_enabled() -> bool:
    """Whether login is required (setting auth_enabled)."""
    return get_flag("auth_enabled")


def users_file() -> Path:
    """Path of the users file (setting users_file)."""
    return Path(get_setting("users_file"))


def secret_key_file() -> Path:
    """Path of the session secret key (setting secret_key_file)."""
    return Path(get_setting("secret_key_file"))


def audit_log() -> Path:
    """Path of the audit log (setting audit_log)."""
    return Path(get_setting("audit_log"))
