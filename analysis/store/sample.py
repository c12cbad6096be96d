"""Build a store from the bundled synthetic sample (what `darkfigure serve` and the tests use),
and load the bundled national NRM figures into every new store (first run)."""

from __future__ import annotations

import os
from pathlib import Path

from analysis import config
from analysis.errors import DarkFigureError
from analysis.store.staging import StagedFile as _Staged
from analysis.store.store import Store, content_hash

NRM_REFERENCE_KIND = "reference:nrm"


def load_national_reference(store: Store, reference_dir: Path | None = None) -> list:
    """Load the bundled national NRM figures into ``nrm_counts`` once, through the normal
    write path: one transaction, one load record per file (kind ``reference:nrm``) with its
    notes, skipped by content hash when already loaded. Returns the load records.

    Done on the first writable open of a store, so the national pages, CLI and notebooks
    read the store whatever it holds; a release loaded later supersedes these cells by
    vintage (``analysis.ingest.nrm_reference``).
    """
    from analysis.ingest.nrm_reference import read_nrm_reference, reference_paths

    loaded = set(store._con.execute("SELECT content_hash FROM loads WHERE kind = ?",
                                    [NRM_REFERENCE_KIND]).fetchall())
    staged = []
    for path in reference_paths(reference_dir):
        digest = content_hash(path)
        if (digest,) in loaded:
            continue
        name = f"data/reference/{path.name}"
        staged.append(_Staged(path, name, NRM_REFERENCE_KIND, digest, read_nrm_reference(path)))
    return store._write(staged) if staged else []


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
