"""Build a store from the bundled synthetic sample (what `darkfigure serve` and the tests use)."""

from __future__ import annotations

import os
from pathlib import Path

from analysis import config
from analysis.errors import DarkFigureError
from analysis.store.store import Store


def sample_files(sample_dir: Path | None = None) -> list[Path]:
    """The bundled sample's agency extracts and NRM releases, in load order."""
    sample_dir = Path(sample_dir or config.SAMPLE_DIR)
    agencies = sorted(p for p in (sample_dir / "agencies").glob("*") if p.suffix in (".csv", ".xlsx", ".ods"))
    releases = sorted((sample_dir / "nrm").glob("*.ods"))
    return agencies + releases


def build_sample_store(path: str | os.PathLike[str], sample_dir: Path | None = None) -> Path:
    """Build (or bring up to date) a store from the bundled synthetic sample. Idempotent.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = build_sample_store(pathlib.Path(tempfile.mkdtemp()) / "s.duckdb")
    >>> with Store(p, read_only=True) as s:
    ...     len(s.referrals()) > 1000
    True
    """
    files = sample_files(sample_dir)
    if not files:
        raise DarkFigureError(f"no sample files under {sample_dir or config.SAMPLE_DIR}")
    with Store(path) as store:
        store.ingest(files)
    return Path(path)
